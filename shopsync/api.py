"""HTTP entry points: the webhook endpoint and the desk's whitelisted actions. Thin on purpose:
each one reads the request, calls the engine (``shopsync.sync``) and shapes the answer."""

from __future__ import annotations

import frappe
from frappe import _

from shopsync import jobs
from shopsync.jobs import frappe_runtime
from shopsync.sync import deliveries, intake
from shopsync.woocommerce.redacted import Headers, Payload


@frappe.whitelist(allow_guest=True, xss_safe=True, methods=["POST"])
def webhook():
    """Where a shop's webhooks deliver: ``/api/method/shopsync.api.webhook?site=<site>``.

    Takes no arguments on purpose: Frappe passes a JSON body's keys as keyword arguments, and
    nothing of a delivery may be used before its signature is checked on the raw bytes.
    Frappe itself answers 500 to a body that is not valid JSON before this code runs (see README).
    """
    request = frappe.request
    # From here on the body and the headers travel in types that print as placeholders, so no
    # traceback can carry a buyer's details or a replayable signature.
    raw = Payload(request.get_data(cache=True) or b"")
    headers = Headers(request.headers)
    # The site comes from the query string: with a JSON body Frappe leaves it out of form_dict.
    site = (request.args.get("site") or "")[:140]
    answer = intake.receive(frappe_runtime(cached_sites=True), site, raw, headers)  # never raises: 503 instead
    if answer.status >= 500:
        frappe.db.rollback()
    frappe.local.response.http_status_code = answer.status
    return answer.body()


def _site_doc(site: str):
    doc = frappe.get_doc("WooCommerce Site", site)
    doc.check_permission("write")
    return doc


@frappe.whitelist(methods=["POST"])
def test_connection(site: str | None = None, url: str | None = None, key: str | None = None, secret: str | None = None):
    """Test connection, from the form as it is (a new site, or keys typed and not saved yet)."""
    if site and frappe.db.exists("WooCommerce Site", site):
        doc = _site_doc(site)
    else:
        frappe.only_for("System Manager")
        doc = frappe.new_doc("WooCommerce Site")
    return doc.run_connection_test(url=url, key=key, secret=secret)


@frappe.whitelist(methods=["POST"])
def rotate_secret(site: str):
    return _site_doc(site).rotate_webhook_secret()


@frappe.whitelist(methods=["POST"])
def delete_site(site: str):
    doc = _site_doc(site)
    doc.check_permission("delete")
    return doc.delete_with_webhooks()


@frappe.whitelist(methods=["POST"])
def check_webhooks(site: str):
    return _site_doc(site).check_webhooks()


@frappe.whitelist(methods=["POST"])
def retry_deliveries(names):
    """The Retry button of the webhook log (one entry or a selection)."""
    frappe.only_for(("System Manager", "Sales Manager"))
    names = frappe.parse_json(names) if isinstance(names, str) else names
    if isinstance(names, str):
        names = [names]
    report = deliveries.retry(frappe_runtime(), names)
    lines = [_("{0} deliveries queued again").format(len(report.queued))]
    for name, why in report.refused.items():
        lines.append(_("{0} not retried: {1}").format(frappe.utils.escape_html(name), _(why)))
    frappe.msgprint("<br>".join(lines), alert=not report.refused)
    return len(report.queued)


@frappe.whitelist(methods=["POST"])
def start_import(name: str):
    doc = frappe.get_doc("WooCommerce Import", name)
    doc.check_permission("write")
    doc.start()
    return doc.status


def _queue(site: str, method: str, job_id: str, queued_message: str, **kwargs):
    """Every job a desk button starts: through the one wrapper (``shopsync.jobs.enqueue``), which
    runs it as the site's "Create documents as" user on the long queue with its time limit."""
    _site_doc(site)
    if jobs.enqueue(method, job_id=job_id, queue="long", site_name=site, **kwargs):
        return {"message": queued_message, "ok": True}
    return {"message": _("Already queued or running for {0}: its result will show on the site form.").format(
        frappe.utils.escape_html(site)), "ok": True}


@frappe.whitelist(methods=["POST"])
def catch_up_orders(site: str):
    return _queue(site, "shopsync.jobs.catch_up_orders", f"shopsync:catch_up_orders:{site}",
                  _("Catch-up queued: its result goes to the site's comments and the webhook log."))


# --- products ------------------------------------------------------------------------------------

def _runtime_and_site(site: str):
    _site_doc(site)
    rt = frappe_runtime()
    config = rt.load_site(site)
    return rt, config, rt.client_for(config)


