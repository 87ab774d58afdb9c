"""Checks of the desk a shop owner lives in (issue 15), run inside a real bench (see in_site.py:
``bench.run("desk_checks:<check>", ...)``). Each returns plain JSON-able data."""

from __future__ import annotations

import json

import frappe

LOG = "WooCommerce Webhook Log"
LINK = "WooCommerce Link"


def log_entries(site):
    return frappe.get_all(LOG, filters={"site": site}, fields=["name", "status", "resource_id", "outcome_code", "outcome_args"],
                          order_by="creation asc")


def plant_outcomes(site):
    """A Skipped and a needs-attention entry as the engine writes them (through the ERP port, with
    their codes), for the list's default filter and indicators."""
    from shopsync.jobs import frappe_runtime
    from shopsync.sync import outcome_codes

    erp = frappe_runtime().erp
    now = frappe.utils.now()
    made = {}
    for status, rid, text in (
        ("Skipped", 880001, "stale: modified 2026-12-01 10:00:00 GMT, the ERP holds 2026-12-01 11:00:00"),
        ("Failed", 880002, "Needs attention: cancelled in the shop, but Sales Order SO-DEMO cannot be cancelled: "
                           "it is delivered (100 %): make a return in the ERP"),
    ):
        doc = {"doctype": LOG, "site": site, "topic": "order.updated", "resource": "order", "event": "updated",
               "resource_id": rid, "status": status, "received_at": now, "finished_at": now,
               "payload": json.dumps({"id": rid}), "body_sha256": frappe.generate_hash(), "dedupe_key": frappe.generate_hash(),
               ("error" if status == "Failed" else "outcome"): text, **outcome_codes.as_values(status, text)}
        made[status] = erp.insert(doc)["name"]
    frappe.db.commit()
    return made


def save_as_administrator(name):
    """An Administrator (every permission) saving a log entry from the desk: refused all the same."""
    doc = frappe.get_doc(LOG, name)
    doc.error = "edited by hand"
    try:
        doc.save()
    except frappe.PermissionError as exc:
        frappe.db.rollback()
        return {"refused": True, "message": str(exc)}
    return {"refused": False}


def french_user(email="shopsync-francais@example.test"):
    """A System Manager who reads the desk in French."""
    from tests.bench_site.site_checks import desk_user

    made = desk_user(email)
    frappe.db.set_value("User", email, "language", "fr")
    frappe.db.commit()
    frappe.clear_cache(user=email)
    return made


def workspace():
    doc = frappe.get_doc("Workspace", "WooCommerce")
    return {"cards": [r.number_card_name for r in doc.number_cards], "shortcuts": [r.link_to for r in doc.shortcuts],
            "module": doc.module}


def last_deliveries(lang="en"):
    from shopsync import desk

    frappe.local.lang = lang
    return desk.last_deliveries()


def any_item():
    return frappe.get_all("Item", pluck="name", limit=1)[0]


def links_of(site):
    return frappe.get_all(LINK, filters={"site": site}, fields=["name", "link_type", "erp_doctype", "erp_name", "woo_id"])


def unlink_left(name, erp_doctype, erp_name):
    """After an Unlink: is the link gone, does the ERP document stay, what did its timeline get?"""
    comments = frappe.get_all("Comment", filters={"reference_doctype": erp_doctype, "reference_name": erp_name,
                                                   "comment_type": "Info"}, pluck="content")
    return {"link": bool(frappe.db.exists(LINK, name)), "document": bool(frappe.db.exists(erp_doctype, erp_name)),
            "comments": comments}
