"""Background work inside a bench: the Runtime built from Frappe, and the scheduled jobs.

Every function here is thin: build the runtime, call the engine, let the engine record the outcome.
"""

from __future__ import annotations

import time
from typing import Any

import frappe

from shopsync.sync.runtime import Runtime, provide
from shopsync.sync.site import SITE_DOCTYPE, SiteConfig

#: every job queued here states its time limit (seconds); a queue not listed is refused
QUEUE_TIMEOUT = {"short": 300, "default": 600, "long": 3600}


def load_site(name: str) -> SiteConfig:
    from shopsync.erp.errors import DoesNotExistError

    if not name or not frappe.db.exists(SITE_DOCTYPE, name):
        raise DoesNotExistError(f"WooCommerce Site {name} not found")
    doc = frappe.get_doc(SITE_DOCTYPE, name)
    return SiteConfig.from_doc(
        doc.as_dict(),
        consumer_secret=doc.get_password("consumer_secret", raise_exception=False) or "",
        webhook_secret=doc.get_password("webhook_secret", raise_exception=False) or "",
        previous_webhook_secret=doc.get_password("previous_webhook_secret", raise_exception=False) or "",
    )


#: the intake's copy of each site's configuration: (bench site, site name) -> (the site document's
#: ``modified``, when read, SiteConfig). Every save of the site (keys, secret rotation, enabling)
#: changes ``modified``; a copy is also never older than ``SITE_CACHE_SECONDS``.
_SITE_CACHE: dict[tuple[str, str], tuple[Any, float, SiteConfig]] = {}
SITE_CACHE_SECONDS = 60


def load_site_cached(name: str) -> SiteConfig:
    """``load_site`` for the webhook endpoint: one indexed read of the site's ``modified`` per
    delivery instead of the document, its tables and three passwords. Only the intake uses it
    (its reads: the secrets, the webhooks, enabled); jobs use ``load_site_for_job``."""
    from shopsync.erp.errors import DoesNotExistError

    modified = frappe.db.get_value(SITE_DOCTYPE, name, "modified") if name else None
    if modified is None:
        raise DoesNotExistError(f"WooCommerce Site {name} not found")
    key = (frappe.local.site, name)
    hit = _SITE_CACHE.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] == modified and now - hit[1] < SITE_CACHE_SECONDS:
        return hit[2]
    config = load_site(name)
    _SITE_CACHE[key] = (modified, now, config)
    return config


#: each job process's copy of each site's configuration: (bench site, site name) -> (the site's
#: row, SiteConfig). Its tables and passwords change only by a save, which changes ``modified``
#: in the row; what is written without a save (cursors, connection state, the webhooks' check
#: time) is in the row too, so a copy whose row is unchanged is the configuration as read afresh.
_JOB_SITE_CACHE: dict[tuple[str, str], tuple[dict, SiteConfig]] = {}


def load_site_for_job(name: str) -> SiteConfig:
    """``load_site`` for jobs: one read of the site's row instead of the document, its five tables
    and three passwords, read in full again whenever any field of the row differs."""
    from shopsync.erp.errors import DoesNotExistError

    from shopsync.erp.frappe_erp import select_rows

    rows = select_rows(SITE_DOCTYPE, {"name": name}, ("*",)) if name else None
    if not rows:
        raise DoesNotExistError(f"WooCommerce Site {name} not found")
    return _config_of_row(rows[0])


def enabled_sites_for_job() -> list[SiteConfig]:
    """Every enabled site's configuration (as ``list_sites`` orders them): their rows in one read."""
    from shopsync.erp.frappe_erp import select_rows

    # this runs after every commit that moved stock, an order's reservation included
    return [_config_of_row(row) for row in select_rows(SITE_DOCTYPE, {"enabled": 1}, ("*",), "modified desc")]


def _config_of_row(row: dict) -> SiteConfig:
    key = (frappe.local.site, row["name"])
    hit = _JOB_SITE_CACHE.get(key)
    if hit is not None and hit[0] == row:
        return hit[1]
    config = load_site(row["name"])
    _JOB_SITE_CACHE[key] = (row, config)
    return config


