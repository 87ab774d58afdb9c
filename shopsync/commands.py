"""bench commands: ``bench --site <site> shopsync-import <WooCommerce Site> [options]`` and
``bench shopsync-worker [--queue ...]``."""

from __future__ import annotations

import click
import frappe
from frappe.commands import get_site, pass_context


@click.command("shopsync-import")
@click.argument("woocommerce_site")
@click.option("--customers", is_flag=True, help="Import customers instead of orders")
@click.option("--from", "date_from", help="Orders created from this day (YYYY-MM-DD)")
@click.option("--to", "date_to", help="Orders created up to this day (YYYY-MM-DD)")
@click.option("--status", "statuses", help="Comma-separated WooCommerce statuses (default: the site's)")
@click.option("--include-existing", is_flag=True, help="Also re-import orders already imported")
@click.option("--resume", "resume_name", help="Resume an interrupted WooCommerce Import by its name")
@pass_context
def shopsync_import(context, woocommerce_site, customers, date_from, date_to, statuses, include_existing, resume_name):
    """Import orders (or customers) from a shop, with a summary; resumable."""
    from shopsync.jobs import run_import

    site = get_site(context)
    frappe.init(site=site)
    frappe.connect()
    try:
        if resume_name:
            doc = frappe.get_doc("WooCommerce Import", resume_name)
        else:
            doc = frappe.get_doc({
                "doctype": "WooCommerce Import", "site": woocommerce_site,
                "import_type": "Customers" if customers else "Orders", "date_from": date_from, "date_to": date_to,
                "statuses": statuses, "include_existing": int(include_existing),
            }).insert()
            frappe.db.commit()
        click.echo(f"WooCommerce Import {doc.name} ({doc.import_type} from {doc.site})")

        def echo(done, summary):
            if done % 25 == 0:
                click.echo(f"  {done} done")

        summary = run_import(doc.name, echo=echo)
        click.echo(str(summary))
    finally:
        frappe.destroy()


@click.command("shopsync-worker")
@click.option("--queue", type=str, help="Queues to take, comma-separated (default: all, short first)")
@click.option("--quiet", is_flag=True, default=False, help="Hide log output")
@click.option("-u", "--rq-username", default=None, help="Redis ACL user")
@click.option("-p", "--rq-password", default=None, help="Redis ACL user password")
@click.option("--burst", is_flag=True, default=False, help="Stop when the queues are empty")
@click.option("--strategy", required=False, type=click.Choice(["round_robin", "random"]), help="Dequeuing strategy")
def shopsync_worker(queue, quiet=False, rq_username=None, rq_password=None, burst=False, strategy=None):
    """Frappe's worker (the options of `bench worker`), with ERPNext's and shopsync's job modules
    imported once before it forks a work horse per job."""
    from frappe.utils.background_jobs import start_worker

    from shopsync.worker import preload

    loaded, failed, seconds = preload()
    if not quiet:
        click.echo(f"shopsync-worker: {len(loaded)} modules imported in {seconds:.1f} s before forking")
    for name, why in failed:
        click.echo(f"shopsync-worker: {name} not imported ({why}); its jobs import it themselves", err=True)
    start_worker(queue, quiet=quiet, rq_username=rq_username, rq_password=rq_password, burst=burst, strategy=strategy)


commands = [shopsync_import, shopsync_worker]
