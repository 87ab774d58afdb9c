"""A shop that stopped answering holds no worker (stock pushes, and product pushes on no connection).

A push spends the adapter's retries (five attempts, backing off; a host that hangs costs a
connect timeout each) before it gives up on a shop that is down. Without a pause, every stock
movement in ERPNext would queue a job that spends them all again, one worker busy with a dead
shop for as long as it stays down, other shops' pushes waiting behind it.

After a push gave up on a shop (it could not connect, or answered 5xx, through every retry),
its pushes pause: 1 minute, then 2, 4... up to 15 while it keeps failing. During the pause a
push sends nothing and marks what it would have sent "not sent", as a failed push does: the
hourly catch-up sends it, or the first push after the pause. One push that reaches the shop ends
the pause. The state lives in Redis beside the pending sets, per ERP (``namespace``) and site.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from shopsync.woocommerce.errors import ConnectionFailed, ServerError

FIRST_PAUSE_SECONDS = 60
LONGEST_PAUSE_SECONDS = 15 * 60
#: consecutive failures are forgotten after an hour without one
FAILURES_TTL_SECONDS = 3600

log = logging.getLogger(__name__)

SITE_DOCTYPE = "WooCommerce Site"
#: the site's Connection status once a push reached the shop again after a pause
ANSWERED_A_PUSH = "The shop answered a push."

PAUSE_KEY = "shopsync:shop-paused:{site}"
FAILURES_KEY = "shopsync:shop-failures:{site}"


def gave_up(exc: BaseException, server_errors: bool = True) -> bool:
    """Whether ``exc`` says the shop did not answer through every retry (no connection, or 5xx),
    the adapter's last word on a call, and not already a pause's own refusal. ``server_errors``
    False for a call about one product: a 5xx there may be that product's alone (a plugin that
    fails on it), not the shop's; a batch push isolates such an item before it gives up."""
    kinds = (ConnectionFailed, ServerError) if server_errors else (ConnectionFailed,)
    return isinstance(exc, kinds) and getattr(exc, "kind", "") != "paused"


class ShopPause:
    def __init__(self, redis_conn: Any, namespace: str = ""):
        self.redis = redis_conn
        self.namespace = namespace

    def _key(self, template: str, site: str) -> str:
        return template.format(site=site) + (f"@{self.namespace}" if self.namespace else "")

    def paused(self, site: str) -> str | None:
        """Why pushes to ``site`` pause now ("until <UTC time>: <what the last push met>"), or None."""
        value = self.redis.get(self._key(PAUSE_KEY, site))
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def pause(self, site: str, reason: str, now: dt.datetime | None = None) -> int:
        """A push gave up on the shop: pause its pushes (seconds returned), longer each time."""
        failures_key = self._key(FAILURES_KEY, site)
        failures = int(self.redis.incr(failures_key))
        self.redis.expire(failures_key, FAILURES_TTL_SECONDS)
        seconds = min(LONGEST_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2 ** min(failures - 1, 10))
        until = (now or dt.datetime.now(dt.timezone.utc)) + dt.timedelta(seconds=seconds)
        self.redis.set(self._key(PAUSE_KEY, site), f"until {until:%H:%M:%S} UTC: {reason}"[:900], ex=seconds)
        return seconds

    def clear(self, site: str) -> bool:
        """A push reached the shop: no pause, and the count of failures starts again. True when
        the shop had failed a push before (there was something to clear)."""
        return bool(self.redis.delete(self._key(PAUSE_KEY, site), self._key(FAILURES_KEY, site)))

    def start(self, erp: Any, site: str, reason: str) -> str:
        """A push gave up on the shop: pause its pushes, log it, say it on the site's form.
        Returns why the pushes pause, in the words a paused push records."""
        seconds = self.pause(site, reason)
        log.warning("shopsync: pushes to %s pause for %s s: the shop did not answer", site, seconds)
        _tell_the_site(erp, site, False, reason)
        return self.paused(site) or f"for {seconds} s"

    def end(self, erp: Any, site: str) -> None:
        """A push reached the shop: the pause ends, and the site's form says it is connected
        again if a push had failed before."""
        if self.clear(site):
            _tell_the_site(erp, site, True)


def _tell_the_site(erp: Any, site: str, answered: bool, line: str = "") -> None:
    """The site's Connection status in the desk: "Not connected" with what the push met when a
    pause starts (the adapter's words, shown as text), "Connected" once a push gets through
    again. A status line is never worth failing a push for."""
    values = {"connection_ok": 1 if answered else 0, "connection_status": ANSWERED_A_PUSH if answered else line[:2000],
              "connection_checked_at": erp.now()}
    try:
        with erp.transaction():
            erp.set_values(SITE_DOCTYPE, site, values)
    except Exception as exc:  # noqa: BLE001
        log.warning("shopsync: connection status of %s not updated (%s)", site, type(exc).__name__)


class FailingShop:
    """Stands for the shop's client once it is known not to answer (its pushes pause, or this
    push's first request already spent every retry): every call fails at once with ``error``, so
    the push records what it would have sent as not sent and spends no more retries."""

    request_count = 0

    def __init__(self, error: Exception):
        self.error = error

    @classmethod
    def paused(cls, why: str) -> "FailingShop":
        return cls(ConnectionFailed(f"pushes to this shop pause {why}", kind="paused"))

    def iter(self, *args: Any, **kwargs: Any):
        raise self.error

    def batch(self, *args: Any, **kwargs: Any):
        raise self.error

    def batches(self, calls, stop=None):
        for n, _ in enumerate(calls):
            yield n, None, (self.error if n == 0 else None)
