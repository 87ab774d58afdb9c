"""The desk a shop owner lives in: what the WooCommerce workspace, the Item form and the site form
ask of the server beyond the engine's own buttons (shopsync.api). Thin, like api.py.

- :func:`boot_session`: the sentences of stored outcomes and of WooCommerce's error codes, which
  the desk renders in the user's language (shopsync.sync.outcome_codes, shopsync.sync.shop_errors);
- the number card of the last successful delivery per site;
- the Item form's Resync, on every site the item is linked on;
- how many documents a whole-site action touches, said before it runs.
"""

from __future__ import annotations

import frappe
from frappe import _

from shopsync.sync.desk_text import escape

SITE = "WooCommerce Site"
LOG = "WooCommerce Webhook Log"
LINK = "WooCommerce Link"


def boot_session(bootinfo):
    from shopsync.sync import outcome_codes, shop_errors

    bootinfo.shopsync_outcomes = outcome_codes.TEMPLATES
    bootinfo.shopsync_shop_errors = shop_errors.MEANINGS


def outcome_text(code: str | None, args) -> str:
    """A stored outcome in the user's language (reports, comments): the Python twin of the desk's
    ``shopsync.outcome_text``."""
    from shopsync.sync import outcome_codes

    return outcome_codes.render(code, args, translate=_)


def shop_error_text(text: str | None) -> str:
    """A stored error of the shop, said in words (translated) when its code is known, else as is."""
    from shopsync.sync import shop_errors

    meaning = shop_errors.meaning(text)
    return _(meaning) if meaning else (text or "")


@frappe.whitelist()
def last_deliveries(filters=None):
    """The number card "Last successful delivery": for each enabled site, when its shop's last
    delivery was carried out (Done), in words ("5 minutes ago"). A number card shows one figure; a
    date per site is what the owner checks each morning, so this card shows a short list."""
    frappe.has_permission(LOG, "read", throw=True)
    sites = frappe.get_all(SITE, filters={"enabled": 1}, pluck="name", order_by="name asc")
    if not sites:
        return f'<div class="text-muted" style="font-size: var(--text-base)">{escape(_("No shop enabled"))}</div>'
    last = dict(frappe.db.sql(
        f"select site, max(finished_at) from `tab{LOG}` where status = 'Done' and site in %(sites)s group by site",
        {"sites": sites},
    ))
    lines = []
    for site in sites:
        when = last.get(site)
        said = frappe.utils.pretty_date(when) if when else _("none yet")
        title = frappe.utils.format_datetime(when) if when else ""
        lines.append(f'<div class="ellipsis" title="{escape(title)}">{escape(site)} · {escape(said)}</div>')
    return '<div style="font-size: var(--text-base); font-weight: normal; line-height: 1.6">' + "".join(lines) + "</div>"


def _site(site: str):
    doc = frappe.get_doc(SITE, site)
    doc.check_permission("write")
    return doc


@frappe.whitelist()
def site_scope(site: str) -> dict:
    """How many documents the whole-site actions of ``site`` touch: said in their confirmations."""
    doc = _site(site)
    items = frappe.db.count(LINK, {"site": site, "link_type": "Item", "state": ["!=", "Not linked"]})
    return {
        "item_links": items,
        "webhooks": len(doc.get("webhooks") or []),
        "links": frappe.db.count(LINK, {"site": site}),
        "orders_since": doc.get("orders_cursor") or "",
    }


@frappe.whitelist()
def item_sites(item_code: str) -> list[str]:
    """The enabled sites ``item_code`` is linked on (the Item form's WooCommerce menu)."""
    frappe.has_permission("Item", "read", item_code, throw=True)
    enabled = frappe.get_all(SITE, filters={"enabled": 1}, pluck="name")
    return sorted(set(frappe.get_all(LINK, filters={"link_type": "Item", "erp_name": item_code,
                                                    "site": ["in", enabled or [""]]}, pluck="site")))


def result_text(result) -> str:
    """A product run's result in the user's language ("1 item updated, 1 product updated")."""
    parts = []
    for label, rows in (
        (_("item(s) created"), result.created_items), (_("item(s) updated"), result.updated_items),
        (_("product(s) created"), result.created_products), (_("product(s) updated"), result.updated_products),
        (_("linked"), result.linked), (_("out of sync"), result.out_of_sync), (_("unlinked"), result.unlinked),
        (_("set to draft"), result.drafted), (_("errors"), result.errors),
    ):
        if rows:
            parts.append(f"{len(rows)} {label}")
    text = ", ".join(parts) or _("already in sync: nothing to change")
    details = [r.detail for r in list(result.errors) + list(result.out_of_sync) if getattr(r, "detail", "")]
    if details:
        text += " (" + "; ".join(shop_error_text(d) for d in details[:3]) + ")"
    return text


