"""Money as the shop and the ERP see it: ``decimal.Decimal``, never binary floats in the arithmetic.

WooCommerce sends money as strings with the shop's decimals (``"15.12"``), a few figures as JSON
numbers (``line_items[].price``) and per-line tax detail with more decimals (``"7.182"``). Every
figure the engine reads goes through :func:`dec`; every figure it compares or writes is quantized
with :func:`cents` (half away from zero, as PHP's ``round`` and WooCommerce do).

The ERP port takes plain numbers: :func:`as_number` turns an exact 2-decimal ``Decimal`` into a
float whose ``repr`` is that same figure (a 2-decimal value round-trips through a float exactly as
far as Frappe's ``flt(value, 2)`` is concerned).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Iterable

CENT = Decimal("0.01")
ZERO = Decimal("0")


class MoneyError(ValueError):
    """A figure that is not a number."""


def dec(value: Any) -> Decimal:
    """A ``Decimal`` from what the shop or the ERP sent: str, int, float, Decimal, None or ""."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise MoneyError(f"not a figure: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr() gives the shortest text that reads back as the same float: 7.56 -> "7.56"
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            out = Decimal(value.strip())
        except InvalidOperation:
            raise MoneyError(f"not a figure: {value!r}") from None
        if not out.is_finite():
            raise MoneyError(f"not a figure: {value!r}")
        return out
    raise MoneyError(f"not a figure: {value!r}")


def cents(value: Any, quantum: Decimal = CENT) -> Decimal:
    """Rounded to the cent (or ``quantum``), half away from zero."""
    return dec(value).quantize(quantum, rounding=ROUND_HALF_UP)


def total(values: Iterable[Any]) -> Decimal:
    out = ZERO
    for v in values:
        out += dec(v)
    return out


def split_rate(line_total: Any, qty: Any, quantum: Decimal = CENT) -> tuple[Decimal, Decimal]:
    """``(rate, remainder)`` such that ``rate * qty + remainder == line_total`` exactly.

    ``rate`` has the currency's precision (the ERP rounds a Sales Order rate to it: a rate with
    more decimals would be rounded on save anyway); ``remainder`` is what that rounding leaves,
    at most half a cent per unit.
    """
    amount = dec(line_total)
    q = dec(qty)
    if q == 0:
        raise MoneyError("quantity 0")
    rate = (amount / q).quantize(quantum, rounding=ROUND_HALF_UP)
    return rate, amount - rate * q


def as_number(value: Decimal) -> float | int:
    """What the ERP port takes: an int when whole, else a float with the same decimal text."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def same_money(a: Any, b: Any, quantum: Decimal = CENT) -> bool:
    """Equal once both are rounded to the cent (the ERP hands back floats)."""
    return cents(a, quantum) == cents(b, quantum)


def fmt(value: Any) -> str:
    """``"71.31"``: for messages and notes."""
    return f"{cents(value):.2f}"
