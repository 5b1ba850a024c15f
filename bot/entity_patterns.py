"""spaCy entity_ruler token patterns for what SMS borrowers write (English).

Labels are Rasa entity names: amount, date, months, birth_date, id_last4. The NLU training
data annotates the same spans: a payment date keeps its "the", "next", "this" or "last"
("on [the 15th](date)", "[next friday](date)", "[last week](date)"), a birth date starts at
its day or month ("born on the [3rd of march 1985](birth_date)").
When spans overlap the ruler keeps the longest, so "$4821" is an amount, not id_last4, and
"march 3 1985" a birth_date, not the date "march 3".

Every pattern matches LOWER, so case does not matter (Rasa passes the original text).
"""
from __future__ import annotations

from typing import Dict, List

from language.vocabulary import (
    AMBIGUOUS_WEEKDAYS,
    CURRENCY_SYMBOLS,
    CURRENCY_WORDS,
    INSTALMENT_WORDS,
    MONTH_UNITS,
    MONTHS,
    NUMBER_WORDS,
    SCALE_WORDS,
    TODAY_SPELLINGS,
    TOMORROW_SPELLINGS,
    WEEKDAYS,
    YEAR_UNITS,
    alternation,
)

Token = Dict[str, object]
Pattern = Dict[str, object]

LABELS = ("amount", "date", "months", "birth_date", "id_last4")

# -- token regexes (spaCy's tokenizer keeps "1,250.50", "15/12", "12/03/1985", "3rd" whole) --
_NUM = r"(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?"
NUMBER = rf"^{_NUM}$"
MONEY_NUMBER = rf"^{_NUM}k?$"  # "200", "1,250.50", "1.2k"
# Commas or exactly two decimals make a bare number money; other bare numbers are not
# entities here (a "6" may be months, a "300" an amount: only the dialogue knows).
MONEY_FORM = r"^(\d{1,3}(,\d{3})+(\.\d{2})?|\d+\.\d{2})$"
THOUSANDS = r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?k$"
AMOUNT_GLUED = rf"^((usd|us\$){_NUM}|{_NUM}(usd|dollars?|bucks?))$"  # "usd200", "200usd"
SMALL_COUNT = r"^\d{1,3}$"
MONTHS_GLUED = rf"^\d{{1,3}}({alternation(MONTH_UNITS)})$"  # "3mos", "12mo"
MONTH_NAME = rf"^({alternation(MONTHS)})\.?$"
_D = r"(0?[1-9]|[12]\d|3[01])"
DAY_NUMBER = rf"^{_D}$"
DAY = rf"^{_D}(st|nd|rd|th)?$"
ORDINAL_DAY = rf"^{_D}(st|nd|rd|th)$"
DAY_SLASH_DAY = rf"^{_D}/{_D}$"  # "15/12", "12/15": no year, so a payment date
# The year says which entity a full date is: birth years are 1900-2019 or two digits outside
# the 2020s; payment dates are 2020 and later, or "'2x".
BIRTH_YEAR4, BIRTH_YEAR2 = r"(19\d\d|20[01]\d)", r"([013-9]\d)"
PAYMENT_YEAR4, PAYMENT_YEAR2 = r"(20[2-9]\d)", r"(2\d)"


def full_numeric_date(year4: str, year2: str) -> str:
    """One token: "12/03/1985", "22.08.88", or year first "1985/03/12"."""
    return rf"^({_D}[/.-]{_D}[/.-]({year4}|{year2})|{year4}[/.-]\d{{1,2}}[/.-]\d{{1,2}})$"


# -- token builders -------------------------------------------------------------------------

def words(*vocabularies, op: str = "") -> Token:
    token: Token = {"LOWER": {"IN": sorted({w for v in vocabularies for w in v})}}
    return {**token, "OP": op} if op else token


def regex(expression: str, op: str = "") -> Token:
    token: Token = {"LOWER": {"REGEX": expression}}
    return {**token, "OP": op} if op else token


def word(text: str, op: str = "") -> Token:
    return {"LOWER": text, "OP": op} if op else {"LOWER": text}


NUMBER_WORD = words(NUMBER_WORDS, SCALE_WORDS)
FIRST_COUNT_WORD = words(set(NUMBER_WORDS) - {"zero", "one"})
MORE_NUMBER_WORDS = words(NUMBER_WORDS, SCALE_WORDS, ["and", "-"], op="*")
HYPHEN = {"ORTH": "-"}


def _patterns(label: str, *token_lists: List[Token]) -> List[Pattern]:
    return [{"label": label, "pattern": tokens} for tokens in token_lists]


def amount_patterns() -> List[Pattern]:
    money = regex(MONEY_NUMBER)
    return _patterns(
        "amount",
        [words(CURRENCY_SYMBOLS), money],                       # $200, USD 200, $1.2k
        [money, words(CURRENCY_WORDS)],                         # 200 dollars, 150 bucks, 200$
        [regex(THOUSANDS)],                                     # 1.2k
        [regex(MONEY_FORM)],                                    # 1,250.50, 35.50
        [regex(AMOUNT_GLUED)],                                  # 200usd, usd200
        [regex(NUMBER), words(SCALE_WORDS), words(CURRENCY_WORDS, op="?")],  # 2 hundred
        [NUMBER_WORD, MORE_NUMBER_WORDS, words(CURRENCY_WORDS)],  # two hundred dollars
        [words(["a"]), words(SCALE_WORDS), MORE_NUMBER_WORDS, words(CURRENCY_WORDS)],
    )