@frappe.whitelist(methods=["POST"])
def resync_item(item_code: str, winner: str):
    """The Item form's WooCommerce > Resync: this item on every enabled site it is linked on, the
    shop's or ERPNext's version winning. Returns one line per site, in the user's language."""
    from shopsync.jobs import frappe_runtime
    from shopsync.sync import products

    if winner not in ("shop", "erp"):
        frappe.throw(_("Choose which side wins: shop or erp"))
    frappe.has_permission("Item", "write", item_code, throw=True)
    rt = frappe_runtime()
    lines = []
    for site in item_sites(item_code):
        _site(site)
        config = rt.load_site(site)
        client = rt.client_for(config)
        try:
            result = products.resync(rt.erp, config, client, winner, item_codes=[item_code])
            lines.append(_("{0}: {1}").format(escape(site), escape(result_text(result))))
        except products.ProductSyncError as exc:
            lines.append(_("{0}: {1}").format(escape(site), escape(str(exc))))
        finally:
            close = getattr(client, "close", None)
            if callable(close):
                close()
    if not lines:
        lines.append(_("This item is not linked on any enabled WooCommerce site."))
    return lines


@frappe.whitelist()
def item_pills(item_codes):
    """The Item list's pills for the items on screen: their links on every enabled site
    (shopsync.api.item_list_states) and, for an item linked nowhere, whether it would go to a shop
    on its own (enabled, a sales item, in an Item Group a site maps to a category): such an item
    gets a grey "Not linked" pill, the others none."""
    from shopsync import api

    states = api.item_list_states(item_codes) or {}
    codes = frappe.parse_json(item_codes) if isinstance(item_codes, str) else list(item_codes or [])
    unlinked = [c for c in codes[:500] if c not in states]
    eligible: list[str] = []
    if unlinked:
        sites = frappe.get_all(SITE, filters={"enabled": 1}, pluck="name")
        groups = set(frappe.get_all("WooCommerce Category Map", filters={"parenttype": SITE, "parent": ["in", sites or [""]]},
                                    pluck="item_group"))
        if groups:
            rows = frappe.get_list("Item", filters={"name": ["in", unlinked], "disabled": 0, "is_sales_item": 1},
                                   fields=["name", "item_group", "variant_of"])
            templates = {r.variant_of for r in rows if r.variant_of}
            template_groups = dict(frappe.get_all("Item", filters={"name": ["in", list(templates) or [""]]},
                                                  fields=["name", "item_group"], as_list=True))
            eligible = [r.name for r in rows
                        if (template_groups.get(r.variant_of) if r.variant_of else r.item_group) in groups]
    return {"links": states, "eligible": eligible}


def describe_stored_outcomes(batch: int = 1000) -> int:
    """Entries written before outcomes were stored as codes get theirs, read from their text (the
    patch shopsync.patches.desk_outcomes_and_titles). Returns how many were described."""
    from shopsync.sync import outcome_codes

    done = 0
    while True:
        rows = frappe.get_all(LOG, filters={"outcome_code": ["is", "not set"], "status": ["in", ["Done", "Skipped", "Failed"]]},
                              fields=["name", "status", "outcome", "error"], limit_page_length=batch)
        if not rows:
            return done
        for row in rows:
            text = row.error if row.status == "Failed" else row.outcome
            frappe.db.set_value(LOG, row.name, outcome_codes.as_values(row.status, text), update_modified=False)
        done += len(rows)
        frappe.db.commit()


def title_imports() -> None:
    """Imports made before they had a title get one (site · kind · dates)."""
    for name in frappe.get_all("WooCommerce Import", filters={"title": ["is", "not set"]}, pluck="name"):
        doc = frappe.get_doc("WooCommerce Import", name)
        frappe.db.set_value("WooCommerce Import", name, "title", doc.make_title(), update_modified=False)


def refuse_hand_edits(doc) -> None:
    """The webhook log and the links are records of what happened: shopsync writes them through
    the ERP port (``ignore_permissions``); a save from the desk or the REST API, even an
    Administrator's, is refused. Retry, Resync and the site's actions are the way to change them."""
    if not doc.flags.ignore_permissions:
        frappe.throw(_("{0} is a record of what happened: it cannot be created or edited by hand.").format(_(doc.doctype)),
                     frappe.PermissionError)
