"""Loading accounts from CSV and JSON: good rows saved, bad rows explained."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest

from store.accounts import FIELDS, find_by_phone, get_account, import_csv, import_records
from tests.support.paths import DEMO_ACCOUNTS

HEADER = ",".join(FIELDS)
GOOD = "A-1,Ada Lane,+15550100099,America/Denver,en,USD,100.10,0.20,0.03,2026-11-01,1990-01-02,0042"
RECORD = dict(zip(FIELDS, GOOD.split(",")))


def test_demo_accounts_load_with_exact_amounts(session):
    with open(DEMO_ACCOUNTS, encoding="utf-8") as stream:
        report = import_csv(session, stream)
    assert (report.created, report.updated, report.errors) == (6, 0, [])
    account = get_account(session, "DEMO-1001")
    assert account.balance == Decimal("453.50")
    assert (account.principal, account.interest, account.fees) == (
        Decimal("420.00"), Decimal("18.50"), Decimal("15.00"),
    )
    chinese = get_account(session, "DEMO-1005")
    assert (chinese.name, chinese.language, chinese.currency, chinese.id_last4) == (
        "王芳", "zh-CN", "CNY", "302X",
    )
    assert chinese.balance == Decimal("3176.50")


@pytest.mark.parametrize("given, kept", [("302X", "302X"), ("302x", "302X"), (" 0457 ", "0457")])
def test_a_chinese_id_may_end_in_x(session, given, kept):
    record = {**dict(zip(FIELDS, GOOD.split(","))), "id_last4": given}
    assert import_records(session, [record]).errors == []
    assert get_account(session, "A-1").id_last4 == kept


@pytest.mark.parametrize("given", ["X302", "30X2", "30Y2", "302XX", "302"])
def test_x_is_only_the_last_character(session, given):
    record = {**dict(zip(FIELDS, GOOD.split(","))), "id_last4": given}
    [error] = import_records(session, [record]).errors
    assert "id_last4" in str(error)


def test_a_chinese_mobile_number_is_a_valid_phone(session):
    record = {**dict(zip(FIELDS, GOOD.split(","))), "phone": "+8613800000001"}
    assert import_records(session, [record]).errors == []


def test_bad_rows_are_reported_and_good_rows_kept(session):
    csv_text = "\n".join([
        HEADER,
        GOOD,
        "A-2,Bo,5550100,America/Denver,en,USD,1,0,0,2026-11-01,1990-01-02,0042",
        "A-3,Cy,+15550100098,Mars/Olympus,en,USD,1,0,0,2026-11-01,1990-01-02,42",
        "A-4,Di,+15550100097,America/Denver,en,USD,-5,0,0,2026-02-30,2090-01-02,0042",
    ])
    report = import_csv(session, io.StringIO(csv_text))
    assert report.created == 1
    by_row = {e.row: e for e in report.errors}
    assert sorted(by_row) == [2, 3, 4]
    assert "phone: must be in E.164 form" in str(by_row[2])
    assert "timezone" in str(by_row[3]) and "id_last4" in str(by_row[3])
    text = str(by_row[4])
    assert "principal" in text and "due_date" in text and "birth_date: must be in the past" in text
    assert get_account(session, "A-1").name == "Ada Lane"
    assert get_account(session, "A-2") is None


def test_missing_columns_are_named(session):
    report = import_csv(session, io.StringIO("account_id,name\nA-1,Ada\n"))
    assert report.created == 0
    assert "missing columns: phone, timezone" in str(report.errors[0])


def test_reimport_updates_in_place(session):
    import_csv(session, io.StringIO(f"{HEADER}\n{GOOD}\n"))
    changed = GOOD.replace("100.10", "80.00")
    report = import_csv(session, io.StringIO(f"{HEADER}\n{changed}\n"))
    assert (report.created, report.updated) == (0, 1)
    assert get_account(session, "A-1").principal == Decimal("80.00")


def test_json_records_and_unknown_fields(session):
    record = dict(zip(FIELDS, GOOD.split(",")))
    report = import_records(session, [record, {**record, "account_id": "A-9", "colour": "red"}, 7])
    assert report.created == 1
    assert [e.row for e in report.errors] == [2, 3]
    assert "colour: extra fields not permitted" in str(report.errors[0])


def test_repeated_account_id_in_one_file(session):
    report = import_csv(session, io.StringIO(f"{HEADER}\n{GOOD}\n{GOOD}\n"))
    assert report.created == 1
    assert "repeated in this file" in str(report.errors[0])


def test_find_by_phone(session):
    import_csv(session, io.StringIO(f"{HEADER}\n{GOOD}\n"))
    assert find_by_phone(session, "+15550100099").account_id == "A-1"
    assert find_by_phone(session, "+15550100000") is None


def test_jurisdiction_and_consent_columns_load_with_the_account(session):
    from store.consents import consent_state

    report = import_records(session, [{**RECORD, "jurisdiction": "cn", "consent_sms": "2026-06-01T14:00:00+08:00",
                                       "consent_voice": ""}], jurisdictions={"us", "cn"},
                            default_jurisdiction="us")
    assert report.errors == []
    assert get_account(session, RECORD["account_id"]).jurisdiction == "cn"
    state = consent_state(session, RECORD["phone"])
    assert state["sms"] == {"granted": True, "at": "2026-06-01T06:00:00Z", "source": "accounts_file"}
    assert state["voice"] is None  # an empty cell records nothing
    # Left out, an existing account keeps its jurisdiction; a new one gets the default.
    import_records(session, [RECORD, {**RECORD, "account_id": "A-NEW"}], jurisdictions={"us", "cn"},
                   default_jurisdiction="us")
    assert get_account(session, RECORD["account_id"]).jurisdiction == "cn"
    assert get_account(session, "A-NEW").jurisdiction == "us"


def test_an_unknown_jurisdiction_or_a_consent_in_the_future_is_refused(session):
    report = import_records(session, [{**RECORD, "jurisdiction": "xx"},
                                      {**RECORD, "account_id": "A-2", "consent_voice": "2999-01-01T00:00:00Z"},
                                      {**RECORD, "account_id": "A-3", "consent_sms": "yesterday"}],
                            jurisdictions={"us", "cn"})
    assert [str(e) for e in report.errors] == [
        f"row 1 ({RECORD['account_id']}): jurisdiction: no profile 'xx' (one of cn, us)",
        "row 2 (A-2): consent_voice: consent cannot be given in the future",
        "row 3 (A-3): consent_sms: invalid datetime format",
    ]


def test_a_reload_never_undoes_a_later_revocation(session):
    from store.consents import latest
    from store.outcomes import set_opt_out

    row = {**RECORD, "consent_sms": "2026-06-01T14:00:00Z"}
    import_records(session, [row])
    set_opt_out(session, RECORD["phone"], "sms", True, how="keyword")
    import_records(session, [row])
    event = latest(session, RECORD["phone"], "sms")
    assert not event.granted and event.source == "keyword"


def test_a_store_made_before_the_jurisdiction_column_gains_it(tmp_path):
    import sqlalchemy

    import store.db
    import store.schema

    # A store as a release before migrations left it: the first revision's tables, no
    # alembic_version, and no accounts.jurisdiction yet.
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = store.db.make_engine(url)
    store.schema.upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
        connection.exec_driver_sql("ALTER TABLE accounts DROP COLUMN jurisdiction")
    assert "jurisdiction" not in {c["name"] for c in sqlalchemy.inspect(engine).get_columns("accounts")}
    store.db.connect(url)
    assert "jurisdiction" in {c["name"] for c in sqlalchemy.inspect(engine).get_columns("accounts")}
