"""What the test suites share, by what it holds: paths.py (the repository's files), app.py
(the one app builder and a fresh store), fake_rasa.py (the one fake Rasa), twilio.py
(Twilio's signatures, webhooks and HTTP layer), store.py (views of what the store holds),
accounts.py, console.py, campaigns.py, voice.py, stack.py (whole processes, end to end).
Imported as `tests.support.<module>` only."""
