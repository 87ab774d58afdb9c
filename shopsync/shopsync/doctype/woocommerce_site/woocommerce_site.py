"""Controller of a WooCommerce Site: one shop. Thin: the engine does the work."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document

from shopsync.sync import site as site_rules
from shopsync.sync import webhooks
from shopsync.woocommerce.signature import generate_secret


class WooCommerceSite(Document):
    def validate(self):
        try:
            site_rules.validate_site_name(self.site_name)
        except ValueError as exc:
            frappe.throw(str(exc), title=_("Invalid site name"))
        self.woocommerce_url = (self.woocommerce_url or "").strip()
        if not self.woocommerce_url.startswith(("http://", "https://")):
            frappe.throw(_("The shop URL must start with https:// (or http:// for a test shop)"))
        if not self.woocommerce_url.endswith("/"):
            self.woocommerce_url += "/"
        statuses = [s.strip() for s in (self.order_statuses or "").split(",") if s.strip()]
        self.order_statuses = ",".join(statuses or site_rules.DEFAULT_ORDER_STATUSES)
        if self.item_group and frappe.db.get_value("Item Group", self.item_group, "is_group"):
            frappe.throw(_("Item group {0} is a group node: choose one that holds items, such as Products").format(self.item_group))
        if not self.get_password("webhook_secret", raise_exception=False):
            self.webhook_secret = generate_secret()
        try:
            site_rules.validate_rotation(
                self.get_password("webhook_secret", raise_exception=False) or "", self.secret_rotated_at or "", frappe.utils.now()
            )
        except ValueError as exc:
            frappe.throw(str(exc), title=_("Webhook secret"))
        if not self.endpoint_url:  # generated on first save, then fixed: the shop's webhooks point at it
            self.endpoint_url = site_rules.endpoint_url(frappe.utils.get_url(), self.site_name)
        for row in self.warehouses:
            company = frappe.db.get_value("Warehouse", row.warehouse, "company")
            if company and company != self.company:
                frappe.throw(_("Warehouse {0} belongs to {1}, not to {2}").format(row.warehouse, company, self.company))

    def on_update(self):
        frappe.cache().delete_value("shopsync:enabled_sites")
        # The shop is called after the commit, in a job run as the site's user: a save never
        # waits on the shop.
        from shopsync import jobs

        jobs.enqueue("shopsync.jobs.check_webhooks", job_id=f"shopsync:check_webhooks:{self.name}", queue="short",
                     site_name=self.name)

    def _refuse_delete_with_links(self):
        # Links tie ERP documents to this shop: keep them, and the site, unless there are none.
        if frappe.db.exists("WooCommerce Link", {"site": self.name}):
            frappe.throw(
                _("{0} has linked documents: disable it instead of deleting it.").format(self.name),
                frappe.LinkExistsError,
            )

    def on_trash(self):
        self._refuse_delete_with_links()
        frappe.cache().delete_value("shopsync:enabled_sites")
        frappe.db.delete("WooCommerce Webhook Log", {"site": self.name})
        frappe.db.delete("WooCommerce Blacklist Entry", {"site": self.name})
        if frappe.flags.shopsync_webhooks_deleted != self.name:
            # Frappe deletes a document's passwords before on_trash runs, so the shop can no
            # longer be called from here: "Delete with webhooks" (delete_with_webhooks) does it first.
            frappe.msgprint(
                _("The shop's webhooks for {0} were not deleted. Delete them in WooCommerce > Settings > Advanced > Webhooks (delivery URL {1}), or use Delete with webhooks next time.").format(self.name, self.endpoint_url),
                indicator="orange",
            )

    # --- helpers ---------------------------------------------------------------------------------
    def _config(self):
        from shopsync.jobs import load_site

        return load_site(self.name)

    def _client(self):
        from shopsync.jobs import client_for

        return client_for(self._config())

    # --- desk actions (shopsync.api) --------------------------------------------------------------
    def delete_with_webhooks(self):
        """Delete the shop's webhooks for this site, then the site (refused first, before the
        shop is touched, when the site has links)."""
        self._refuse_delete_with_links()
        report = webhooks.delete_webhooks(self._config(), self._client())
        frappe.flags.shopsync_webhooks_deleted = self.name
        frappe.delete_doc(self.doctype, self.name)
        return {"actions": report.actions}

    def run_connection_test(self, url=None, key=None, secret=None):
        """Call the shop with the form's values (saved or not) and say plainly what is wrong.
        The stored secret goes only to the stored URL with the stored key (a typed URL needs a
        typed key and secret); only a test of the stored values updates the connection status."""
        from shopsync.jobs import private_hosts_allowed
        from shopsync.sync import connection_test
        from shopsync.woocommerce import WooClient

        saved = not self.is_new()
        stored = {"stored_url": "", "stored_key": "", "stored_secret": ""}
        if saved:  # what is in the database, not what the request may have put on this document
            row = frappe.db.get_value(self.doctype, self.name, ["woocommerce_url", "consumer_key"], as_dict=True) or {}
            stored = {"stored_url": row.get("woocommerce_url") or "", "stored_key": row.get("consumer_key") or "",
                      "stored_secret": self.get_password("consumer_secret", raise_exception=False) or ""}
        allowed = private_hosts_allowed()
        result = connection_test.run(lambda u, k, s: WooClient(u, k, s, allow_private_hosts=allowed),
                                     url=url, key=key, secret=secret, **stored)
        if saved and result.stored:
            # stored as the shop said it; the form escapes it and says when (woocommerce_site.js)
            self.set_connection(result.ok, result.message)
        return result.as_dict()

    def set_connection(self, ok, message):
        """The Connection status: what is true now, and when it was checked (the form says "checked
        5 minutes ago"). Every writer goes through here: the test, the webhook check, the hourly job."""
        self.db_set({"connection_status": message, "connection_ok": 1 if ok else 0,
                     "connection_checked_at": frappe.utils.now()}, update_modified=False)

    def rotate_webhook_secret(self):
        """A new secret, committed before the shop is called; the old one stays accepted for 24
        hours, and until then every hourly check writes the new one to the shop's webhooks again,
        so a rotation cut short by the shop going down finishes by itself."""
        self.previous_webhook_secret = self.get_password("webhook_secret", raise_exception=False) or ""
        self.webhook_secret = generate_secret()
        self.secret_rotated_at = frappe.utils.now()
        self.save()
        frappe.db.commit()
        try:
            report = webhooks.ensure_webhooks(self._config(), self._client(), rotate_secret=True)
        except Exception as exc:  # noqa: BLE001 - the hourly check finishes the rotation
            return {"actions": [_("The new secret is saved; the shop could not be reached ({0}). The hourly check will write it to the webhooks; the old secret is accepted until then.").format(exc)]}
        self._store_webhook_rows(report)
        return {"actions": report.actions}

    def check_webhooks(self, client=None):
        # One check per site at a time: the check queued by a save and one started by hand (or
        # the hourly one) would otherwise both find a topic missing and both create it. A Redis
        # lock, not a row lock: the check waits on the shop, and a user saving the form must not.
        with frappe.cache().lock(f"shopsync:check_webhooks:{frappe.local.site}:{self.name}", timeout=600,
                                 blocking_timeout=300):
            return self._check_webhooks(client)

    def _check_webhooks(self, client=None):
        from shopsync.erp.frappe_erp import FrappeERP

        config = self._config()
        # every webhook not known to hold the current secret gets it, however old the rotation
        report = webhooks.ensure_webhooks(config, client or self._client())
        self._store_webhook_rows(report, webhooks.last_deliveries(FrappeERP(), self.name))
        news = [a for a in report.actions if "new secret" not in a]  # rewrites during a rotation's grace
        if news:
            self.add_comment("Info", _("Webhooks: {0}").format(frappe.utils.escape_html("; ".join(news))))
        return {"actions": report.actions, "rows": report.rows}

    def _store_webhook_rows(self, report, last=None):
        last = last or {}
        now = frappe.utils.now()
        frappe.db.delete("WooCommerce Site Webhook", {"parent": self.name, "parenttype": self.doctype})
        for idx, row in enumerate(report.rows, 1):
            frappe.get_doc(
                {
                    "doctype": "WooCommerce Site Webhook", "parent": self.name, "parenttype": self.doctype,
                    "parentfield": "webhooks", "idx": idx, "topic": row["topic"],
                    "woo_webhook_id": int(row["woo_webhook_id"]), "status": row["status"],
                    "secret_hash": row.get("secret_hash") or "",
                    "last_delivery_at": last.get(row["topic"]), "checked_at": now,
                }
            ).db_insert()
        frappe.db.set_value(self.doctype, self.name, "last_health_check_at", now, update_modified=False)
