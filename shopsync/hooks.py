"""Wiring only: what Frappe calls, and when. The work is in shopsync.sync."""

app_name = "shopsync"
app_title = "ShopSync"
app_publisher = "shopsync developers"
app_description = "Keeps ERPNext and any number of WooCommerce shops in step"
app_email = "dev@shopsync.invalid"
app_license = "MIT"
required_apps = ["frappe/erpnext"]  # org/repo: a bare name makes install-app ask GitHub

# The Item field that carries the product's short description (synced when present).
fixtures = [{"dt": "Custom Field", "filters": [["name", "in", ["Item-woocommerce_short_description", "Sales Order-woocommerce_refunded_amount",
                                                           "Sales Order-woocommerce_refund_needs_invoice",
                                                           "Delivery Note-woocommerce_order_notes"]]]}]

# The Item form and list show each site's link ("#Woo: 68") in the colour of its sync state.
# shop text shown as text in every shopsync form and list (public/js/shop_text.js)
app_include_js = ["/assets/shopsync/js/shop_text.js"]
# The Sales Order form: "Amend from the shop" when its order changed in the shop (public/js/sales_order.js).
doctype_js = {"Item": "public/js/item.js", "Sales Order": "public/js/sales_order.js"}
doctype_list_js = {"Item": "public/js/item_list.js"}

doc_events = {
    # Stock out: the hook only notes which items moved; a job reads the Bins after the commit.
    # A cancelled voucher reaches it too: ERPNext 15 posts reversing entries (is_cancelled=1)
    # through on_submit and never fires on_cancel on a Stock Ledger Entry.
    "Stock Ledger Entry": {
        "on_submit": "shopsync.events.stock_moved",
    },
    # Products out: queued, never inside the user's save.
    "Item": {
        "on_update": "shopsync.events.item_changed",
        "on_trash": "shopsync.events.item_trashed",
    },
    # Reservations: a submitted Sales Order moves Bin.reserved_qty without any ledger entry, and
    # so do Close, Hold, Re-open and Resume: ERPNext's update_status writes the status with
    # db_set, which fires on_change only (and rewrites the Bins straight, no Bin event).
    # on_change also ends every submit, cancel and update after submit.
    "Sales Order": {
        "on_change": "shopsync.events.reservation_changed",
    },
    # Orders out: a fully delivered Sales Order marks its order completed, a partial delivery or a
    # tracking number adds an order note (sites that ask).
    "Delivery Note": {
        "on_submit": "shopsync.events.delivery_submitted",
    },
    # Payments out: an order paid in full in the ERP is marked paid in the shop (sites that ask).
    "Payment Entry": {
        "on_submit": "shopsync.events.payment_submitted",
    },
    "Item Price": {
        "on_update": "shopsync.events.item_price_changed",
    },
}

# Deleting an ERP document is never blocked by shopsync's own records: a link to a deleted
# document goes "Not linked", and the webhook log is history.
ignore_links_on_delete = ["WooCommerce Link", "WooCommerce Webhook Log"]

# Log Settings clears Done and Skipped deliveries after 30 days (Failed ones stay).
default_log_clearing_doctypes = {"WooCommerce Webhook Log": 30}

scheduler_events = {
    "cron": {
        # Deliveries that wait with no job behind them (queue down, worker killed, retries due),
        # and imports left Queued/Running with nothing running them (shown Interrupted).
        "* * * * *": ["shopsync.jobs.sweep_deliveries", "shopsync.jobs.mark_stopped_imports"],
    },
    # Per enabled site: webhook health, order catch-up, stock moved in the last two hours.
    "hourly": ["shopsync.jobs.hourly"],
}

# Uninstalling: before, say which shop webhooks stay behind (and how to delete them); after, remove
# the app's Scheduled Job Types, which would otherwise fail every minute until the next migrate.
before_uninstall = "shopsync.jobs.before_uninstall"
after_uninstall = "shopsync.jobs.after_uninstall"

# The desk renders stored outcomes and the shop's error codes in the user's language: their
# sentences come with the boot (shopsync.desk).
boot_session = "shopsync.desk.boot_session"

# Nothing of the engine runs at import time; there are no website routes.