def private_hosts_allowed() -> bool:
    """Site config ``shopsync_allow_private_hosts``: may shops be on loopback/private addresses?
    (Off by default: a typed shop URL must not reach this server's own services.)"""
    return bool(frappe.conf.get("shopsync_allow_private_hosts"))


def client_for(site: SiteConfig):
    from shopsync.woocommerce import WooClient

    return WooClient(site.woocommerce_url, site.consumer_key, site.consumer_secret,
                     allow_private_hosts=private_hosts_allowed(), parallel=site.parallel_requests)


def enqueue(method: str, *, job_id: str, queue: str = "default", after_commit: bool = True, **kwargs) -> bool:
    """The one way shopsync queues work (the runtime's enqueue, desk buttons, a site's save, an
    import): ``method`` runs in ``run_job`` as the site's "Create documents as" user (``site_name``
    in ``kwargs``), never as whoever clicked; on a named queue with its time limit; at most one job
    per ``job_id`` queued or running (Frappe's deduplicate). False when one already is."""
    from frappe.utils.background_jobs import get_job
    from rq.job import JobStatus

    if queue not in QUEUE_TIMEOUT:
        raise ValueError(f"unknown queue {queue!r}: one of {', '.join(QUEUE_TIMEOUT)}")
    # Frappe's deduplicate, done once: its own (deduplicate=True) would fetch the job and ask its
    # status again, two more Redis round trips per delivery for the same answer
    job = get_job(job_id)
    if job is not None:
        if job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.STARTED):
            return False
        job.delete()  # a finished job's hash would otherwise keep its old arguments (rq#793)
    frappe.enqueue(
        "shopsync.jobs.run_job", queue=queue, timeout=QUEUE_TIMEOUT[queue], job_id=job_id,
        enqueue_after_commit=after_commit, target=method, target_kwargs=kwargs,
    )
    return True


def enqueue_now(method: str, *, job_id: str, queue: str = "default", **kwargs) -> bool:
    """Queue at once: for callers already running after the commit."""
    return enqueue(method, job_id=job_id, queue=queue, after_commit=False, **kwargs)


def run_job(target: str, target_kwargs: dict):
    """Every engine job runs here: as the site's "Create documents as" user (Administrator when
    unset), never as the Guest who sent the webhook that queued it."""
    site_name = target_kwargs.get("site_name")
    user = frappe.db.get_value(SITE_DOCTYPE, site_name, "sync_user") if site_name else None
    frappe.set_user(user or "Administrator")
    return frappe.get_attr(target)(**target_kwargs)


def list_sites(enabled: bool = True) -> list[str]:
    return frappe.get_all(SITE_DOCTYPE, filters={"enabled": 1} if enabled else {}, pluck="name")


def edge_job(name: str) -> str:
    """The engine queues this module's jobs by name (``check_webhooks``...), never by path."""
    if not callable(globals().get(name)):
        raise ValueError(f"shopsync.jobs has no job {name!r}")
    return f"{__name__}.{name}"


def frappe_runtime(cached_sites: bool = False) -> Runtime:
    """The runtime of a job or a request; ``cached_sites`` for the webhook endpoint only."""
    from shopsync.erp.frappe_erp import FrappeERP

    from frappe.utils.background_jobs import get_redis_conn

    from shopsync.sync.attempts import BegunAttempts
    from shopsync.sync.echoes import EchoMemory

    redis_conn = get_redis_conn()
    return Runtime(erp=FrappeERP(), load_site=load_site_cached if cached_sites else load_site_for_job, client_for=client_for, enqueue=enqueue, list_sites=list_sites,
                   edge_job=edge_job, echoes=EchoMemory(redis_conn, namespace=frappe.local.site),
                   attempts=BegunAttempts(redis_conn, namespace=frappe.local.site))


# The engine's job entry points (shopsync.sync.deliveries.run_resource_job, the stock push) ask
# shopsync.sync.runtime.current() for their runtime; every job of a bench runs through run_job
# above, so this module is imported first and hands the engine how to build one from Frappe.
provide(frappe_runtime)


# --- scheduler ---------------------------------------------------------------------------------

def sweep_deliveries():
    """Every minute: queue again the deliveries that wait with no job behind them."""
    from shopsync.sync import deliveries

    deliveries.sweep(frappe_runtime())


