"""The shop's echoes of shopsync's own pushes, recognised before they cost a job.

Every quantity shopsync pushes comes back as a ``product.updated`` delivery: WooCommerce saves the
product and delivers it. Such a delivery only carries what shopsync just wrote; storing it and
running a job for it (1-1.5 s on a real site, on the queue the orders use) does nothing.

So what a push wrote is remembered per site and object id, for a quarter of an hour, in Redis:
the fingerprint of the object as the shop answered the batch (every field but its modification
dates and links; descriptions as their text, since a delivery carries them rendered). A ``product.updated`` whose body has the same fingerprint is the echo: the
intake answers 200 and keeps nothing. A body that differs in anything (a name, a price, a
quantity changed in the shop meanwhile) has another fingerprint and is processed as ever.
Plain Python (no ``frappe``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any, Iterable, Mapping

log = logging.getLogger(__name__)

#: how long a push's answer is remembered (WooCommerce delivers within seconds, a busy
#: Action Scheduler within minutes)
ECHO_TTL = 15 * 60
KEY = "shopsync:echo:{site}:{id}"
#: what changes at every save without being a change of the product, and what only one of the
#: two forms carries (a batch answers in the "edit" context, a delivery is the "view" one)
VOLATILE = frozenset({"date_modified", "date_modified_gmt", "_links", "generated_slug", "permalink_template"})
#: rendered in the view context (wpautop: <p>...</p> and new lines added): compared as their text
RENDERED = frozenset({"description", "short_description"})
_TAG = re.compile(r"<[^>]*>|\s+")


def _canon(key: str, value: Any) -> Any:
    if key in RENDERED and isinstance(value, str):
        return _TAG.sub("", value)
    if key == "average_rating":
        try:
            return float(value or 0)
        except (TypeError, ValueError):
            return value
    return value


def fingerprint(obj: Mapping[str, Any]) -> str:
    kept = {k: _canon(k, v) for k, v in obj.items() if k not in VOLATILE}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class EchoMemory:
    def __init__(self, redis_conn: Any, namespace: str = "", ttl: int = ECHO_TTL):
        self.redis = redis_conn
        self.namespace = namespace
        self.ttl = ttl

    def key(self, site: str, obj_id: Any) -> str:
        return KEY.format(site=site, id=obj_id) + (f"@{self.namespace}" if self.namespace else "")

    def remember(self, site: str, objects: Iterable[Mapping[str, Any]]) -> int:
        """The objects as the shop answered a push (rows without an error). Never raises."""
        try:
            pipe = self.redis.pipeline(transaction=False)
            n = 0
            for obj in objects:
                if isinstance(obj, Mapping) and obj.get("id") and not obj.get("error"):
                    pipe.set(self.key(site, obj["id"]), fingerprint(obj), ex=self.ttl)
                    n += 1
            if n:
                pipe.execute()
            return n
        except Exception as exc:  # noqa: BLE001 - without it the echo is processed as before
            log.warning("shopsync: could not remember a push's answer (%s)", type(exc).__name__)
            return 0

    def is_echo(self, site: str, payload: Mapping[str, Any]) -> bool:
        """Does ``payload`` carry nothing but what shopsync itself just pushed? Never raises
        (Redis down: not an echo, the delivery is processed)."""
        try:
            stored = self.redis.get(self.key(site, payload.get("id")))
        except Exception:  # noqa: BLE001
            return False
        if stored is None:
            return False
        stored = stored.decode() if isinstance(stored, bytes) else stored
        return stored == fingerprint(payload)
