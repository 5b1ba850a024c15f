"""SMS: Twilio's inbound webhook, the keywords the gateway answers itself, and every SMS sent
outside a webhook reply (late answers, agents' texts, confirmations, the feedback question)."""
