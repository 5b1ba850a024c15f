"""Outbound reminder campaigns under the contact rules, run by RQ workers.

    config.py      campaign files (lender/campaigns/*.yml), validated with pydantic
    templates.py   message templates: variables, the lender's identity, opt-out wording
    facts.py       what the store knows of accounts, loaded in bulk: columns, tags
    gate.py        the compliance gate (lending/compliance.py) fed from the store
    stages.py      the stage an account is in, read with its arrangements (plans, deferrals...)
    planning.py    which accounts a campaign reaches today, when, and what the gate says
    preview.py     the numbers before a run (per stage, per rule, samples), or one account's
    messages.py    the text an attempt sends, rendered for one account
    scheduling.py  a run: attempts written once (idempotency key) and queued
    queueing.py    attempts onto the RQ queue (now, or RQ's scheduled registry)
    runtime.py     settings, policy, campaigns, Redis, queue, limiter, Twilio for a worker
    delivery.py    a message or a call handed to Twilio (messaging/twilio_adapter.py)
    ratelimit.py   sends per sending number, shared by every worker through Redis
    attempts.py    an attempt's life: claim, send, block, reschedule, status callbacks
    jobs.py        the RQ jobs, the sweeper that re-queues stranded attempts, the worker
    payments.py    payments in (API, CSV), applied to balances and to the arrangements' schedules
    outbound.py    one-off contact (an agent's SMS) through the same gate and queue

Nothing here imports `rasa`: workers talk only to the store, Redis and Twilio.
"""
