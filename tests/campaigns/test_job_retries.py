"""How soon a campaign attempt whose job failed is tried again (campaigns/jobs.py)."""
import datetime as dt

from campaigns.jobs import MAX_ENQUEUES, retry_delay


def test_a_failed_job_is_retried_within_seconds_the_first_time():
    assert retry_delay(1) == dt.timedelta(seconds=5)
    assert retry_delay(2) == dt.timedelta(seconds=10)


def test_retries_back_off_to_five_minutes_and_give_up_within_two_hours():
    delays = [retry_delay(n) for n in range(1, MAX_ENQUEUES)]
    assert delays == sorted(delays)
    assert max(delays) == dt.timedelta(minutes=5)
    assert dt.timedelta(minutes=30) < sum(delays, dt.timedelta()) < dt.timedelta(hours=2)