def hourly():
    """Every hour, per enabled site only (a disabled site is left alone): the webhook check, which
    queues the order catch-up, the stock catch-up and the product resync when the shop answers."""
    from shopsync.sync import upkeep

    rt = frappe_runtime()
    rt.enqueue = enqueue_now
    upkeep.hourly(rt)


def check_webhooks(site_name: str, hourly: bool = False):
    """After a save, and every hour: the shop's webhooks, the order cursor's start the first time
    the shop answers, and (hourly) the hour's jobs. An unreachable shop gets one readable line on
    the site (its connection status, a comment when the problem is new) and in the log; no
    traceback."""
    from shopsync.sync import upkeep

    if not frappe.db.exists(SITE_DOCTYPE, site_name):
        return {"skipped": "site deleted"}
    rt = frappe_runtime()
    rt.enqueue = enqueue_now
    doc = frappe.get_doc(SITE_DOCTYPE, site_name)
    result = upkeep.check_site(
        rt, site_name, check=lambda site, client: doc.check_webhooks(client)["actions"],
        save_cursor=_save_cursor(site_name), hourly=hourly,
    )
    if result.problem:
        _shop_unreachable(doc, result.problem)
    elif not result.skipped:
        _shop_answered(doc)
    frappe.db.commit()
    return result.as_dict()


#: the Connection status once the webhook check reached the shop after a failure
CONNECTED_BY_CHECK = "The shop answered the webhook check."


def _shop_answered(doc) -> None:
    # the shop answered: a problem said earlier is not true any more; a status that already says
    # it is connected (with the test's details) is kept, only its time moves
    ok, status = frappe.db.get_value(SITE_DOCTYPE, doc.name, ["connection_ok", "connection_status"]) or (0, "")
    doc.set_connection(True, status if ok and status else CONNECTED_BY_CHECK)


def _shop_unreachable(doc, line: str) -> None:
    # a locking read sees what a check running at the same moment committed: one comment, not two
    row = frappe.db.sql("select connection_status from `tabWooCommerce Site` where name = %s for update", doc.name)
    if not row:  # the site was deleted while its shop was being called: nobody to tell
        return
    previous = row[0][0] or ""
    # stored as the shop said it, like every other writer of the status (the form shows it as text)
    doc.set_connection(False, line)
    if line not in previous:  # a new problem: one comment, not one an hour
        doc.add_comment("Info", frappe.utils.escape_html(line))  # it quotes the shop's answer
    frappe.logger("shopsync").warning(f"WooCommerce Site {doc.name}: {line}")


def catch_up_orders(site_name: str):
    from shopsync.sync import catchup

    rt = frappe_runtime()
    site = rt.load_site(site_name)
    summary = catchup.catch_up_orders(rt.erp, site, rt.client_for(site), save_cursor=_save_cursor(site_name))
    frappe.db.set_value(SITE_DOCTYPE, site_name, "last_catch_up_at", frappe.utils.now(), update_modified=False)
    if summary.seen or summary.failed:
        frappe.get_doc(SITE_DOCTYPE, site_name).add_comment("Info", f"Order catch-up: {frappe.utils.escape_html(str(summary))}")
    frappe.db.commit()
    return str(summary)  # what a bench command or the job result shows


def _save_cursor(site_name: str):
    def save(cursor: str) -> None:
        frappe.db.set_value(SITE_DOCTYPE, site_name, "orders_cursor", cursor, update_modified=False)
        frappe.db.commit()

    return save


def catch_up_stock(site_name: str):
    from shopsync.sync import stock

    rt = frappe_runtime()
    site = rt.load_site(site_name)
    return stock.catch_up_stock(rt.erp, site, rt.client_for(site), now=rt.erp.now())


# --- imports (WooCommerce Import documents) ----------------------------------------------------
# An import's status is written by the job that runs it (Running, Interrupted, Done), by the Start
# button's POST (Queued) and by the every-minute check below when nothing runs it any more: never
# by a form load (a GET, which Frappe rolls back).

IMPORT_DOCTYPE = "WooCommerce Import"
#: a running import says it is alive at least this often (at its start, then after each record)
IMPORT_HEARTBEAT_SECONDS = 600
#: an import queued this recently may still be waiting for its enqueue after the commit
IMPORT_START_GRACE_SECONDS = 120