def date_patterns() -> List[Pattern]:
    tomorrow = words(TOMORROW_SPELLINGS)
    safe_weekday = words(WEEKDAYS)
    any_weekday = words(WEEKDAYS, AMBIGUOUS_WEEKDAYS)
    count = (
        [regex(SMALL_COUNT)],
        [NUMBER_WORD],
        [words(["a", "an"])],
        [words(["a"], op="?"), word("couple"), word("of", op="?")],
    )
    days_or_weeks = words(["day", "days", "week", "weeks", "wk", "wks"])
    payment_year = regex(rf"^'?({PAYMENT_YEAR4}|{PAYMENT_YEAR2})$")
    return _patterns(
        "date",
        [words(TODAY_SPELLINGS, ["yesterday"])],
        [tomorrow],
        [word("day"), word("after"), tomorrow],
        [word("this"), words(["morning", "afternoon", "evening"])],
        [words(["christmas", "xmas"])],
        # weekdays: "friday", "next fri", "this coming monday", "last friday";
        # "sat"/"sun"/"mon"/"wed" only after "next"/"this"/"last"
        [words(["next", "this", "last"], op="?"), safe_weekday],
        [word("this"), word("coming"), any_weekday],
        [words(["next", "this", "last"]), words(AMBIGUOUS_WEEKDAYS)],
        [any_weekday, word("next"), word("week")],
        [word("next"), word("week"), word("on", op="?"), any_weekday],
        [words(["next", "nxt", "last"]), words(["week", "wk", "month"])],
        [words(["this", "next"]), word("weekend")],
        [word("after"), word("the"), word("weekend")],
        [word("end"), word("of"), word("the", op="?"), words(["this", "next"], op="?"),
         words(["month", "week"])],
        [word("month"), word("-", op="?"), word("end")],
        *([word("in"), *n, days_or_weeks] for n in count),       # in 3 days, in two weeks
        *([*n, days_or_weeks, word("from"), words(["now", "today", "tomorrow"])] for n in count),
        *([*n, days_or_weeks, word("ago")] for n in count),       # 2 days ago
        [word("the", op="?"), regex(ORDINAL_DAY)],               # (on) the 15th
        [regex(DAY_SLASH_DAY)],                                  # 15/12, 12/15
        [regex(MONTH_NAME), word("the", op="?"), regex(DAY)],    # dec 3, december 3rd
        # no "the" before a day with a month: in "the 3rd of march 1985" the longer birth
        # date span must win, and it starts at "3rd"
        [regex(DAY), word("of", op="?"), regex(MONTH_NAME)],     # 3 december, 3rd of dec
        [regex(MONTH_NAME), word("the", op="?"), regex(DAY), word(",", op="?"), payment_year],
        [regex(DAY), word("of", op="?"), regex(MONTH_NAME), word(",", op="?"), payment_year],
        [regex(full_numeric_date(PAYMENT_YEAR4, PAYMENT_YEAR2))],  # 12/15/2026, 2026/12/15
        [regex(DAY_NUMBER), HYPHEN, regex(DAY_NUMBER), HYPHEN, payment_year],  # 12-15-2026
        [regex(rf"^{PAYMENT_YEAR4}$"), HYPHEN, regex(DAY_NUMBER), HYPHEN, regex(DAY_NUMBER)],
    )


def months_patterns() -> List[Pattern]:
    unit = words(MONTH_UNITS)
    per_month = (
        [words(INSTALMENT_WORDS)],
        [word("monthly"), words(["payments", "instalments", "installments"])],
    )
    return _patterns(
        "months",
        [regex(SMALL_COUNT), word("-", op="?"), unit],           # 3 months, 12 mo, 3-month
        # six months, twenty-four months; "one month" is a deferral, never a plan
        [FIRST_COUNT_WORD, words(NUMBER_WORDS, ["-"], op="*"), unit],
        [regex(MONTHS_GLUED)],                                   # 3mos
        *([regex(SMALL_COUNT), *tail] for tail in per_month),   # 3 instalments, 3 monthly payments
        *([FIRST_COUNT_WORD, *tail] for tail in per_month),
        [words(["a", "one", "1"]), word("year"), word("and"), word("a"), word("half")],
        [words(["a", "an"]), words(YEAR_UNITS)],                 # a year
        [regex(SMALL_COUNT), words(YEAR_UNITS)],
        [NUMBER_WORD, words(YEAR_UNITS)],
        [word("half"), word("a", op="?"), word("year")],
    )


def birth_date_patterns() -> List[Pattern]:
    birth_year = regex(rf"^'?({BIRTH_YEAR4}|{BIRTH_YEAR2})$")
    comma_year = [word(",", op="?"), word("'", op="?"), birth_year]
    return _patterns(
        "birth_date",
        [regex(full_numeric_date(BIRTH_YEAR4, BIRTH_YEAR2))],    # 12/03/1985, 22.08.1988, 1/12/99
        [regex(DAY_NUMBER), HYPHEN, regex(DAY_NUMBER), HYPHEN, birth_year],      # 03-12-85
        [regex(rf"^{BIRTH_YEAR4}$"), HYPHEN, regex(DAY_NUMBER), HYPHEN, regex(DAY_NUMBER)],
        [regex(MONTH_NAME), word("the", op="?"), regex(DAY), *comma_year],     # march 3rd, 1985
        [regex(DAY), word("of", op="?"), regex(MONTH_NAME), *comma_year],      # 3rd of march '85
    )


def id_last4_patterns() -> List[Pattern]:
    # Any standalone 4-digit token; with a currency or in a full date a longer span wins.
    return _patterns("id_last4", [{"IS_DIGIT": True, "LENGTH": 4}])


def english_patterns() -> List[Pattern]:
    """Every entity_ruler pattern for English, label by label."""
    return [
        *amount_patterns(), *date_patterns(), *months_patterns(),
        *birth_date_patterns(), *id_last4_patterns(),
    ]
