"""Operators' and developers' commands: `flask --app server <command>`."""
