"""Every operations API route, with the API key and arbitrary bodies, parameters and
headers: never a 5xx, and every refusal a JSON message (issue 11)."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from store.accounts import FIELDS
from tests.fuzz.strategies import AUTH, deep, headers, json_scalars, json_values, text

DATES = ["2026-11-10", "1988-03-14", "9999-12-31", "0001-01-01", "2026-02-30", "2026-11-10T10:00:00",
         "9999-12-31T23:59:59Z", "0001-01-01T00:00:00", "+275760-09-13", "2026-11-25T15:00:00+14:00"]
plausible = st.one_of(json_scalars, st.sampled_from(DATES), st.sampled_from(
    ["+15550100001", "DEMO-1001", "America/New_York", "Asia/Shanghai", "en", "zh-CN", "USD",
     "CNY", "420.00", "1e400", "-1", "0.001", "302X", "4821", "mon", "09:00", "25:00", "vip"]))


def records(fields):
    return st.lists(st.dictionaries(st.sampled_from(fields), plausible, max_size=len(fields)),
                    max_size=3)


ACCOUNT_FIELDS = FIELDS + ["tags", "extra"]
PAYMENT_FIELDS = ["reference", "account_id", "amount", "currency", "paid_on", "extra"]
WINDOW_FIELDS = ["weekdays", "start", "end", "extra"]


def body_of(shaped):
    """Bytes an API caller may send: JSON of the route's shape or of any shape, bytes that
    are no JSON, or JSON nested too deep."""
    return st.one_of(
        shaped.map(lambda value: b"" if value is None else json.dumps(value).encode()),
        json_values.map(lambda value: json.dumps(value).encode()),
        st.binary(max_size=50), st.sampled_from([deep(40), deep(5000), b"NaN", b'{"a": Infinity}']),
        # What JSON can carry and no database can store: a lone surrogate, NUL.
        shaped.map(lambda value: b"" if value is None else json.dumps(value).replace(
            '": "', '": "\\ud800\\u0000', 1).encode()),
    )


campaign_ids = st.one_of(st.sampled_from(["reminders", "overdue_calls", "promise_follow_up"]),
                         st.just("reminders"), text)
WRITES = {
    "accounts": (st.just("/api/accounts"), st.one_of(
        records(ACCOUNT_FIELDS), st.builds(lambda r: {"accounts": r}, records(ACCOUNT_FIELDS)))),
    "payments": (st.just("/api/payments"), records(PAYMENT_FIELDS)),
    "calls": (st.just("/api/calls"), st.fixed_dictionaries({"account_id": st.one_of(plausible, text)})),
    "run": (campaign_ids.map(lambda c: f"/api/campaigns/{quote(c, safe='')}/run"),
            st.fixed_dictionaries({"at": plausible})),
    "inconvenient-times": (st.one_of(st.just("DEMO-1001"), text).map(
        lambda a: f"/api/accounts/{quote(a, safe='')}/inconvenient-times"), records(WINDOW_FIELDS)),
    "review": (st.just("/api/arrangements/review"), st.none()),
}
METHODS = {"inconvenient-times": "PUT"}
queries = st.dictionaries(st.sampled_from(["at", "samples", "account_id"]), st.one_of(
    st.sampled_from(DATES), text, st.integers().map(str)), max_size=2)
READS = {
    "preview": st.tuples(campaign_ids.map(lambda c: f"/api/campaigns/{quote(c, safe='')}/preview"), queries),
    "runs": st.tuples(text.map(lambda r: f"/api/campaigns/runs/{quote(r, safe='')}"), queries),
    "list": st.tuples(st.sampled_from(["/api/campaigns", "/healthz"]), queries),
}
content_types = st.sampled_from([None, "application/json", "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/json; charset=utf-16"])


def answered_well(response) -> None:
    """No 5xx, but the 503 that says what a route needs configured (the campaign runtime
    needs REDIS_URL); a refusal says why, in JSON."""
    body = response.get_json(silent=True)
    if response.status_code == 503:
        assert "REDIS_URL" in body["error"]
        return
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if 400 <= response.status_code < 500 and response.status_code not in (404, 405):
        assert isinstance(body, dict) and body.get("error"), response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("name", sorted(WRITES))
@given(data=st.data(), content_type=content_types, extra_headers=headers)
def test_every_write_route_answers_bad_input_with_a_400(client, name, data, content_type, extra_headers):
    paths, shaped = WRITES[name]
    path, body = data.draw(paths, "path"), data.draw(body_of(shaped), "body")
    request_headers = {**extra_headers, **AUTH}
    if content_type:
        request_headers["Content-Type"] = content_type
    response = client.open(path, method=METHODS.get(name, "POST"), data=body, headers=request_headers)
    event(f"{response.status_code}")  # --hypothesis-show-statistics
    answered_well(response)


@pytest.mark.parametrize("name", sorted(READS))
@given(data=st.data(), extra_headers=headers)
def test_every_read_route_answers_bad_parameters_with_a_400(client, name, data, extra_headers):
    path, query = data.draw(READS[name], "request")
    response = client.get(path, query_string=query, headers={**extra_headers, **AUTH})
    event(f"{response.status_code}")
    answered_well(response)
