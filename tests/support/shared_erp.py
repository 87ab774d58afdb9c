"""One in-memory ERP shared by several processes, as one database is by a bench's workers.

The stand-in (``tests.erp_stand_in.MemoryERP``) lives in a server process of its own
(``multiprocessing.managers``); the test process and every worker process reach it over a local
socket through :class:`RemoteERP`, which implements the ERP port. A transaction holds the
stand-in's lock from ``begin`` to ``commit``/``rollback`` (the server serves each connection in a
thread of its own), so transactions are serial, as with a database whose rows they all touch;
what a job read *before* its transaction may be stale by the time it writes, exactly the window
in which two real workers meet on one item.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import secrets
import threading
from multiprocessing.managers import BaseManager
from typing import Any, Iterator

_local = threading.local()


class ERPService:
    """Runs in the server process: the stand-in, plus transactions driven from outside."""

    def __init__(self) -> None:
        from tests.erp_stand_in import MemoryERP

        self.erp = MemoryERP.with_test_shop()
        self.erp.ignore_links_on_delete.add("WooCommerce Link")

    def call(self, method: str, args: tuple, kwargs: dict) -> Any:
        return getattr(self.erp, method)(*args, **kwargs)

    def begin(self) -> None:
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        cm = self.erp.transaction()
        cm.__enter__()
        stack.append(cm)

    def commit(self) -> None:
        _local.stack.pop().__exit__(None, None, None)

    def rollback(self) -> None:
        cm = _local.stack.pop()
        try:
            cm.__exit__(RuntimeError, RuntimeError("rolled back by the client"), None)
        except RuntimeError:
            pass


_service: ERPService | None = None


def _get_service() -> ERPService:
    global _service
    if _service is None:
        _service = ERPService()
    return _service


class _Manager(BaseManager):
    pass


_Manager.register("service", callable=_get_service)


class SharedERP:
    """The server process. ``address`` and ``authkey`` let other processes connect."""

    def __init__(self) -> None:
        self.authkey = secrets.token_bytes(16)
        self._manager = _Manager(address=("127.0.0.1", 0), authkey=self.authkey,
                                 ctx=multiprocessing.get_context("spawn"))

    def start(self) -> "SharedERP":
        self._manager.start()
        return self

    @property
    def address(self) -> tuple[str, int]:
        return self._manager.address

    def stop(self) -> None:
        self._manager.shutdown()

    def client(self) -> "RemoteERP":
        return RemoteERP.connect(self.address, self.authkey)


class RemoteERP:
    """The ERP port over the shared stand-in (any method of ``MemoryERP`` by name)."""

    def __init__(self, proxy: Any) -> None:
        self._proxy = proxy

    @classmethod
    def connect(cls, address: tuple[str, int], authkey: bytes) -> "RemoteERP":
        manager = _Manager(address=tuple(address), authkey=authkey)
        manager.connect()
        return cls(manager.service())

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self._proxy.begin()
        try:
            yield
        except BaseException:
            self._proxy.rollback()
            raise
        self._proxy.commit()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def remote(*args: Any, **kwargs: Any) -> Any:
            return self._proxy.call(name, args, kwargs)

        return remote
