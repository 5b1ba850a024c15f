"""Custom Rasa components of this bot's NLU pipelines (config.yml, config.zh.yml). They run
inside Rasa's process only; the gateway never imports them."""
