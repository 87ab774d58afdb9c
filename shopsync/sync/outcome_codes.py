"""What happened to a delivery, as data: a code and its values, rendered in the user's language.

The handlers say what they did in an English sentence (:class:`shopsync.sync.outcome.Outcome`'s
``log_text``: the entry's outcome or error). Where a log entry is written
(:func:`shopsync.sync.deliveries.process_entry`, the intake, the sweeper), that sentence is read
once into a code and its values (:func:`describe`) and both are stored beside it
(``outcome_code``, ``outcome_args``). The desk renders ``TEMPLATES[code]`` translated, with the
values put in (``__(template, args)`` in the list and the form, ``_(template).format(*args)`` in
Python); the English sentence stays on the entry as it was written, for search and support.

A sentence no rule knows keeps a generic code (``done``, ``skipped``, ``failed``) whose template
is the sentence itself: nothing is lost, it is only not translated.

Values are what the shop or the ERP named (ids, document names, statuses, dates): never
translated, always shown as text.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

#: code -> the English template, with {0}, {1}... for the values. Each is a row of fr.csv.
TEMPLATES: dict[str, str] = {
    # Done
    "order_created": "Sales Order {0} created",
    "order_updated": "Sales Order {1} updated: {0}",
    "order_cancelled": "Sales Order {1} cancelled ({0} in the shop)",
    "order_amended": "Re-opened in the shop: {0} amended as {1}",
    "order_changed_amended": "Changed in the shop: {0} amended as {1} ({2})",
    "customer_imported": "Customer {0} created",
    "customer_found": "Customer {0} found and updated",
    "customer_unlinked": "Customer #{0} deleted in the shop: {1} is no longer linked (it stays)",
    "product_synced": "Product synced: {0}",
    "product_out_of_sync": "{0} is out of sync: {1}",
    "product_unlinked": "{0} moved to the trash in the shop: item(s) {1} no longer linked",
    # Skipped
    "duplicate": "Already imported, unchanged (a repeat of a delivery already applied)",
    "stale": "Older than what ERPNext holds (this delivery: {0} GMT, ERPNext: {1} GMT)",
    "stale_product": "{0}: older than the product already synced (this delivery: {1}, synced: {2})",
    "echo": "{0}: nothing changed since the last sync (often the echo of shopsync's own change)",
    "no_change": "No change to the Sales Order",
    "not_ours_product": "{0} is not linked and this site does not take products from the shop",
    "not_ours_status": "Order status {0} is not imported by this site",
    "not_ours_status_kept": "Order status {0} is not imported by this site; Sales Order {1} left as it is",
    "blacklisted": "{0} is on the blacklist of site {1}",
    "cancelled_before_import": "{0} in the shop before it was imported",
    "already_cancelled": "{0} in the shop; Sales Order {1} was already cancelled",
    "deleted_before_import": "Order #{0} deleted in the shop before it was imported",
    "deletion_not_confirmed": "{0} is still in the shop: the deletion was not applied",
    "deleted_not_linked": "{0} deleted in the shop; it was not linked",
    "site_disabled": "The site is disabled",
    "shop_sent_error": "The shop sent its error instead of the {0}: {1}",
    "no_product": "No product in the delivery ({0})",
    "nothing_to_do": "Nothing to do",
    # Failed
    "needs_attention_cancel": "Needs attention: {0} in the shop, but Sales Order {1} cannot be cancelled: {2}",
    "needs_attention_changed": "Needs attention: the order changed in the shop but Sales Order {0} is submitted: amend it in ERPNext ({1})",
    "needs_attention_not_amended": "Needs attention: the order changed in the shop but Sales Order {0} cannot be amended: {1}; once that is dealt with, use Amend from the shop on it ({2})",
    "erp_refused": "ERPNext refused: {0}",
    "webhook_other_topic": "Webhook #{0} of site {1} is for {2}, not {3}: nothing was done with the delivery",
    "webhook_unknown": "Webhook #{0} does not exist in the shop of site {1}: nothing was done with the delivery",
    "webhook_elsewhere": "Webhook #{0} of the shop delivers elsewhere, not to site {1}: nothing was done with the delivery",
    "headers_disagree": "The delivery's headers disagree with each other: nothing was done with it",
    "body_not_resource": "The headers say {0} but the signed body is something else: nothing was done with it",
    "malformed": "The delivery's body is not valid JSON: {0}",
    "no_webhook_id": "The delivery names no webhook of this site",
    "unknown_topic": "Unknown topic {0}",
    "no_id": "The delivery holds no id",
    "worker_stopped": "The worker stopped during the job; queued again",
    "worker_stopped_again": "The worker stopped during the job {0} times in a row: not run again (Retry runs it)",
    "shop_unreachable": "The shop could not be reached: {0}",
    # no rule matched: the sentence as written
    "done": "{0}",
    "skipped": "{0}",
    "failed": "{0}",
}

#: Failed entries with these codes are orders ERPNext would not let shopsync change: the user acts
#: in ERPNext (re-open, return, amend), not in the shop. The desk shows them orange, not red.
NEEDS_ATTENTION = ("needs_attention_cancel", "needs_attention_changed", "needs_attention_not_amended")

_WOO = r"(#Woo: [0-9/]+)"

#: (status, code, pattern): the first match wins; the pattern's groups are the values.
RULES: list[tuple[str, str, str]] = [
    # --- orders (shopsync.sync.orders) -------------------------------------------------------------
    ("Done", "order_created", r"created: Sales Order (\S+?)(?:\. .*)?$"),
    ("Done", "order_amended", r"updated: re-opened in the shop: amended (\S+) as (\S+?)(?:\. .*)?$"),
    ("Done", "order_changed_amended", r"updated: changed in the shop: amended (\S+) as (\S+?)\. Sales Order \S+?(?:\. (.*))?$"),
    ("Done", "order_updated", r"updated: (.*?)\. Sales Order (\S+?)(?:\. .*)?$"),
    ("Done", "order_cancelled", r"cancelled: (\S+) in the shop\. Sales Order (\S+?)(?:\. .*)?$"),
    ("Skipped", "stale", r"stale: modified (.+?) GMT, the ERP holds (.+?)$"),
    ("Skipped", "duplicate", r"already imported(?:, unchanged)?$"),
    ("Skipped", "no_change", r"no change to the Sales Order(?:\. .*)?$"),
    ("Skipped", "not_ours_status_kept", r"status '([^']*)' is not imported by this site; Sales Order (\S+) left as it is"),
    ("Skipped", "not_ours_status", r"status '([^']*)' is not imported by this site$"),
    ("Skipped", "already_cancelled", r"(\S+) in the shop; Sales Order (\S+) already cancelled"),
    ("Skipped", "cancelled_before_import", r"(\S+) in the shop before it was imported$"),
    ("Skipped", "deleted_before_import", r"order (\d+) deleted in the shop before it was imported"),
    ("Failed", "needs_attention_cancel",
     r"Needs attention: (\S+) in the shop, but Sales Order (\S+) cannot be cancelled: (.*)$"),
    ("Failed", "needs_attention_changed",
     r"Needs attention: the order changed in the shop but Sales Order (\S+) is submitted: amend it in the ERP\.? ?(.*)$"),
    ("Failed", "needs_attention_not_amended",
     r"Needs attention: the order changed in the shop but Sales Order (\S+) cannot be amended: (.*?); once that is dealt with,"
     r" Amend from the shop\.? ?(.*)$"),
    ("Failed", "erp_refused", r"the ERP refused: (.*)$"),
    ("Failed", "no_id", r"the delivery holds no order id|Payload has no id|the payload holds no customer"),
    # --- customers (shopsync.sync.customers) -------------------------------------------------------
    ("Done", "customer_imported", r"customer (.+?) created(?:; .*)?$"),
    ("Done", "customer_found", r"customer (.+?) found(?:; .*)?$"),
    ("Done", "customer_unlinked", r"customer (\d+) deleted in the shop: (.+) is no longer linked \(it stays\)"),
    ("Skipped", "deletion_not_confirmed", r"(customer \d+) is still in the shop: the deletion was not applied"),
    ("Skipped", "deleted_not_linked", r"(customer \d+) deleted in the shop; it was not linked"),
    # --- products (shopsync.sync.products) ---------------------------------------------------------
    ("Skipped", "blacklisted", _WOO + r" is on the blacklist of site (.+)$"),
    ("Skipped", "not_ours_product", _WOO + r" is not linked and the site does not take products from the shop"),
    ("Skipped", "stale_product", _WOO + r": this delivery \((.+?)\) is older than the product already synced \((.+?)\)"),
    ("Skipped", "echo", _WOO + r": nothing changed since the last sync"),
    ("Skipped", "deletion_not_confirmed", _WOO + r" is still in the shop \(.*\): the deletion was not applied"),
    ("Skipped", "deleted_not_linked", _WOO + r" trashed; it was not linked"),
    ("Skipped", "no_product", r"No product in the delivery \((.*)\)"),
    ("Done", "product_out_of_sync", _WOO + r" out of sync: (.*)$"),
    ("Done", "product_unlinked", _WOO + r" trashed in the shop: item\(s\) (.*) not linked any more"),
    ("Done", "product_synced", r"(\d+ (?:item|product)\(s\) (?:created|updated).*|\d+ linked.*)$"),
    ("Done", "nothing_to_do", r"nothing to do$"),
    # --- deliveries and the intake -----------------------------------------------------------------
    ("Skipped", "site_disabled", r"The site is disabled"),
    ("Skipped", "shop_sent_error", r"The shop sent its error instead of the (\w+): (.*)$"),
    ("Failed", "webhook_other_topic", r"Webhook #(\d+) of site (.+?) is for (\S+), not (\S+?)(?::.*)?$"),
    ("Failed", "webhook_unknown", r"Webhook #(\d+) does not exist in the shop of site (.+?): nothing was done"),
    ("Failed", "webhook_elsewhere", r"Webhook #(\d+) of the shop delivers elsewhere, not to site (.+?): nothing was done"),
    ("Failed", "headers_disagree", r"The headers disagree"),
    ("Failed", "body_not_resource", r"The headers say (\S+) but the signed body is"),
    ("Failed", "malformed", r"Malformed JSON: (.*)$"),
    ("Failed", "no_webhook_id", r"The delivery names no webhook of this site"),
    ("Failed", "unknown_topic", r"Unknown topic (.*)$"),
    ("Failed", "shop_unreachable", r"The shop could not be reached: (.*)$"),
    ("Failed", "worker_stopped_again", r"The worker stopped during the job (\d+) times in a row"),
    ("Failed", "worker_stopped", r"The worker stopped during the job"),
]

_COMPILED = [(status, code, re.compile(pattern, re.S)) for status, code, pattern in RULES]


def describe(status: str, message: str | None) -> tuple[str, list[str]]:
    """``(code, values)`` for an entry of ``status`` whose handler said ``message``."""
    text = (message or "").strip()
    for rule_status, code, pattern in _COMPILED:
        if rule_status != status:
            continue
        match = pattern.search(text)
        if match:
            return code, [g if g is not None else "" for g in match.groups()]
    generic = {"Done": "done", "Skipped": "skipped"}.get(status, "failed")
    return generic, [text]


def as_values(status: str, message: str | None) -> dict[str, Any]:
    """The two log fields for an entry of ``status`` whose handler said ``message``."""
    code, args = describe(status, message)
    return {"outcome_code": code, "outcome_args": json.dumps(args, ensure_ascii=False)}


def render(code: str | None, args: Any, translate=lambda s: s) -> str:
    """The sentence of ``code`` with its values, through ``translate`` (Frappe's ``_``)."""
    template = TEMPLATES.get(code or "")
    if template is None:
        return ""
    values = _args(args)
    try:
        return translate(template).format(*values)
    except (IndexError, KeyError, ValueError):
        return template.format(*(values + [""] * 5))


def _args(args: Any) -> list[str]:
    if isinstance(args, str):
        try:
            args = json.loads(args or "[]")
        except ValueError:
            args = [args]
    return [str(a) for a in (args or [])] if isinstance(args, (list, tuple)) else [str(args)]


def templates(codes: Iterable[str] | None = None) -> dict[str, str]:
    return {c: TEMPLATES[c] for c in (codes or TEMPLATES)}
