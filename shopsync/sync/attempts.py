"""Attempts begun on a delivery and not yet written on its log entry, counted in Redis.

A delivery's job writes its log entry once, in the commit that ends the attempt (Done, Failed,
Queued for later...): no commit before the work only to say "Processing". That commit would cost
as much as a tenth of the Sales Order's own insert and submit, on every order. What it protected
is kept here instead: a job killed mid-way (its time limit, the out-of-memory killer) rolls back
everything it wrote in the ERP, but the attempt it began stays counted in Redis. The next job on
the entry (the sweeper queues it again) adds those attempts to the entry's own, so a delivery that
kills its worker every time ends Failed after ``MAX_ATTEMPTS`` instead of looping for ever.

The count lives beside the queue (the job's Redis), per ERP (``namespace``) and log entry, and is
dropped once an attempt is written on the entry. Without Redis (unit tests, the sandbox) it is
kept in the process.
"""

from __future__ import annotations

from typing import Any

KEY = "shopsync:attempts-begun:{entry}"
#: a count nobody came back for (the entry deleted, Redis flushed by hand) is forgotten after this
TTL_SECONDS = 7 * 24 * 3600


class BegunAttempts:
    def __init__(self, redis_conn: Any = None, namespace: str = ""):
        self.redis = redis_conn
        self.namespace = namespace
        self._here: dict[str, int] = {}

    def _key(self, entry: str) -> str:
        return KEY.format(entry=entry) + (f"@{self.namespace}" if self.namespace else "")

    def begin(self, entry: str) -> int:
        """An attempt on ``entry`` begins: how many are begun and not written on the entry, this one
        included (more than 1: a worker stopped during an earlier one)."""
        if self.redis is None:
            self._here[entry] = self._here.get(entry, 0) + 1
            return self._here[entry]
        pipe = self.redis.pipeline(transaction=True)
        pipe.incr(self._key(entry))
        pipe.expire(self._key(entry), TTL_SECONDS)
        begun, _ = pipe.execute()
        return int(begun)

    def written(self, entry: str) -> None:
        """The entry's own attempts count now holds them all (after the commit that wrote them)."""
        if self.redis is None:
            self._here.pop(entry, None)
        else:
            self.redis.delete(self._key(entry))
