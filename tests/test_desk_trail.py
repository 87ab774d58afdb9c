"""The audit trail is read-only in the desk, and the WooCommerce workspace points at what exists.

What a user meets: no "Add" button on the webhook log, the links or the delivery receipts, no
Save on their forms (the controllers refuse any save that is not shopsync's own: see
tests/bench_site/test_real_desk_trail.py for the real site), and a workspace whose cards,
shortcuts and links all open something.
"""

from __future__ import annotations

import json
import pathlib

import pytest

APP = pathlib.Path(__file__).resolve().parent.parent / "shopsync" / "shopsync"
TRAIL = ("woocommerce_webhook_log", "woocommerce_link", "woocommerce_delivery_receipt")


def _doctype(folder):
    return json.loads((APP / "doctype" / folder / f"{folder}.json").read_text())


@pytest.mark.parametrize("folder", TRAIL)
def test_no_role_creates_or_edits_the_trail_by_hand(folder):
    meta = _doctype(folder)
    assert meta["permissions"], "still readable"
    assert all(p.get("read") for p in meta["permissions"])
    assert not any(p.get("create") or p.get("write") for p in meta["permissions"]), meta["permissions"]
    assert meta.get("in_create") == 1
    editable = [f["fieldname"] for f in meta["fields"]
                if f["fieldtype"] not in ("Section Break", "Column Break", "Tab Break") and not f.get("read_only")]
    assert editable == []


def test_the_workspace_points_at_what_exists():
    ws = json.loads((APP / "workspace" / "woocommerce" / "woocommerce.json").read_text())
    doctypes = {json.loads(p.read_text())["name"] for p in (APP / "doctype").glob("*/*.json")}
    reports = {json.loads(p.read_text())["name"] for p in (APP / "report").glob("*/*.json")}
    cards = {json.loads(p.read_text())["name"]: json.loads(p.read_text()) for p in (APP / "number_card").glob("*/*.json")}
    assert ws["module"] == "ShopSync" and ws["public"] == 1
    for s in ws["shortcuts"]:
        assert s["link_to"] in (doctypes if s["type"] == "DocType" else reports), s
    for link in ws["links"]:
        if link["type"] == "Link":
            assert link["link_to"] in (reports if link["link_type"] == "Report" else doctypes), link
    assert {r["number_card_name"] for r in ws["number_cards"]} == set(cards)
    # the page draws a block by the label of its row (Frappe matches labels, not names)
    labels = {r["label"] for r in ws["number_cards"]} | {s["label"] for s in ws["shortcuts"]}
    blocks = json.loads(ws["content"])
    for block in blocks:
        name = block["data"].get("number_card_name") or block["data"].get("shortcut_name")
        if name:
            assert name in labels, name
    assert sum(1 for b in blocks if b["type"] == "number_card") == 4
    for card in cards.values():
        assert card["module"] == "ShopSync" and card["is_standard"] == 1
        if card["type"] == "Custom":
            assert card["method"] == "shopsync.desk.last_deliveries"
        else:
            assert card["document_type"] in doctypes
