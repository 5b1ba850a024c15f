"""The conversation with the dialogue engine, shared by SMS and voice: Rasa over HTTP, the
gateway's shared state (locks, dedup), redelivery of unanswered messages, and the trainers'
inbox capture."""
