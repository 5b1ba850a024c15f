"""The rasa-sdk action server: what the dialogue does with the store and the lender's policy.

One module per feature. Every action finds the account through the Conversation row whose
id is the Rasa sender id (account_context.py), never through anything the channel says, and
nothing about a debt is said or put in a slot before the borrower is verified.

Run with `python -m actions.server` (rasa-sdk behind ACTION_SERVER_TOKEN, on loopback).
"""
