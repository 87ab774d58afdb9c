"""An import of orders or customers from a shop: its filters, progress and summary. Resumable."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document


class WooCommerceImport(Document):
    def validate(self):
        if self.date_from and self.date_to and str(self.date_from) > str(self.date_to):
            frappe.throw(_("The start date is after the end date"))
        self.title = self.make_title()

    def make_title(self):
        """How the list names an import: its site, what it imports and its dates ("shop1 · Orders ·
        2026-01-01 → 2026-01-31"), or the day it was made when it has no dates."""
        parts = [self.site or "", self.import_type or "Orders"]  # stored: one language for every reader
        if self.import_type != "Customers" and (self.date_from or self.date_to):
            parts.append(f"{self.date_from or '…'} → {self.date_to or '…'}")
        else:
            parts.append(str(self.creation or frappe.utils.now())[:10])
        return " · ".join(p for p in parts if p)

    # No onload here: a form load is a GET, which Frappe rolls back, so a status written there
    # never reaches the list. The job writes Running/Interrupted/Done, start() (a POST) writes
    # Queued, and shopsync.jobs.mark_stopped_imports writes Interrupted when nothing runs it.

    def start(self):
        """Queue the import (or its resumption) on the long queue, run as the site's user."""
        from shopsync import jobs

        if self.status in ("Queued", "Running") and jobs.import_alive(self.name):
            frappe.throw(_("This import is already {0}").format(_(self.status)))
        self.db_set("status", "Queued")
        jobs.queue_import(self.name, self.site)
