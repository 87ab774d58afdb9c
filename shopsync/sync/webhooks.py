"""The shop's webhooks for a site: created on save, paused with the site, mended every hour.

A site's webhooks are found in the shop by their delivery URL (the site's endpoint), never by
name, so saving twice never makes duplicates, and two sites on one shop never touch each other's.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from shopsync.sync.site import WEBHOOK_TOPICS, SiteConfig

LOG_DOCTYPE = "WooCommerce Webhook Log"


@dataclasses.dataclass
class WebhookReport:
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # topic, woo_webhook_id, status
    actions: list[str] = dataclasses.field(default_factory=list)  # what was changed in the shop, in words


def secret_hash(secret: str) -> str:
    """What the site keeps of a secret it wrote to a webhook: WooCommerce never shows a webhook's
    secret back, so this fingerprint is how a check knows whether a webhook holds the current one."""
    return hashlib.sha256(("shopsync-webhook-secret:" + (secret or "")).encode("utf-8")).hexdigest()[:32]


def _ours(site: SiteConfig, client: Any) -> list[dict[str, Any]]:
    return [w for w in client.list_webhooks() if (w.get("delivery_url") or "") == site.endpoint_url]


def ensure_webhooks(site: SiteConfig, client: Any, *, rotate_secret: bool = False) -> WebhookReport:
    """Make the shop hold exactly one webhook per topic for this site, in the site's state.

    Enabled site: every topic active (created when missing, re-activated when paused or disabled
    by WooCommerce after failed deliveries). Disabled site: existing ones paused, none created.
    The site's current secret is written to every webhook not known to hold it (``site.webhooks``
    keeps a fingerprint of what was written), however long ago a rotation began: a shop that was
    down for days gets it at the first check that reaches it. ``rotate_secret`` writes it to all.
    """
    current = secret_hash(site.webhook_secret)
    report = WebhookReport()
    want = "active" if site.enabled else "paused"
    by_topic: dict[str, dict[str, Any]] = {}
    for hook in sorted(_ours(site, client), key=lambda w: w["id"]):
        if hook["topic"] in WEBHOOK_TOPICS and hook["topic"] not in by_topic:
            by_topic[hook["topic"]] = hook
        else:
            client.delete_webhook(hook["id"])
            report.actions.append(f"deleted extra webhook #{hook['id']} ({hook['topic']})")
    for topic in WEBHOOK_TOPICS:
        hook = by_topic.get(topic)
        if hook is None:
            if not site.enabled:
                continue
            hook = client.create_webhook(
                name=f"shopsync {site.name} {topic}", topic=topic, delivery_url=site.endpoint_url,
                secret=site.webhook_secret, status="active",
            )
            report.actions.append(f"created webhook #{hook['id']} ({topic})")
            written = current
        else:
            written = (site.webhooks.get(int(hook["id"])) or {}).get("secret_hash") or ""
            changes: dict[str, Any] = {}
            if hook.get("status") != want:
                changes["status"] = want
            if rotate_secret or written != current:
                changes["secret"] = site.webhook_secret
            if changes:
                before = hook.get("status")
                hook = client.update_webhook(hook["id"], **changes)
                if "status" in changes:
                    report.actions.append(f"webhook #{hook['id']} ({topic}) {before} -> {want}")
                if "secret" in changes:
                    report.actions.append(f"webhook #{hook['id']} ({topic}) new secret")
                    written = current
        report.rows.append({"topic": topic, "woo_webhook_id": int(hook["id"]), "status": hook.get("status"),
                            "secret_hash": written})
    return report


def delete_webhooks(site: SiteConfig, client: Any) -> WebhookReport:
    report = WebhookReport()
    for hook in _ours(site, client):
        client.delete_webhook(hook["id"])
        report.actions.append(f"deleted webhook #{hook['id']} ({hook['topic']})")
    return report


def last_deliveries(erp: Any, site_name: str) -> dict[str, str]:
    """When the last delivery of each topic came in for this site."""
    last: dict[str, str] = {}
    recent = erp.find(LOG_DOCTYPE, {"site": site_name}, fields=("topic", "received_at"), order_by="received_at desc", limit=2000)
    for row in recent:
        topic, at = row.get("topic") or "", str(row.get("received_at") or "")
        if at > last.get(topic, ""):
            last[topic] = at
    return last
