"""`flask --app server accounts load | redeliver | outbox`, through Flask's CLI runner."""
import datetime as dt

import pytest

from server.sms.sender import send_sms
from store.db import session_scope
from store.models import Account
from tests.support.accounts import BORROWER
from tests.support.paths import ROOT

HEADER = "account_id,name,phone,timezone,language,currency,principal,interest,fees,due_date,birth_date,id_last4\n"
GOOD_ROW = "CLI-1,Ana Example,+15550109001,America/Denver,en,USD,500.00,12.00,0.00,2026-12-01,1990-02-03,1234\n"
BAD_ROW = "CLI-2,Bo Example,555-0101,America/Denver,en,USD,-5,0,0,2026-12-01,1991-04-05,12\n"


def test_loading_a_clean_file(app, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(HEADER + GOOD_ROW)
    result = app.test_cli_runner().invoke(args=["accounts", "load", str(path)])

    assert result.exit_code == 0
    assert result.output.strip() == "created 1, updated 0, 0 rows rejected"


def test_reloading_the_demo_accounts_updates_them(app):
    demo = ROOT / "lender" / "demo_accounts.csv"
    rows = len(demo.read_text(encoding="utf-8").strip().splitlines()) - 1  # less the header
    result = app.test_cli_runner().invoke(args=["accounts", "load", str(demo)])
    assert result.exit_code == 0
    assert result.output.startswith(f"created 0, updated {rows}, 0 rows rejected")


def test_rejected_rows_are_listed_without_personal_data(app, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(HEADER + GOOD_ROW + BAD_ROW)
    result = app.test_cli_runner().invoke(args=["accounts", "load", str(path)])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "created 1, updated 0, 1 rows rejected"
    assert lines[1].strip().startswith("row 2 (CLI-2): ")
    assert "phone:" in lines[1] and "principal:" in lines[1] and "id_last4:" in lines[1]
    for personal in ("Bo Example", "555-0101", "1991-04-05"):
        assert personal not in result.output
    with session_scope() as session:
        assert session.get(Account, "CLI-1") is not None
        assert session.get(Account, "CLI-2") is None


def test_file_without_the_expected_columns(app, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,name\nX-1,Someone\n")
    result = app.test_cli_runner().invoke(args=["accounts", "load", str(path)])
    assert result.exit_code == 1
    assert "missing columns: phone" in result.output


def test_outbox_lists_messages_for_a_phone(app):
    with app.app_context():
        in_hours = {"actor": "agent:test", "path": "agent_text", "kind": "agent",
                    "now": dt.datetime(2026, 11, 24, 18, tzinfo=dt.timezone.utc)}  # 13:00 in New York
        send_sms(BORROWER, "Reminder for you", None, **in_hours)
        send_sms("+15550100002", "Someone else's reminder", None, **in_hours)
    runner = app.test_cli_runner()

    everything = runner.invoke(args=["outbox"]).output
    assert "Reminder for you" in everything and "Someone else's reminder" in everything
    mine = runner.invoke(args=["outbox", "--to", BORROWER]).output
    assert "Reminder for you" in mine and "Someone else" not in mine


def test_empty_outbox(app):
    assert app.test_cli_runner().invoke(args=["outbox"]).output.strip() == "outbox is empty"


def test_redeliver_answers_a_deferred_message(app, sms, fake_rasa):
    fake_rasa.down()
    sms("hello")
    fake_rasa.up()

    result = app.test_cli_runner().invoke(args=["redeliver"])
    assert result.exit_code == 0
    assert result.output.strip() == "answered 1, still deferred 0, held by the gate 0, dropped 0"
    outbox = app.test_cli_runner().invoke(args=["outbox", "--to", BORROWER]).output
    assert "Bot heard: hello" in outbox


LATIN1_ROW = "CLI-3,José Ñúñez,+15550109003,America/Denver,en,USD,500.00,12.00,0.00,2026-12-01,1990-02-03,1234\n"


@pytest.mark.parametrize("command, text", [
    ("accounts", HEADER + GOOD_ROW + LATIN1_ROW),
    ("payments", "account_id,amount,paid_on,reference\nDEMO-1001,10.00,2026-11-20,Pagó ñ\n"),
], ids=["accounts", "payments"])
def test_a_file_that_is_not_utf8_is_refused_with_the_encoding_it_needs(app, tmp_path, command, text):
    path = tmp_path / f"{command}.csv"
    path.write_bytes(text.encode("latin-1"))  # what an old spreadsheet export writes
    result = app.test_cli_runner().invoke(args=[command, "load", str(path)])

    assert result.exit_code == 1 and result.exception is not None
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert "is not UTF-8 text" in result.output and "save it as UTF-8" in result.output
    assert f"line {text.count(chr(10))}" in result.output  # where: the last line
    with session_scope() as session:
        assert session.get(Account, "CLI-1") is None  # nothing half-loaded


def test_a_byte_order_mark_is_fine(app, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes((HEADER + GOOD_ROW).encode("utf-8-sig"))
    result = app.test_cli_runner().invoke(args=["accounts", "load", str(path)])
    assert result.exit_code == 0 and result.output.strip() == "created 1, updated 0, 0 rows rejected"