def import_job_id(import_name: str) -> str:
    return f"shopsync:import:{import_name}"


def _import_heartbeat_key(import_name: str) -> str:
    return f"shopsync:import-alive:{import_name}"


def _import_beat(import_name: str) -> None:
    frappe.cache().set_value(_import_heartbeat_key(import_name), 1, expires_in_sec=IMPORT_HEARTBEAT_SECONDS)


def import_alive(import_name: str) -> bool:
    """Something runs or will run this import: its job waits in the queue, or a job or a bench
    command running it beat recently (a job killed with its worker stays "started" in RQ for up
    to its timeout, so a started job alone proves nothing)."""
    from frappe.utils.background_jobs import get_job_status
    from rq.job import JobStatus

    if get_job_status(import_job_id(import_name)) == JobStatus.QUEUED:
        return True
    return bool(frappe.cache().get_value(_import_heartbeat_key(import_name), expires=True))


def queue_import(import_name: str, site_name: str) -> bool:
    """The Start/Resume button: the import runs in a job as the site's user, on the long queue."""
    from frappe.utils.background_jobs import get_job

    job = get_job(import_job_id(import_name))
    if job is not None and not import_alive(import_name):
        # a job killed with its worker still reads "started" in RQ and would block the new one
        job.delete()
    return enqueue("shopsync.jobs.run_import", job_id=import_job_id(import_name), queue="long",
                   import_name=import_name, site_name=site_name)


def mark_stopped_imports() -> list[str]:
    """Every minute: an import left Queued or Running with nothing behind it (a worker killed or
    restarted, a bench command stopped) becomes Interrupted, so its list and form say so and
    Resume continues where it stopped. Returns the imports marked."""
    marked = []
    grace = frappe.utils.add_to_date(frappe.utils.now_datetime(), seconds=-IMPORT_START_GRACE_SECONDS)
    for name in frappe.get_all(IMPORT_DOCTYPE, filters={"status": ("in", ("Queued", "Running")), "modified": ("<", grace)},
                               pluck="name"):
        if import_alive(name):
            continue
        # a locking read: a job that started meanwhile has written Running and beats
        row = frappe.db.sql(f"select status, summary from `tab{IMPORT_DOCTYPE}` where name = %s for update", name, as_dict=True)
        if not row or row[0].status not in ("Queued", "Running") or import_alive(name):
            continue
        note = "Stopped: nothing was running it any more (worker stopped or restarted). Resume continues where it stopped."
        frappe.db.set_value(IMPORT_DOCTYPE, name, {"status": "Interrupted", "summary": "\n".join(filter(None, [row[0].summary, note]))},
                            update_modified=False)
        marked.append(name)
    frappe.db.commit()
    return marked


def run_import(import_name: str, echo=None, site_name: str | None = None):
    """Run or resume an import; progress is saved as it goes, so a stopped job resumes.
    (``site_name`` is for ``run_job``, which runs the job as that site's user.)"""
    import json

    from shopsync.sync import catchup

    _import_beat(import_name)
    doc = frappe.get_doc(IMPORT_DOCTYPE, import_name)
    rt = frappe_runtime()
    site = rt.load_site(doc.site)
    client = rt.client_for(site)
    # everything but a finished import resumes from what it saved (a killed worker leaves it
    # Running or Queued until mark_stopped_imports says Interrupted)
    state = json.loads(doc.resume_state) if doc.resume_state and doc.status != "Done" else None
    doc.db_set({"status": "Running", "started_at": frappe.utils.now(), "finished_at": None})
    frappe.db.commit()

    def progress(done, summary):
        _import_beat(import_name)
        counts = _counts(summary)
        if done % 10 == 0:
            doc.db_set({"done_count": done, "resume_state": json.dumps(summary.state), **counts})
            frappe.db.commit()
        total = getattr(summary, "total", 0) or 0
        percent = min(99, int(done * 100 / total)) if total else None
        # to everyone with the Import's form open, not only its owner
        frappe.publish_realtime("shopsync_import_progress", {"name": import_name, "done": done, "total": total,
                                                             "percent": percent, **_short(counts)},
                                doctype="WooCommerce Import", docname=import_name)
        if echo:
            echo(done, summary)

    try:
        if doc.import_type == "Customers":
            summary = catchup.import_customers(rt.erp, site, client, progress=progress, resume_from=state)
        else:
            statuses = [s.strip() for s in (doc.statuses or "").split(",") if s.strip()] or None
            summary = catchup.import_orders(
                rt.erp, site, client, str(doc.date_from or "") or None, str(doc.date_to or "") or None,
                statuses, bool(doc.include_existing), progress=progress, resume_from=state,
            )
    except Exception as exc:  # noqa: BLE001 - kept resumable, with the reason
        frappe.db.rollback()
        doc.db_set({"status": "Interrupted", "summary": f"Stopped: {type(exc).__name__}: {exc}\nResume continues where it stopped."})
        frappe.db.commit()
        frappe.cache().delete_value(_import_heartbeat_key(import_name))
        raise
    doc.db_set({
        "status": "Done", "finished_at": frappe.utils.now(), "done_count": summary.seen, "summary": str(summary),
        "resume_state": json.dumps(summary.state), **_counts(summary),
    })
    frappe.db.commit()
    frappe.cache().delete_value(_import_heartbeat_key(import_name))
    frappe.publish_realtime("shopsync_import_progress", {"name": import_name, "done": summary.seen, "finished": True},
                            doctype="WooCommerce Import", docname=import_name)
    return summary


