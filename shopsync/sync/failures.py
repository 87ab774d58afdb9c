"""What kind of failure: one rule for every job, so a retry means the same everywhere."""

from __future__ import annotations


def is_transient(exc: BaseException) -> bool:
    """Whether the same work may succeed later: the shop unreachable, busy or limiting requests
    (the adapter's errors say so), the database locked (the port's), a failure the engine marked
    so, or a connection to a service (Redis, the database) that dropped."""
    if getattr(exc, "transient", False):
        return True
    # RQ's JobTimeoutException: the job ran out of time, the work may fit next time
    return any(cls.__name__ in TRANSIENT_NAMES for cls in type(exc).__mro__)


TRANSIENT_NAMES = {"ConnectionError", "TimeoutError", "Timeout", "JobTimeoutException"}


#: Errors of a job that met another job on the same record (a unique key taken a moment ago, a
#: document changed under it, a lock): a lost race, which the same work run again on fresh reads wins.
RACE_ERRORS = {"DuplicateEntryError", "UniqueValidationError", "TimestampMismatchError", "LockTimeout"}


def is_lost_race(exc: BaseException) -> bool:
    return any(cls.__name__ in RACE_ERRORS for cls in type(exc).__mro__)


class SyncFailure(Exception):
    """A document that cannot be synced as it is: ``reason`` says why in words a shop manager
    reads; ``retryable`` when the same work may succeed later (then it is transient)."""

    def __init__(self, reason: str, retryable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable

    @property
    def transient(self) -> bool:
        return self.retryable
