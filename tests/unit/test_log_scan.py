"""The scan of a test run's logs for the test accounts' personal data (devtools/log_scan.py).
The planted logs live in a folder of their own, outside pytest's --basetemp, which
scripts/test.sh scans after the run."""
from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest

from devtools.log_scan import main

CLEAN = """\
2026-12-06 21:02:52,123 INFO server.sms.webhook: message SM0f3c2a: stored (conversation c-9a1e)
2026-12-06 21:02:52,456 INFO werkzeug: 127.0.0.1 - - [06/Dec/2026 21:02:52] "POST /twilio/sms HTTP/1.1" 200 -
2026-12-06 21:02:53,001 INFO rasa.core.processor: model 20261206-210000-dana.tar.gz loaded, Rasa 3.6.21
2026-12-06 21:02:53,002 INFO server.conversation.nlu_review: message 1204/2: filed (low_confidence, inform 0.48)
2026-12-06 21:02:54,999 INFO gunicorn: Listening at: http://127.0.0.1:22000 (pid 48213)
12:04 call c-77 ended after 4821.5 ms, path /tmp/4821/x, version 7730-beta
"""

# Each line holds one datum of a demo account (lender/demo_accounts.csv), as logs write it.
PLANTED = [
    ("phone", "sending to +15550100001"),
    ("phone", "form From=%2B15550100002&Body=hi"),
    ("phone", "call (555) 010-0003 now"),
    ("phone", "手机 +86 138 0000 0001"),
    ("name", "parsed {'text': 'this is Dana Rivers'}"),
    ("name", "PRIYA NATARAJAN asked for a plan"),
    ("name", "slot surname=Okafor"),
    ("name", "我是王芳"),
    ("name", '{"text": "\\u9648\\u78ca"}'),
    ("birth date", "dob 1988-03-14 given"),
    ("birth date", "born March 14, 1988"),
    ("birth date", "出生日期 1990年5月18日"),
    ("birth date", "birth_date=11/02/1979"),
    ("ID digits", "id_last4=4821"),
    ("ID digits", '{"id_last4": "302X"}'),
    ("ID digits", "the last four are 6417."),
]


@pytest.fixture
def log_folder():
    with tempfile.TemporaryDirectory(prefix="log-scan-") as folder:
        (Path(folder) / "e2e0" / "log").mkdir(parents=True)
        yield Path(folder)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_logs_pass(log_folder, capsys):
    write(log_folder, "e2e0/log/gateway.log", CLEAN)
    write(log_folder, "campaigns/worker-1.log", CLEAN)
    assert main([str(log_folder)]) == 0
    assert "2 log files clean" in capsys.readouterr().out


@pytest.mark.parametrize("kind, line", PLANTED)
def test_a_planted_datum_is_found_and_named_by_kind_only(log_folder, capsys, kind, line):
    path = write(log_folder, "e2e0/log/gateway.log", CLEAN + line + "\n" + CLEAN)
    assert main([str(log_folder)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:7: {kind} of a test account" in out
    assert out.count(": ") == 1 + 1  # one hit, and the summary line
    datum = line.split()[-1].strip(".")
    assert datum not in out  # the report never repeats what it found


def test_accounts_are_read_from_the_stores_the_run_left(log_folder, capsys):
    store = log_folder / "e2e0" / "repay.db"
    with sqlite3.connect(store) as connection:
        connection.execute("CREATE TABLE accounts (account_id TEXT, name TEXT, phone TEXT, "
                           "birth_date DATE, id_last4 TEXT)")
        connection.execute("INSERT INTO accounts VALUES ('E2E-1', 'Zora Quintero', '+15550409999', "
                           "'1971-07-09', '9163')")
    connection.close()
    write(log_folder, "e2e0/log/actions.log",
          "hello Zora\nphone 555 040 9999\nborn 07/09/1971\nid 9163\n")
    assert main([str(log_folder)]) == 1
    out = capsys.readouterr().out
    for number, kind in [(1, "name"), (2, "phone"), (3, "birth date"), (4, "ID digits")]:
        assert f"actions.log:{number}: {kind}" in out


def test_only_log_files_are_read(log_folder):
    write(log_folder, "trainers/data/nlu/en/examples.yml", "- this is Dana Rivers, +15550100001\n")
    write(log_folder, "accounts.csv", "name\nDana Rivers\n")
    assert main([str(log_folder)]) == 0


def test_a_missing_folder_is_not_an_error(log_folder, capsys):
    assert main([str(log_folder / "nowhere")]) == 0
    assert "does not exist" in capsys.readouterr().err


def test_a_made_up_fixture_name_counts_whole_not_word_by_word(log_folder):
    write(log_folder, "log/worker.log", "Test reminders: 3 attempts queued\n")
    with sqlite3.connect(log_folder / "campaigns.db") as connection:
        connection.execute("CREATE TABLE accounts (name TEXT, phone TEXT, birth_date DATE, id_last4 TEXT)")
        connection.execute("INSERT INTO accounts VALUES ('Test Borrower', '+15550407777', "
                           "'1969-04-01', '8899')")
    connection.close()
    assert main([str(log_folder)]) == 0
    write(log_folder, "log/worker.log", "reminding test borrower\n")
    assert main([str(log_folder)]) == 1