def _counts(summary) -> dict:
    return {
        "created_count": summary.created,
        "updated_count": getattr(summary, "updated", 0) + getattr(summary, "cancelled", 0) + getattr(summary, "found", 0),
        "skipped_count": getattr(summary, "skipped_total", 0),
        "failed_count": len(summary.failed) + len(getattr(summary, "needs_attention", [])),
    }


def _short(counts: dict) -> dict:
    return {"created": counts["created_count"], "failed": counts["failed_count"]}


# --- uninstall -------------------------------------------------------------------------------------

def before_uninstall():
    """Say what stays in the shops: each site's webhooks still deliver to an endpoint that is about
    to go (WooCommerce disables them after failed deliveries). Nothing is deleted here (this also
    runs for ``uninstall-app --dry-run``); ``delete_shop_webhooks`` does it on request."""
    sites = frappe.get_all(SITE_DOCTYPE, fields=["name", "woocommerce_url", "endpoint_url"])
    if not sites:
        return
    print("shopsync: the shops keep the webhooks of these WooCommerce Sites:")
    for s in sites:
        print(f"  {s.name}: {s.woocommerce_url} -> delivery URL {s.endpoint_url}")
    print(
        "  Delete them in WooCommerce > Settings > Advanced > Webhooks, or cancel and run first\n"
        f"  bench --site {frappe.local.site} execute shopsync.jobs.delete_shop_webhooks"
    )


def delete_shop_webhooks():
    """Delete every site's webhooks in its shop (before uninstalling); says what it did."""
    from shopsync.sync import webhooks

    done = {}
    for name in frappe.get_all(SITE_DOCTYPE, pluck="name"):
        site = load_site(name)
        try:
            done[name] = webhooks.delete_webhooks(site, client_for(site)).actions
        except Exception as exc:  # noqa: BLE001 - one shop down never stops the others
            done[name] = [f"not reached ({exc}): delete its webhooks by hand (delivery URL {site.endpoint_url})"]
    for name, actions in done.items():
        print(f"{name}: " + ("; ".join(actions) or "no webhook in the shop"))
    return done


def after_uninstall():
    """Remove the app's Scheduled Job Types (and their logs), left behind by the uninstall; only
    when the app is really gone (a dry run leaves everything)."""
    if "shopsync" in frappe.get_installed_apps():
        return
    if remove_scheduled_jobs():
        frappe.db.commit()


def remove_scheduled_jobs() -> int:
    """Delete shopsync's Scheduled Job Types and their logs; how many there were."""
    names = frappe.get_all("Scheduled Job Type", filters={"method": ("like", "shopsync.%")}, pluck="name")
    if names:
        frappe.db.delete("Scheduled Job Log", {"scheduled_job_type": ("in", names)})
        frappe.db.delete("Scheduled Job Type", {"name": ("in", names)})
        print(f"shopsync: removed {len(names)} scheduled jobs")
    return len(names)


