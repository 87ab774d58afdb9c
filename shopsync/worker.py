"""``bench shopsync-worker``: Frappe's own RQ worker, started with what an order job imports
already imported.

Frappe 15's worker forks a work horse for every job, and a plain ``bench worker`` imports nothing
of ERPNext before it forks: every horse imports ERPNext's Sales Order module, and the selling,
accounts and stock controllers it pulls in, cold. On the real site that cost 0.5 to 1.8 s per
job, more than the job itself. Imported once in the worker, those modules are shared by every
horse it forks (Frappe freezes the garbage collector before forking for this very reason, and its
own ``worker-pool`` pre-loads Frappe's modules the same way). Everything after the imports is
Frappe's ``start_worker``: the same queues, time limits, retries and logs; any app's job runs in it.

A module that does not import (another ERPNext release, Dokos) is reported and skipped: the horse
then imports it itself, as under ``bench worker``.
"""

from __future__ import annotations

import importlib
import pathlib
import pkgutil
import time

#: ERPNext's and Frappe's modules, one per line (the documents' controllers, then what a real order
#: job imported beyond them): a data file, refreshed from a real site
ERP_MODULES_FILE = pathlib.Path(__file__).with_name("worker_modules.txt")

#: shopsync's own packages, imported whole: the engine, the adapter, the port, the doctype controllers
APP_PACKAGES = ("shopsync.sync", "shopsync.woocommerce", "shopsync.erp", "shopsync.shopsync")
APP_MODULES = ("shopsync.jobs", "shopsync.events", "shopsync.desk", "rapidfuzz.fuzz")


def erp_modules() -> list[str]:
    lines = ERP_MODULES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def modules_to_preload() -> list[str]:
    """Every module name the worker imports before it forks, in order."""
    names = erp_modules() + list(APP_MODULES)
    for package_name in APP_PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        # a subpackage that cannot import without frappe is skipped here and reported by preload
        names.extend(info.name for info in pkgutil.walk_packages(package.__path__, package_name + ".", onerror=lambda _: None))
    return names


def preload(names=None) -> tuple[list[str], list[tuple[str, str]], float]:
    """Import ``names`` (default: ``modules_to_preload()``); returns the modules imported, the ones
    that failed with why, and the seconds it took. Never raises: a worker must start."""
    started = time.monotonic()
    loaded: list[str] = []
    failed: list[tuple[str, str]] = []
    try:
        names = modules_to_preload() if names is None else names
    except Exception as exc:  # a package of shopsync itself failed: keep the ERP modules
        failed.append(("shopsync", f"{type(exc).__name__}: {exc}"))
        names = erp_modules()
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:
            failed.append((name, f"{type(exc).__name__}: {exc}"))
        else:
            loaded.append(name)
    return loaded, failed, time.monotonic() - started
