"""ERP -> shop for orders: a Sales Order fully delivered in the ERP marks its order completed.

Only when the site asks for it (``push_order_status``). Called by a job queued after a Delivery
Note is submitted; it reads the Sales Orders the note delivered and calls the shop outside any ERP
transaction. The shop's own order.updated delivery that follows comes back through the intake and
is recognised as nothing to do (the Sales Order already stands).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from shopsync.erp.port import ERP
from shopsync.sync.links import LINK_DOCTYPE
from shopsync.sync.site import SiteConfig
from shopsync.woocommerce.errors import WooError

DONE_STATUSES = ("completed", "cancelled", "refunded", "failed")


@dataclasses.dataclass
class StatusPush:
    completed: list[int] = dataclasses.field(default_factory=list)
    left: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (sales order, why)
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (sales order, the shop's error)


def sales_orders_of_delivery(erp: ERP, delivery_note: str) -> set[str]:
    rows = erp.find("Delivery Note Item", {"parent": delivery_note, "parenttype": "Delivery Note"}, fields=("against_sales_order",))
    return {r["against_sales_order"] for r in rows if r.get("against_sales_order")}


def push_delivered(erp: ERP, site: SiteConfig, client: Any, sales_orders: Iterable[str]) -> StatusPush:
    report = StatusPush()
    if not site.push_order_status:
        return report
    for name in sorted(set(sales_orders)):
        links = erp.find(LINK_DOCTYPE, {"site": site.name, "link_type": "Order", "erp_name": name}, fields=("woo_id",))
        if not links:
            continue
        so = erp.get("Sales Order", name)
        if so.get("docstatus") != 1 or float(so.get("per_delivered") or 0) < 100:
            report.left.append((name, "not fully delivered"))
            continue
        woo_id = int(links[0]["woo_id"])
        try:  # one order the shop refuses, or a shop down, never stops the others
            current = client.get(f"orders/{woo_id}")
            if current.get("status") in DONE_STATUSES:
                report.left.append((name, f"already {current.get('status')} in the shop"))
                continue
            client.put(f"orders/{woo_id}", {"status": "completed"})
        except WooError as exc:
            report.failed.append((name, str(exc)))
            continue
        report.completed.append(woo_id)
    return report
