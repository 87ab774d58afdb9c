"""Text for the desk: whatever a shop sent is text, never HTML.

The desk shows messages (msgprint, comments, realtime messages, read-only text fields, report
cells) as HTML. Anything that may hold a shop's words (product or customer names, error bodies,
webhook topics) goes through :func:`escape` on its way there; numbers that come from a shop are
cast with :func:`shop_id` so an "id" can only ever be a number.
"""

from __future__ import annotations

import html
from typing import Any, Iterable


def escape(text: Any) -> str:
    """``text`` as HTML-safe text (``&``, ``<``, ``>``, quotes escaped); None is ''."""
    if text is None:
        return ""
    return html.escape(str(text), quote=True)


def escape_lines(lines: Iterable[Any]) -> list[str]:
    return [escape(line) for line in lines]


def shop_id(value: Any) -> int:
    """A shop's object id as an int (0 when it is not a number)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
