"""What the dialogue model needs: the spaCy pipeline build, entity patterns, language helpers."""