@frappe.whitelist(methods=["POST"])
def preview_product_sync(site: str):
    """What the first (or a full) product sync would do; nothing written."""
    from shopsync.sync import products

    rt, config, client = _runtime_and_site(site)
    return products.preview_first_sync(rt.erp, config, client).as_dict()


@frappe.whitelist(methods=["POST"])
def run_product_sync(site: str, keep: str | None = None):
    return _queue(site, "shopsync.jobs.first_product_sync", f"shopsync:products:{site}",
                  _("Product sync queued: progress shows on the site form."), keep=keep if keep in ("shop", "erp") else False)


def _queue_site_job(site: str, action: str, **kwargs):
    """Whole-catalogue work runs in a job (a shop of 10,000 products outlasts a web request);
    its result comes back as a message to whoever clicked and a comment on the site."""
    return _queue(site, "shopsync.jobs.site_action", f"shopsync:{action}:{site}",
                  _("Queued: the result will show here and in the site's comments."),
                  action=action, user=frappe.session.user, **kwargs)


@frappe.whitelist(methods=["POST"])
def associate_by_sku(site: str, keep: str | None = None):
    return _queue_site_job(site, "associate_by_sku", keep=keep or None)


@frappe.whitelist(methods=["POST"])
def resync(site: str, winner: str, links=None):
    """Resync a selection of links (at once), or the whole site (in a job); ``winner`` is shop or erp."""
    from shopsync.sync import products

    if winner not in ("shop", "erp"):
        frappe.throw(_("Choose which side wins: shop or erp"))
    links = frappe.parse_json(links) if isinstance(links, str) else links
    if not links:
        return _queue_site_job(site, "resync", winner=winner)
    rt, config, client = _runtime_and_site(site)
    return {"message": products.resync(rt.erp, config, client, winner, links=links).summary(), "ok": True}


@frappe.whitelist(methods=["POST"])
def push_all_stock(site: str):
    return _queue(site, "shopsync.jobs.push_all_stock", f"shopsync:push_all_stock:{site}",
                  _("Stock push queued: progress shows on the site form."))


@frappe.whitelist(methods=["POST"])
def blacklist(site: str, item_code: str | None = None, product_id: int = 0, variation_id: int = 0, reason: str = ""):
    from shopsync.sync import products

    _site_doc(site)
    rt = frappe_runtime()
    with rt.erp.transaction():
        entry = products.blacklist_add(rt.erp, site, item_code=item_code or "", product_id=int(product_id or 0),
                                       variation_id=int(variation_id or 0), reason=reason)
    return entry["name"]


@frappe.whitelist()
def item_links(item_code: str):
    """The Item form's indicator: this item's link on every site ("#Woo: 68", state)."""
    from shopsync.sync import product_mapping

    frappe.has_permission("Item", "read", item_code, throw=True)
    enabled = frappe.get_all("WooCommerce Site", filters={"enabled": 1}, pluck="name")
    rows = frappe.get_all("WooCommerce Link", filters={"link_type": "Item", "erp_name": item_code, "site": ["in", enabled or [""]]},
                          fields=["site", "woo_id", "woo_variation_id", "state", "last_error"])
    for row in rows:
        row["label"] = product_mapping.woo_label(row.woo_id, row.woo_variation_id)
    return rows


@frappe.whitelist(methods=["POST"])
def push_stock_differences(site: str):
    return _queue_site_job(site, "push_differences")


# --- stock, the first day: two ways out, each previewed --------------------------------------------

@frappe.whitelist(methods=["POST"])
def preview_opening_stock(site: str):
    """What Import the shop's stock as opening stock would put in its draft; nothing written."""
    from shopsync.sync import stock

    rt, config, client = _runtime_and_site(site)
    try:
        return stock.preview_opening_stock(rt.erp, config, client).as_dict()
    except stock.StockSetUpError as exc:
        frappe.throw(frappe.utils.escape_html(str(exc)))


@frappe.whitelist(methods=["POST"])
def import_opening_stock(site: str):
    return _queue_site_job(site, "import_opening_stock")


@frappe.whitelist(methods=["POST"])
def preview_erp_quantities(site: str):
    """What Push ERPNext's quantities would send, and how many products it takes to 0."""
    from shopsync.sync import stock

    rt, config, client = _runtime_and_site(site)
    return stock.preview_erp_quantities(rt.erp, config, client).as_dict()


