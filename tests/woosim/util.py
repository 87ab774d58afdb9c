"""Small helpers that reproduce how WordPress/WooCommerce format things."""
from __future__ import annotations

import datetime as _dt
import json
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

try:  # Europe/Paris like the captured shop; fixed +1 h when tzdata is missing.
    from zoneinfo import ZoneInfo

    SHOP_TZ: _dt.tzinfo = ZoneInfo("Europe/Paris")
except Exception:  # pragma: no cover - depends on the machine
    SHOP_TZ = _dt.timezone(_dt.timedelta(hours=1))

CENT = Decimal("0.01")


def wp_json(obj) -> str:
    """wp_json_encode(): non-ASCII as \\uXXXX and '/' as '\\/', no spaces."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def dec(value) -> Decimal:
    """A money/number input (str, int, float, Decimal, None, '') as Decimal."""
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return Decimal(0)


def round2(value) -> Decimal:
    """PHP round($x, 2): half away from zero."""
    return dec(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value) -> str:
    """wc_format_decimal($x, 2): the '16.80' strings of the REST API."""
    d = round2(value)
    if d == 0:
        d = Decimal("0.00")
    return format(d, "f")


def php_num(value) -> str:
    """How PHP prints a float stored as a string: '3.024', '0.5', '6', '0'."""
    d = dec(value)
    if d == 0:
        return "0"
    text = format(d.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def json_number(value):
    """A Decimal as the JSON number PHP would emit (int when integral)."""
    d = dec(value)
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def price_html(amount) -> str:
    """wc_price() for EUR with ',' decimals and the symbol after a no-break space."""
    text = money(amount).replace(".", ",")
    int_part, _, frac = text.partition(",")
    # thousands separator is a space in the captured shop
    neg = int_part.startswith("-")
    digits = int_part.lstrip("-")
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    int_part = ("-" if neg else "") + " ".join(groups)
    return (
        '<span class="woocommerce-Price-amount amount"><bdi>'
        f"{int_part},{frac}&nbsp;"
        '<span class="woocommerce-Price-currencySymbol">&euro;</span></bdi></span>'
    )


def sale_price_html(regular, sale) -> str:
    plain = lambda a: money(a).replace(".", ",") + "&nbsp;&euro;"  # noqa: E731
    return (
        f'<del aria-hidden="true">{price_html(regular)}</del> '
        f'<span class="screen-reader-text">Original price was: {plain(regular)}.</span>'
        f'<ins aria-hidden="true">{price_html(sale)}</ins>'
        f'<span class="screen-reader-text">Current price is: {plain(sale)}.</span>'
    )


def slugify(text: str) -> str:
    """sanitize_title(): accents removed, lower case, runs of other characters as '-'."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower()
    text = re.sub(r"[^a-z0-9_\-]+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-")
    return text


def wpautop(text: str) -> str:
    """The bit of wpautop() visible in the captures: a paragraph and a trailing newline."""
    text = (text or "").strip()
    if not text:
        return ""
    if not text.startswith("<p>"):
        text = f"<p>{text}</p>"
    return text + "\n"


def fmt_dt(value: _dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def local_and_gmt(ts: float) -> tuple[str, str]:
    """(local, gmt) 'YYYY-MM-DDTHH:MM:SS' strings for a Unix timestamp."""
    utc = _dt.datetime.fromtimestamp(int(ts), tz=_dt.timezone.utc)
    return fmt_dt(utc.astimezone(SHOP_TZ)), fmt_dt(utc)


_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?((?:[+-]\d{2}:?\d{2}|Z))?$"
)


def parse_rest_date(value: str, as_gmt: bool) -> _dt.datetime | None:
    """rest_parse_date(); returns a naive datetime in the compared column's zone, or None."""
    m = _DATE_RE.match(str(value).strip())
    if not m:
        return None
    try:
        naive = _dt.datetime(*(int(m.group(i)) for i in range(1, 7)))
    except ValueError:
        return None
    tz = m.group(8)
    if not tz:
        return naive
    if tz == "Z":
        aware = naive.replace(tzinfo=_dt.timezone.utc)
    else:
        sign = 1 if tz[0] == "+" else -1
        hh, mm = int(tz[1:3]), int(tz[-2:])
        aware = naive.replace(tzinfo=_dt.timezone(sign * _dt.timedelta(hours=hh, minutes=mm)))
    target = _dt.timezone.utc if as_gmt else SHOP_TZ
    return aware.astimezone(target).replace(tzinfo=None)


def parse_stored(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    return _dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
