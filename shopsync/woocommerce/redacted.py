"""Values that keep their secret out of tracebacks.

Frappe's Error Log prints every frame's local variables (``get_traceback(with_context=True)``) and
hides only those *named* like a password or a secret. A request body holding a webhook secret, or
a dict of fields to update, would be printed whole. These types print as a placeholder while
behaving as the plain value everywhere else (json, hmac, requests)."""

from __future__ import annotations

PLACEHOLDER = "********"


class Secret(str):
    """A str whose repr hides it (``str()``, formatting, json and comparisons see the value)."""

    def __repr__(self) -> str:
        return repr(PLACEHOLDER)


class Payload(bytes):
    """A request body that may carry a secret: its repr says only how long it is."""

    def __repr__(self) -> str:
        return f"<request body, {len(self)} bytes>"


def secret(value: str | None) -> Secret:
    return value if isinstance(value, Secret) else Secret(value or "")


class Headers(dict):
    """Request headers that may carry a signature (a replayable capture) or a key: the repr
    names the headers only."""

    def __repr__(self) -> str:
        return f"<request headers: {', '.join(sorted(map(str, self)))}>"