@frappe.whitelist(methods=["POST"])
def push_erp_quantities(site: str):
    return _queue_site_job(site, "push_erp_quantities")


@frappe.whitelist()
def item_list_states(item_codes):
    """The Item list's pills: for the items on screen, their link on every site."""
    from shopsync.sync import product_mapping

    item_codes = frappe.parse_json(item_codes) if isinstance(item_codes, str) else item_codes
    allowed = set(frappe.get_list("Item", filters={"name": ["in", list(item_codes or [])[:500]]}, pluck="name"))
    out: dict = {}
    if not allowed:
        return out
    enabled = frappe.get_all("WooCommerce Site", filters={"enabled": 1}, pluck="name")
    for row in frappe.get_all("WooCommerce Link", filters={"link_type": "Item", "erp_name": ["in", list(allowed)], "site": ["in", enabled or [""]]},
                              fields=["erp_name", "site", "woo_id", "woo_variation_id", "state"], order_by="site asc"):
        out.setdefault(row.erp_name, []).append(
            {"site": row.site, "state": row.state, "label": product_mapping.woo_label(row.woo_id, row.woo_variation_id)}
        )
    return out


# --- orders: the Sales Order form ---------------------------------------------------------------

@frappe.whitelist()
def order_link(sales_order: str):
    """The Sales Order form's WooCommerce line: the order it comes from, on which site, its state."""
    frappe.has_permission("Sales Order", "read", sales_order, throw=True)
    rows = frappe.get_all("WooCommerce Link", filters={"link_type": "Order", "erp_name": sales_order},
                          fields=["site", "woo_id", "state", "last_error"], limit=1)
    return rows[0] if rows else None


@frappe.whitelist(methods=["POST"])
def amend_from_shop(sales_order: str):
    """Amend from the shop: the Sales Order cancelled and amended with its order as the shop has it
    now, in a job. Refused at once, with the reason, while it is delivered, invoiced or paid."""
    from shopsync.sync import orders

    doc = frappe.get_doc("Sales Order", sales_order)
    doc.check_permission("cancel")
    link = order_link(sales_order)
    if not link:
        frappe.throw(_("This Sales Order does not come from a WooCommerce order"))
    if doc.docstatus != 1:
        frappe.throw(_("Only a submitted Sales Order can be amended from the shop"))
    blocker = orders.amend_blocker(frappe_runtime().erp, doc.as_dict())
    if blocker:
        frappe.throw(_("Sales Order {0} cannot be amended from the shop: {1}").format(
            frappe.utils.escape_html(sales_order), frappe.utils.escape_html(blocker)))
    site = link["site"]
    if jobs.enqueue("shopsync.jobs.amend_from_shop", job_id=f"shopsync:amend:{sales_order}", queue="short",
                    site_name=site, sales_order=sales_order, user=frappe.session.user):
        frappe.msgprint(_("Amend from the shop queued: the result shows here and in the Sales Order's comments."), alert=True)
        return True
    frappe.msgprint(_("Amend from the shop is already queued or running for {0}.").format(frappe.utils.escape_html(sales_order)), alert=True)
    return False


#: links a user may undo by hand: an order's link is what keeps it one Sales Order (a later delivery
#: of the order would make a second one), a refund's what keeps it one credit note: never unlinked
UNLINKABLE = ("Item", "Customer", "Address")


@frappe.whitelist(methods=["POST"])
def unlink(name: str):
    """Unlink: the link record goes, the ERP document and the shop's object stay as they are."""
    link = frappe.get_doc("WooCommerce Link", name)
    link.check_permission("delete")
    if link.link_type not in UNLINKABLE:
        frappe.throw(_("A link of kind {0} is never unlinked: it is what keeps the shop's {1} #{2} from making a second document.")
                     .format(_(link.link_type), _(link.link_type).lower(), link.woo_id))
    frappe.delete_doc("WooCommerce Link", name, ignore_permissions=True)  # permission checked above
    if link.erp_doctype and link.erp_name and frappe.db.exists(link.erp_doctype, link.erp_name):
        frappe.get_doc(link.erp_doctype, link.erp_name).add_comment(
            "Info", _("Unlinked from #{0} of WooCommerce site {1} by {2}").format(
                link.woo_id, frappe.utils.escape_html(link.site), frappe.session.user))
    return _("Unlinked. {0} and the shop's #{1} stay as they are; a product sync may link them again by SKU: blacklist the product to keep them apart.").format(
        frappe.utils.escape_html(link.erp_name or ""), link.woo_id)
