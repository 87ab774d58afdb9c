"""Frappe's number handling, as observed on the captured site.

``flt(x, precision)`` rounds half to even after removing float noise (System Settings
``rounding_method`` = "Banker's Rounding": 35.81 / 2 = 17.905 became 17.9 in golden f5b, where the
legacy method would give 17.91).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation


def flt(value, precision: int | None = None) -> float:
    """``frappe.utils.flt``: anything to float (0.0 when it is not a number), optionally rounded."""
    if value is None or value == "":
        num = 0.0
    elif isinstance(value, bool):
        num = float(value)
    elif isinstance(value, (int, float)):
        num = float(value)
    else:
        try:
            num = float(str(value).replace(",", "").strip())
        except ValueError:
            num = 0.0
    if math.isnan(num) or math.isinf(num):
        num = 0.0
    if precision is None:
        return num
    return rounded(num, precision)


def cint(value) -> int:
    """``frappe.utils.cint``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def rounded(num: float, precision: int = 0) -> float:
    """Banker's rounding (half to even) of ``num`` to ``precision`` decimals, float noise removed first."""
    multiplier = 10**precision
    scaled = round(num * multiplier, max(0, 9 - precision))
    if scaled == 0:
        return 0.0
    try:
        whole = Decimal(repr(scaled)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        return num
    return float(whole) / multiplier if precision else float(whole)


def remainder(numerator: float, denominator: float, precision: int = 2) -> float:
    multiplier = 10**precision
    if precision:
        value = ((numerator * multiplier) % (denominator * multiplier)) / multiplier
    else:
        value = numerator % denominator
    return flt(value, precision)


def round_based_on_smallest_currency_fraction(value: float, fraction: float, precision: int = 2) -> float:
    """``frappe.utils.round_based_on_smallest_currency_fraction`` with the currency's fraction given."""
    fraction = flt(fraction)
    if fraction:
        rem = remainder(value, fraction, precision)
        if rem > fraction / 2:
            value += fraction - rem
        else:
            value -= rem
    else:
        value = rounded(value)
    return flt(value, precision)


def fmt_float(value) -> str:
    """How Frappe shows a float in a message: ``str(float)`` ("15.0", "7.5")."""
    return str(flt(value))
