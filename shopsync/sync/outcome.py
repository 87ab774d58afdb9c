"""What one delivery's work did: the one result type the engine returns and the log stores.

Every delivery handler (:data:`shopsync.sync.deliveries.HANDLERS`: orders, products, customers)
returns an :class:`Outcome`, and the job that ran it writes ``outcome.log_values()`` on the
"WooCommerce Webhook Log" entry, with nothing read or rebuilt in between. The entry's fields are
the ones users know: ``status`` (Done, Skipped or Failed), ``outcome`` (what was done or why it was
skipped), ``error`` (why it failed).

An engine with finer words of its own keeps them on its outcome and says once how they read in the
log: an order's import returns an :class:`~shopsync.sync.orders.OrderOutcome` (created, updated,
cancelled, skipped, failed, needs attention), which is an Outcome, so the catch-up counts it by
its own words and the log stores it as it is.

``retryable``: a failure that may pass on its own (the shop or the database busy): the entry is
queued again with backoff instead of failing (:func:`shopsync.sync.deliveries.process_entry`).
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Callable, Iterator

DONE, SKIPPED, FAILED = "Done", "Skipped", "Failed"


class Outcome:
    """``status``: Done, Skipped or Failed; ``message``: what happened, in a sentence."""

    def __init__(self, status: str, message: str = "", *, retryable: bool = False,
                 error: BaseException | None = None):
        self.status = status
        self.message = message
        self.retryable = retryable
        self.error = error

    def __repr__(self) -> str:
        return f"Outcome({self.status!r}, {self.message!r}{', retryable=True' if self.retryable else ''})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return (self.status, self.message, self.retryable) == (other.status, other.message, other.retryable)

    __hash__ = None  # type: ignore[assignment]

    # --- how it reads in the log (an engine with its own words overrides these two) -------------
    @property
    def log_status(self) -> str:
        return self.status

    @property
    def log_text(self) -> str:
        return self.message

    @property
    def failed(self) -> bool:
        return self.log_status == FAILED

    def log_values(self) -> dict[str, Any]:
        """The log entry's fields for this outcome."""
        if self.failed:
            return {"status": FAILED, "error": self.log_text or "failed", "outcome": None}
        return {"status": self.log_status, "outcome": self.log_text or None, "error": None}


# --- the log entry written in the work's own transaction -------------------------------------------

_record: contextvars.ContextVar[Callable[[Outcome], None] | None] = contextvars.ContextVar("shopsync_record", default=None)


@contextlib.contextmanager
def recorded_by(record: Callable[[Outcome], None]) -> Iterator[None]:
    """While a delivery's handler runs: how its outcome is written on the delivery's log entry
    (:func:`shopsync.sync.deliveries.process_entry`)."""
    token = _record.set(record)
    try:
        yield
    finally:
        _record.reset(token)


def record_in_transaction(outcome: Outcome) -> Outcome:
    """A handler's last step inside the transaction that did its work: ``outcome`` is what that work
    comes to once it commits. The delivery's log entry is written in the same transaction, so the
    Sales Order and the entry that says it was made land in one commit, or neither does. When the
    handler then returns the same outcome the job writes nothing more; another outcome (a later
    step failed) is written over it. Outside a delivery's job it does nothing."""
    record = _record.get()
    if record is not None:
        record(outcome)
    return outcome