def push_order_status(delivery_note: str):
    """After a Delivery Note: its orders get a note of what was shipped (a partial delivery, a
    tracking number), and those now fully delivered become completed."""
    from shopsync.sync import order_status

    _push_to_shops("push_order_status", order_status.push_delivery, delivery_note, "delivery not sent to the shop")


def push_payment(payment_entry: str):
    """After a Payment Entry: orders it pays in full are marked paid in the shop (``set_paid``)."""
    from shopsync.sync import order_status

    _push_to_shops("mark_paid_in_shop", order_status.push_payment, payment_entry, "not marked paid in the shop")


def _push_to_shops(site_setting: str, push, document: str, not_done: str) -> None:
    """``push`` one ERP document to every enabled site with ``site_setting`` on; a Sales Order it
    could not update in its shop gets a comment saying why."""
    from shopsync.sync.runtime import shop_client

    rt = frappe_runtime()
    for name in frappe.get_all(SITE_DOCTYPE, filters={"enabled": 1, site_setting: 1}, pluck="name"):
        site = rt.load_site(name)
        with shop_client(rt, site) as client:
            report = push(rt.erp, site, client, document)
        for so, why in report.failed:
            frappe.get_doc("Sales Order", so).add_comment(
                "Info", f"WooCommerce ({name}): {not_done}: {frappe.utils.escape_html(str(why))}")


# --- products ------------------------------------------------------------------------------------

def _enabled_site_configs():
    rt = frappe_runtime()
    for name in rt.list_sites():
        yield rt, rt.load_site(name)


def push_item(item_code: str):
    """One item on every enabled site; the engine follows the site's direction (pushes the
    product, or marks the link Out of sync on a shop-to-ERP site). The hooks queue
    shopsync.sync.products.pending.run_product_job now (one job per site for a burst of saves);
    this stays for jobs queued before the upgrade."""
    from shopsync.sync import products

    for rt, site in _enabled_site_configs():
        try:
            products.push_item(rt.erp, site, rt.client_for(site), item_code)
        except Exception:  # noqa: BLE001 - one shop down never stops the others
            frappe.log_error(f"shopsync: product push of {item_code} to {site.name}")


def item_deleted(item_code: str):
    """An Item deleted or disabled: its product becomes a draft (never deleted); the link says so."""
    from shopsync.sync import products

    for rt, site in _enabled_site_configs():
        try:
            products.item_deleted(rt.erp, site, rt.client_for(site), item_code)
        except Exception:  # noqa: BLE001
            frappe.log_error(f"shopsync: product draft of {item_code} on {site.name}")


def resync_products(site_name: str):
    """Hourly: products changed on either side since the last run, in the site's direction."""
    from shopsync.sync import products

    rt = frappe_runtime()
    site = rt.load_site(site_name)
    if not site.products_cursor:
        # no first sync yet: it is the user's to preview and start, never the scheduler's
        return "no first product sync yet"
    result = products.run_sync(rt.erp, site, rt.client_for(site), since=site.products_cursor)
    if result.cursor:
        frappe.db.set_value(SITE_DOCTYPE, site_name, "products_cursor", result.cursor, update_modified=False)
    frappe.db.commit()
    return result.summary()


def first_product_sync(site_name: str, keep=False):
    from shopsync.sync import products

    rt = frappe_runtime()
    site = rt.load_site(site_name)

    def progress(stage, done, total):
        frappe.publish_progress(done * 100 / max(total, 1), title=f"Product sync: {stage}", doctype=SITE_DOCTYPE, docname=site_name)

    result = products.run_first_sync(rt.erp, site, rt.client_for(site), keep=keep, progress=progress)
    if result.cursor:
        frappe.db.set_value(SITE_DOCTYPE, site_name, "products_cursor", result.cursor, update_modified=False)
    frappe.get_doc(SITE_DOCTYPE, site_name).add_comment("Info", f"Product sync: {frappe.utils.escape_html(result.summary())}")
    frappe.db.commit()
    return result.summary()


