"""What every outbound message shares, whoever sends it (the gateway, the campaign workers,
the agents' console): SMS length and the opt-out wording (sms_text.py), TwiML (twiml_render.py),
Twilio's REST API and the outbox (twilio_adapter.py)."""
