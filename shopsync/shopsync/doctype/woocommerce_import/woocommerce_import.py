"""An import of orders or customers from a shop: its filters, progress and summary. Resumable."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document


class WooCommerceImport(Document):
    def validate(self):
        if self.date_from and self.date_to and str(self.date_from) > str(self.date_to):
            frappe.throw(_("The start date is after the end date"))

    def onload(self):
        # A worker killed or restarted mid-import leaves it Running with no job behind it.
        if self.status in ("Queued", "Running") and not self._job_alive():
            self.db_set("status", "Interrupted")

    def _job_alive(self) -> bool:
        from frappe.utils.background_jobs import is_job_enqueued

        return is_job_enqueued(f"shopsync:import:{self.name}")

    def start(self):
        """Queue the import (or its resumption) on the long queue."""
        if self.status in ("Queued", "Running") and self._job_alive():
            frappe.throw(_("This import is already {0}").format(_(self.status)))
        self.db_set("status", "Queued")
        frappe.enqueue(
            "shopsync.jobs.run_import", queue="long", job_id=f"shopsync:import:{self.name}", deduplicate=True,
            enqueue_after_commit=True, import_name=self.name,
        )
