"""The measurements the gateway takes as it works (prometheus_client): one set per process;
under gunicorn with PROMETHEUS_MULTIPROC_DIR each worker writes its own files and a scrape
adds them up. server/api/metrics.py serves them with what the store says."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

# Webhooks answer within Twilio's 15 s; Rasa within its timeout (at most 12 s).
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 12, 15)
HTTP_SECONDS = Histogram("repay_http_request_seconds", "Time to answer a request, per route",
                         ["route", "method", "status"], buckets=BUCKETS)
RASA_SECONDS = Histogram("repay_rasa_request_seconds", "Time a dialogue model took for a turn",
                         ["language"], buckets=BUCKETS)
RASA_ERRORS = Counter("repay_rasa_errors_total", "Turns a dialogue model did not answer",
                      ["language", "error"])
DEFERRED = Counter("repay_messages_deferred_total", "Inbound messages left for redelivery",
                   ["reason"])
