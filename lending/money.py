"""Money as Decimal cents, parsed and formatted one way everywhere."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£"}


def to_money(value) -> Decimal:
    """A Decimal rounded to cents; refuses what is not a finite number."""
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    """'$1,250.40' for SMS and screens; unknown currencies keep their code."""
    symbol = SYMBOLS.get(currency.upper())
    text = f"{to_money(amount):,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"
