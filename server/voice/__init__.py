"""Voice: Twilio's call webhooks, the TwiML they answer with, words for the ear, and
outbound calls."""
