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

from typing import Any

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
