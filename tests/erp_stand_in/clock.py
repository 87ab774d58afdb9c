"""A controllable clock for the stand-in (the ERP's ``now()``)."""

from __future__ import annotations

import datetime as _dt
import threading

FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def parse(value: "str | _dt.datetime | _dt.date") -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    text = str(value).strip().replace("T", " ")
    for fmt in (FORMAT, "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return _dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"not a datetime: {value!r}")


class Clock:
    """Time that moves only when told to.

    ``now()`` is the current instant; ``stamp()`` gives the instant for a write, strictly later than
    the previous stamp (by a microsecond when the clock has not moved), so ``modified`` values differ
    between two saves, as they do on a real site. ``set()`` and ``advance()`` move the clock.
    """

    def __init__(self, start: "str | _dt.datetime" = "2026-11-23 17:33:00"):
        self._lock = threading.Lock()
        self._now = parse(start)
        self._last: _dt.datetime | None = None

    def now(self) -> _dt.datetime:
        with self._lock:
            return self._now

    def set(self, value: "str | _dt.datetime") -> None:
        with self._lock:
            self._now = parse(value)
            self._last = None

    def advance(self, seconds: float = 0, **kwargs) -> _dt.datetime:
        """Move forward (``advance(5)``, ``advance(minutes=2)``); returns the new time."""
        with self._lock:
            self._now = self._now + _dt.timedelta(seconds=seconds, **kwargs)
            if self._last is not None and self._last < self._now:
                self._last = None
            return self._now

    def stamp(self) -> str:
        with self._lock:
            t = self._now
            if self._last is not None and t <= self._last:
                t = self._last + _dt.timedelta(microseconds=1)
            self._last = t
            return t.strftime(FORMAT)

    def now_str(self) -> str:
        return self.now().strftime("%Y-%m-%d %H:%M:%S")

    def today(self) -> str:
        return self.now().strftime("%Y-%m-%d")

    def time(self) -> str:
        return self.now().strftime("%H:%M:%S.%f")
