from decimal import Decimal

import pytest

from shopsync.sync.money import MoneyError, as_number, cents, dec, fmt, same_money, split_rate


def test_shop_strings_numbers_and_blanks_read_exactly():
    assert dec("15.12") == Decimal("15.12")
    assert dec("7.182") == Decimal("7.182")
    assert dec(7.56) == Decimal("7.56")  # line_items[].price is a JSON number
    assert dec(2) == Decimal(2)
    assert dec(None) == dec("") == Decimal(0)
    for bad in ("12,50 €", "abc", "NaN", True, [1]):
        with pytest.raises(MoneyError):
            dec(bad)


def test_rounding_is_half_away_from_zero_like_php():
    assert cents("1.665") == Decimal("1.67")
    assert cents("-1.665") == Decimal("-1.67")
    assert cents("3.024") == Decimal("3.02")
    assert cents(0.1 + 0.2) == Decimal("0.30")


def test_split_rate_keeps_every_cent():
    rate, rest = split_rate("10.00", 3)
    assert (rate, rest) == (Decimal("3.33"), Decimal("0.01"))
    assert rate * 3 + rest == Decimal("10.00")
    rate, rest = split_rate("15.12", 2)
    assert (rate, rest) == (Decimal("7.56"), Decimal("0"))
    rate, rest = split_rate("0.00", 1)  # a free line (100 % coupon)
    assert rate == 0 and rest == 0
    with pytest.raises(MoneyError):
        split_rate("1.00", 0)


def test_numbers_for_the_port_keep_their_decimal_text():
    assert as_number(Decimal("71.31")) == 71.31 and repr(as_number(Decimal("71.31"))) == "71.31"
    assert as_number(Decimal("3")) == 3 and isinstance(as_number(Decimal("3.00")), int)
    assert same_money(71.31, "71.31") and not same_money(71.3, "71.31")
    assert fmt("5") == "5.00"
