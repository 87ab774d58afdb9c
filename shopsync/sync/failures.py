"""What kind of failure: one rule for every job, so a retry means the same everywhere."""

from __future__ import annotations


def is_transient(exc: BaseException) -> bool:
    """Whether the same work may succeed later: the shop unreachable, busy or limiting requests
    (the adapter's errors say so), the database locked (the port's), a failure the engine marked
    so, or a connection to a service (Redis, the database) that dropped."""
    if getattr(exc, "transient", False):
        return True
    return type(exc).__name__ in {"ConnectionError", "TimeoutError", "Timeout"}
