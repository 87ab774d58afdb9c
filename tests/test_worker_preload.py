"""``bench shopsync-worker`` imports before it forks what every order job would otherwise import
cold in its work horse. Whether that list covers a real order job on real ERPNext is checked on
the real site (tests/bench_site/test_real_worker.py); here: the worker always starts, and every
module of shopsync's engine and adapter is among those imported."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from shopsync import worker

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_a_module_missing_from_this_erp_is_reported_and_the_rest_still_imported():
    # a Dokos or another ERPNext release may lack one of ERPNext 15's modules: the worker starts
    loaded, failed, seconds = worker.preload(["json", "erpnext_not_here.selling.sales_order", "shopsync.sync.money"])
    assert loaded == ["json", "shopsync.sync.money"]
    assert [name for name, _ in failed] == ["erpnext_not_here.selling.sales_order"]
    assert "ModuleNotFoundError" in failed[0][1]
    assert seconds >= 0


def test_every_engine_and_adapter_module_is_imported_before_the_fork():
    names = set(worker.modules_to_preload())
    for package in ("sync", "woocommerce", "erp"):
        for path in (ROOT / "shopsync" / package).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            dotted = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
            assert dotted in names, f"{dotted} would be imported cold by every work horse"
    assert "shopsync.jobs" in names and "erpnext.selling.doctype.sales_order.sales_order" in names
    assert "shopsync.shopsync.doctype.woocommerce_webhook_log.woocommerce_webhook_log" in names


def test_without_frappe_the_engine_preloads_and_the_frappe_side_is_reported():
    # a fresh interpreter with no frappe: the engine's modules all import (they never import
    # frappe); only the modules of Frappe's side (jobs, events, the port over frappe, ERPNext's)
    # are reported, and nothing raises
    code = ("import json; from shopsync import worker; loaded, failed, s = worker.preload();"
            "print(json.dumps([sorted(loaded), sorted(n for n, _ in failed)]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    import json

    loaded, failed = json.loads(out.stdout.strip().splitlines()[-1])
    assert "shopsync.sync.orders" in loaded and "shopsync.woocommerce.client" in loaded
    assert not any(name.startswith(("shopsync.sync", "shopsync.woocommerce")) for name in failed), failed
    assert "shopsync.jobs" in failed and "shopsync.erp.frappe_erp" in failed
