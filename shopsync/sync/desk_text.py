"""Text for the desk: whatever a shop sent is text, never HTML.

The desk shows messages (msgprint, comments, realtime messages, read-only text fields, report
cells) as HTML. Anything that may hold a shop's words (product or customer names, error bodies,
webhook topics) goes through :func:`escape` on its way there.
"""

from __future__ import annotations

import html
from typing import Any


def escape(text: Any) -> str:
    """``text`` as HTML-safe text (``&``, ``<``, ``>``, quotes escaped); None is ''."""
    if text is None:
        return ""
    return html.escape(str(text), quote=True)
