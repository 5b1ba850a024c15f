"""Personal data of the test accounts in the logs a test run wrote: a hit fails the run.

    python -m devtools.log_scan build/test-run [--postgres URL]

The test accounts are every account the run knew: the CSV files of accounts in lender/
and tests/, the SQLite stores the run left under the scanned folder (the end-to-end
stack's and the fixtures'), and, with --postgres, that PostgreSQL database and those
whose names start with its name (repay_test, repay_test_campaigns). Their phone numbers,
birth dates, ID digits and names are looked for, in the usual spellings (+1 555-010-0001,
1988-03-14, March 14, 1988, 1988年3月14日, JSON- and URL-escaped names), in every log file
under the folder (*.log, *.out, *.err, and any file in a log/ or logs/ folder).

A hit prints the file, the line and what kind of datum it is, never the datum itself;
the exit status is 1. scripts/test.sh runs it after pytest, on pytest's --basetemp.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple
from urllib.parse import quote, quote_plus

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_COLUMNS = {"name", "phone", "birth_date", "id_last4"}
LOG_SUFFIXES = {".log", ".out", ".err"}
LOG_FOLDERS = {"log", "logs"}
KINDS = ("phone", "birth date", "ID digits", "name")
_SEP = r"[\s().-]{0,2}"  # between a phone number's digits: spaces, dots, dashes, brackets


@dataclass
class AccountData:
    """The personal data to look for, by kind."""

    phones: Set[str] = field(default_factory=set)
    birth_dates: Set[dt.date] = field(default_factory=set)
    id_digits: Set[str] = field(default_factory=set)
    names: Set[str] = field(default_factory=set)

    def add(self, name, phone, birth_date, id_last4) -> None:
        if name and str(name).strip():
            self.names.add(" ".join(str(name).split()))
        digits = re.sub(r"\D", "", str(phone or ""))
        if len(digits) >= 7:
            self.phones.add(digits)
        if birth_date:
            try:
                self.birth_dates.add(birth_date if isinstance(birth_date, dt.date)
                                     else dt.date.fromisoformat(str(birth_date)[:10]))
            except ValueError:
                pass
        if id_last4 and str(id_last4).strip():
            self.id_digits.add(str(id_last4).strip().upper())

    def __len__(self) -> int:
        return len(self.names) + len(self.phones) + len(self.birth_dates) + len(self.id_digits)


# --- where the test accounts are ------------------------------------------------------

def from_csv_files(people: AccountData, folders: Iterable[Path]) -> None:
    for folder in folders:
        for path in sorted(folder.rglob("*.csv")):
            try:
                with path.open(encoding="utf-8", newline="") as stream:
                    reader = csv.DictReader(stream)
                    if not ACCOUNT_COLUMNS <= set(reader.fieldnames or ()):
                        continue
                    for row in reader:
                        people.add(row["name"], row["phone"], row["birth_date"], row["id_last4"])
            except (UnicodeDecodeError, csv.Error):
                continue  # not an account file


def from_sqlite_stores(people: AccountData, folder: Path) -> None:
    for path in sorted(folder.rglob("*.db")):
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                rows = connection.execute("SELECT name, phone, birth_date, id_last4 FROM accounts")
                for row in rows:
                    people.add(*row)
            finally:
                connection.close()
        except sqlite3.Error:
            continue  # not a store (Rasa's tracker store, a locked or half-written file)


def from_postgres(people: AccountData, url: str) -> None:
    """The accounts of the database at `url` and of those whose names start with its name."""
    base = make_url(url)
    server = create_engine(base, future=True)
    with server.connect() as connection:
        names = connection.execute(
            text("SELECT datname FROM pg_database WHERE datname = :name OR datname LIKE :prefix"),
            {"name": base.database, "prefix": base.database.replace("_", r"\_") + r"\_%"},
        ).scalars().all()
    server.dispose()
    for name in names:
        engine = create_engine(base.set(database=name), future=True)
        try:
            with engine.connect() as connection:
                if not connection.execute(text("SELECT to_regclass('accounts')")).scalar():
                    continue
                for row in connection.execute(
                        text("SELECT name, phone, birth_date, id_last4 FROM accounts")):
                    people.add(*row)
        finally:
            engine.dispose()


def known_accounts(folder: Path, postgres: Iterable[str] = ()) -> AccountData:
    people = AccountData()
    from_csv_files(people, [ROOT / "lender", ROOT / "tests"])
    from_sqlite_stores(people, folder)
    for url in postgres:
        try:
            from_postgres(people, url)
        except OperationalError as exc:  # no such database: the run used none there
            print(f"log scan: no accounts read from PostgreSQL ({type(exc.orig).__name__})",
                  file=sys.stderr)
    return people


# --- what their data looks like in a log ------------------------------------------------

def _phone_pattern(digits: str) -> str:
    # The last ten digits, the country code before them optional: +1 (555) 010-0001,
    # 5550100001, %2B15550100001, +86 138 0000 0001.
    prefix, rest = digits[:-10], digits[-10:]
    lead = rf"(?:\+?{_SEP.join(prefix)}{_SEP})?" if prefix else ""
    return rf"(?<!\d){lead}{_SEP.join(rest)}(?!\d)"


def _date_pattern(date: dt.date) -> str:
    y, m, d = date.year, date.month, date.day
    month = date.strftime("%B")
    numeric = [f"{y}-{m:02d}-{d:02d}", f"{y}/{m:02d}/{d:02d}", f"{y}{m:02d}{d:02d}",
               f"{m:02d}/{d:02d}/{y}", f"{m}/{d}/{y}", f"{d:02d}/{m:02d}/{y}",
               f"{d}/{m}/{y}", f"{d:02d}.{m:02d}.{y}", f"{y}年{m}月{d}日"]
    words = [rf"{month[:3]}\w*\.?\s+{d}(?:st|nd|rd|th)?,?\s+{y}",
             rf"{d}(?:st|nd|rd|th)?\s+(?:of\s+)?{month[:3]}\w*,?\s+{y}"]
    return rf"(?<!\d)(?:{'|'.join([re.escape(n) for n in numeric] + words)})(?!\d)"


def _name_patterns(name: str) -> List[str]:
    words = name.split()
    spaced = r"(?:\s+|\+|%20)".join(re.escape(w) for w in words)
    if name.isascii():
        return [rf"(?<![A-Za-z]){spaced}(?![A-Za-z])"]
    # Anywhere (Chinese has no spaces around a name), and as json.dumps and URLs write
    # it: \u738b\u82b3, %E7%8E%8B%E8%8A%B3
    return [spaced, re.escape(json.dumps(name)[1:-1]), re.escape(quote(name)),
            re.escape(quote_plus(name))]


# Words fixtures use to make up a name ("Test Borrower", "Ana Example"): alone, they are
# ordinary log text; the full name is still looked for.
PLACEHOLDER_NAME_WORDS = {"test", "example", "borrower", "customer", "account", "demo", "sample", "user"}


def _name_part_patterns(name: str) -> List[str]:
    # A first or last name alone, as written (capitalised), when it is long enough not
    # to be part of ordinary words.
    return [rf"(?<![A-Za-z]){re.escape(part)}(?![A-Za-z])"
            for part in name.split() if part.isascii() and part.isalpha() and len(part) >= 4
            and part.lower() not in PLACEHOLDER_NAME_WORDS]


def patterns(people: AccountData) -> Dict[str, re.Pattern]:
    """One regular expression per kind of datum."""
    found = {
        "phone": [_phone_pattern(p) for p in people.phones],
        "birth date": [_date_pattern(d) for d in people.birth_dates],
        # bounded so that times (12:04), versions, paths and longer numbers do not count
        "ID digits": [rf"(?<![\w.:/-]){re.escape(i)}(?![\w:/-]|\.\w)" for i in people.id_digits],
        "name": [p for n in people.names for p in _name_patterns(n)],
    }
    compiled = {kind: re.compile("|".join(found[kind]), re.IGNORECASE)
                for kind in KINDS[:3] if found[kind]}
    if found["name"]:
        compiled["name"] = re.compile(
            "|".join([f"(?i:{p})" for p in found["name"]]
                     + [p for n in people.names for p in _name_part_patterns(n)])
        )
    return compiled


# --- the scan ------------------------------------------------------------------------------

def log_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (path.suffix in LOG_SUFFIXES
                               or LOG_FOLDERS & {p.name for p in path.parents}):
            yield path


def scan(folder: Path, people: AccountData) -> Tuple[List[Tuple[Path, int, str]], int]:
    """Every (file, line number, kind) where a test account's datum appears, and how many
    files were read."""
    compiled = patterns(people)
    hits, files = [], 0
    for path in log_files(folder):
        files += 1
        with path.open(encoding="utf-8", errors="replace") as stream:
            for number, line in enumerate(stream, 1):
                for kind, pattern in compiled.items():
                    if pattern.search(line):
                        hits.append((path, number, kind))
    return hits, files


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where the test run's logs are (pytest's --basetemp)")
    parser.add_argument("--postgres", action="append", default=[],
                        help="a test database whose accounts count too (and those named after it)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"log scan: {args.folder} does not exist: no logs to scan", file=sys.stderr)
        return 0
    people = known_accounts(args.folder, args.postgres)
    if not people.names or not people.phones:
        print("log scan: no test accounts found (lender/demo_accounts.csv?)", file=sys.stderr)
        return 2
    hits, files = scan(args.folder, people)
    for path, number, kind in hits:
        print(f"{path}:{number}: {kind} of a test account")
    summary = (f"{len(people.names)} names, {len(people.phones)} phones, "
               f"{len(people.birth_dates)} birth dates, {len(people.id_digits)} ID endings")
    if hits:
        print(f"log scan: {len(hits)} lines with personal data in {files} log files ({summary})")
        return 1
    print(f"log scan: {files} log files clean ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
