"""The lender's rules as plain Python: policy loading, money and plan arithmetic.

Nothing here talks to Rasa, Twilio or a database, so the gateway, the actions and
the tests share one implementation of every rule.
"""