def push_all_stock(site_name: str):
    """The site's Push all stock button: every linked item, forced, with progress."""
    from shopsync.sync import stock

    rt = frappe_runtime()
    site = rt.load_site(site_name)

    def progress(done, total):
        frappe.publish_progress(done * 100 / max(total, 1), title="Pushing stock", doctype=SITE_DOCTYPE, docname=site_name)

    report = stock.push_all_stock(rt.erp, site, rt.client_for(site), progress=progress)
    frappe.get_doc(SITE_DOCTYPE, site_name).add_comment("Info", f"Push all stock: {frappe.utils.escape_html(report.summary())}")
    frappe.db.commit()
    return report.summary()


# --- stock -----------------------------------------------------------------------------------------

def flush_stock_events(events):
    """After the commit of a voucher that moved stock: its (item, warehouse) pairs join each
    site's pending set in Redis; a site with no push job scheduled gets one. Reads no stock,
    calls no shop."""
    from frappe.utils.background_jobs import get_redis_conn

    from shopsync.sync import stock

    events.flush(enabled_sites_for_job(), stock.PendingStock(get_redis_conn(), namespace=frappe.local.site), enqueue_now)


def flush_item_events(events):
    """After the commit of Item or Item Price saves: their codes join each enabled site's pending
    set of product pushes; a site with no push job scheduled gets one. Calls no shop."""
    from frappe.utils.background_jobs import get_redis_conn

    from shopsync.sync.products.pending import PendingProducts

    return events.flush(list_sites(), PendingProducts(get_redis_conn(), namespace=frappe.local.site), enqueue_now)


def site_action(site_name: str, action: str, user: str | None = None, **kwargs):
    """A desk button's whole-catalogue work: associate by SKU, resync a site, push stock differences."""
    from shopsync.sync import products, stock

    rt = frappe_runtime()
    site = rt.load_site(site_name)
    client = rt.client_for(site)
    if action == "associate_by_sku":
        summary = products.associate_by_sku(rt.erp, site, client, keep=kwargs.get("keep")).summary()
    elif action == "resync":
        summary = products.resync(rt.erp, site, client, kwargs["winner"]).summary()
    elif action == "push_differences":
        summary = stock.push_differences(rt.erp, site, client).summary()
    elif action == "import_opening_stock":  # the first day: a draft, never submitted here
        try:
            name, preview = stock.import_opening_stock(rt.erp, site, client)
            summary = (f"draft Stock Reconciliation {name}, {len(preview.lines)} line(s) in {preview.warehouse}: check it and"
                       f" submit it. Not in it: {len(preview.no_rate)} without a valuation rate or price,"
                       f" {len(preview.empty)} at 0 in the shop, {len(preview.already_stocked)} already stocked.")
        except stock.StockSetUpError as exc:
            summary = str(exc)
    elif action == "push_erp_quantities":
        summary = stock.push_erp_quantities(rt.erp, site, client).summary()
    else:
        raise ValueError(action)
    # the summary quotes the shop (product names, its errors): HTML-escaped for the comment and the message
    text = frappe.utils.escape_html(f"{action.replace('_', ' ').capitalize()}: {summary}")
    frappe.get_doc(SITE_DOCTYPE, site_name).add_comment("Info", text)
    frappe.db.commit()
    if user:
        frappe.publish_realtime("msgprint", {"message": text, "title": site_name}, user=user)
    return text


# --- orders: Amend from the shop -----------------------------------------------------------------

def amend_from_shop(site_name: str, sales_order: str, user: str | None = None):
    """The Sales Order form's Amend from the shop: the engine's answer as a comment on the Sales
    Order (on the amendment when one was made) and a message to whoever clicked."""
    from shopsync.sync import orders

    rt = frappe_runtime()
    site = rt.load_site(site_name)
    client = rt.client_for(site)
    try:
        outcome = orders.amend_from_shop(rt.erp, site, client, sales_order)
        text, target = outcome.log_text, outcome.sales_order or sales_order
    except orders.OrderFailure as exc:
        text, target = exc.reason, sales_order
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()
    # the outcome quotes the shop (product names): escaped for the comment and the message
    text = frappe.utils.escape_html(f"Amend from the shop: {text}")
    frappe.get_doc("Sales Order", target).add_comment("Info", text)
    frappe.db.commit()
    if user:
        frappe.publish_realtime("msgprint", {"message": text, "title": target}, user=user)
    return text
