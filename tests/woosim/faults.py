"""Fault injection and the latency cost model."""
from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = ("429", "500", "503", "cut", "timeout")


@dataclass
class CostModel:
    """Injected latency: the real shop took ~110 ms per request and ~50 ms per batch item.

    ``php_workers``: how many requests the shop serves at once (PHP-FPM's workers; 0 = no
    limit). A request waits for a free worker, then costs its latency there: with 4 workers and
    a second per batch, 5 batches sent 4 at a time take about 2 seconds, one at a time 5.
    ``peak`` is the most requests ever served at once.

    ``cpus``: the shop's processors (0 = as many as its workers). A request's cost is processor
    time: with more requests being served than processors, they share them (each advances at
    cpus / busy), as PHP and MariaDB on a 2-vCPU shop do; 4 requests at once on 2 cpus take twice
    their time."""

    per_request_ms: float = 0
    per_batch_item_ms: float = 0
    php_workers: int = 0
    peak: int = 0
    cpus: int = 0

    def seconds(self, batch_size: int) -> float:
        return (self.per_request_ms + self.per_batch_item_ms * max(batch_size, 0)) / 1000.0

    def serve(self, seconds: float, sleep) -> None:
        """Spend ``seconds`` of processor time inside :meth:`worker`, ``sleep`` being the
        simulator's sleep."""
        if self.cpus <= 0:
            sleep(seconds)
            return
        workers = _Workers.of(self)
        remaining = seconds
        while remaining > 1e-6:
            rate = min(1.0, self.cpus / max(1, workers.busy))
            step = min(0.01, remaining / rate)
            sleep(step)
            remaining -= step * rate

    def worker(self):
        """Held while a request is served (a PHP worker)."""
        return _Workers.of(self)


class _Workers:
    _lock = threading.Lock()
    _by_model: dict = {}

    def __init__(self, model: "CostModel"):
        self.model = model
        self.sem = threading.BoundedSemaphore(model.php_workers) if model.php_workers > 0 else None
        self.size = model.php_workers
        self.busy = 0
        self.count_lock = threading.Lock()

    @classmethod
    def of(cls, model: "CostModel") -> "_Workers":
        with cls._lock:
            w = cls._by_model.get(id(model))
            if w is None or w.model is not model or w.size != model.php_workers:
                w = cls._by_model[id(model)] = cls(model)
            return w

    def __enter__(self):
        if self.sem is not None:
            self.sem.acquire()
        with self.count_lock:
            self.busy += 1
            self.model.peak = max(self.model.peak, self.busy)
        return self

    def __exit__(self, *exc):
        with self.count_lock:
            self.busy -= 1
        if self.sem is not None:
            self.sem.release()


class Faults:
    """Queued faults, consumed in the order they were added by the first request that matches.

    kind:
      "429"      429 with Retry-After (``retry_after``, default 1) and a JSON error body; nothing applied.
      "500"      500 with WordPress' critical-error JSON body; nothing applied.
      "503"      503 HTML page from the web server (optional Retry-After); nothing applied.
      "cut"      status line, headers and half of the body are sent, then the connection is closed.
      "timeout"  the answer is held back ``delay`` seconds (default 30), longer than a client timeout.
    ``path``: only requests whose REST path starts with it ("products", "orders/45", or the full
    "/wp-json/wc/v3/products"). ``method``: only that HTTP method.
    ``applied`` (cut/timeout only): True (default) = the request is processed, only the answer is
    lost - the nasty case where a write happened but the client cannot know; False = nothing applied.
    """

    def __init__(self):
        self._items: list[dict] = []
        self._lock = threading.Lock()

    def add(self, kind, count: int = 1, path: str | None = None, retry_after: float | None = None,
            delay: float | None = None, method: str | None = None, applied: bool = True) -> None:
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {KINDS}")
        if path is not None:
            path = path.lstrip("/")
            if path.startswith("wp-json/wc/v3/"):
                path = path[len("wp-json/wc/v3/"):]
        with self._lock:
            self._items.append({"kind": kind, "remaining": count, "path": path, "retry_after": retry_after,
                                "delay": delay, "method": method.upper() if method else None, "applied": applied})

    def take(self, method: str, route: str) -> dict | None:
        with self._lock:
            for item in self._items:
                if item["path"] is not None and not route.startswith(item["path"]):
                    continue
                if item["method"] and item["method"] != method:
                    continue
                item["remaining"] -= 1
                if item["remaining"] <= 0:
                    self._items.remove(item)
                return dict(item)
        return None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    @property
    def pending(self) -> list[dict]:
        with self._lock:
            return [dict(i) for i in self._items]
