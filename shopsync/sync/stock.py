"""Stock out: the shop's quantities follow the ERP's Bins.

Plain Python (no ``frappe``). Three ways in, one way out:

- at once: the Frappe edge notes each Stock Ledger Entry (and each change of a submitted Sales
  Order: submit, cancel, Close, Hold, Re-open, whose reservation moves ``reserved_qty`` without
  any ledger entry; its Product Bundle lines through their Packed Items) in a :class:`StockEvents` and,
  **after the commit**, calls :func:`stock_moved`. It never reads stock (in ERPNext 15 the entry's
  ``on_submit`` runs before its Bin moves) and never calls a shop. Item codes go to a Redis set
  per site (:class:`PendingStock`); a site has at most one job scheduled (:func:`run_stock_job`),
  which drains the set until it stays empty (:func:`run_pending`): a 500-line voucher is one job
  per site and ceil(500/100) batch requests;
- hourly: :func:`catch_up_stock` pushes every item with a new Stock Ledger Entry or a Bin modified
  in the last two hours, plus those whose last push failed;
- on demand: :func:`push_all_stock` (the "Push all stock" button) and :func:`stock_comparison`.

**The first day.** An existing shop connected to an ERP whose stock is not loaded yet must not
be zeroed: until the site's stock is set up (its "Stock set up" box, ticked by
:func:`push_erp_quantities` or by hand; submitting the opening stock does not tick it, so it never
sends 0 for the items it left out), an item with no Stock
Ledger Entry in the site's warehouses is *held*: never pushed, the shop keeps its quantity (a
template's product is held while one of its variants is). Two ways out, each with a preview:
:func:`import_opening_stock` (a draft Stock Reconciliation of the shop's quantities, for the user
to check and submit: its items then have ledger entries and are pushed like any other) and
:func:`push_erp_quantities` (the site is marked set up, then every quantity is pushed, an item
without stock as 0: the preview says how many products that sends to 0).

All of them end in :func:`push_stock`: it builds a :class:`StockPlan` (:func:`plan_push`, pure
reading), sends it through the adapter's batch endpoints outside any ERP transaction, then records
what the shop accepted on the item links in one short transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
import uuid
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Callable, Iterable, Mapping

from shopsync.erp.port import ERP, Doc
from shopsync.sync import blacklist as blacklist_mod
from shopsync.sync.links import LINK_DOCTYPE, NOT_LINKED, Binder, link_target
from shopsync.sync.shop_pause import FailingShop, ShopPause, gave_up
from shopsync.sync.site import STOCK_RULES, SiteConfig
from shopsync.woocommerce.errors import AuthError, ConnectionFailed, RateLimited, ServerError, WooError

log = logging.getLogger(__name__)

from shopsync.sync.blacklist import BLACKLIST_DOCTYPE  # noqa: E402
BATCH_SIZE = 100  # WooCommerce answers 413 beyond 100 objects in one batch
#: The link's ``last_error`` is shared with the product sync: the stock push marks its own, and
#: only clears its own.
ERROR_PREFIX = "Stock push: "
#: past this many item codes, the site's links (and the Items' few fields) are read in one query
#: and filtered here
BULK_READ = 1000
PRODUCTS_BATCH = "products/batch"

ACTUAL_MINUS_RESERVED, ACTUAL, PROJECTED = STOCK_RULES

Progress = Callable[[int, int], None]


# --------------------------------------------------------------------------------------------
# The quantity rule
# --------------------------------------------------------------------------------------------


def _dec(value: Any) -> Decimal:
    """A Bin figure as a Decimal, float noise removed (2.9999999999 -> 3.000000)."""
    if value in (None, ""):
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(round(float(value), 6)))


def bin_quantity(bin_row: Mapping[str, Any], rule: str = ACTUAL_MINUS_RESERVED) -> Decimal:
    """What one Bin offers for sale under ``rule`` (may be negative or fractional)."""
    if rule == ACTUAL:
        return _dec(bin_row.get("actual_qty"))
    if rule == PROJECTED:
        return _dec(bin_row.get("projected_qty"))
    if rule == ACTUAL_MINUS_RESERVED:
        return _dec(bin_row.get("actual_qty")) - _dec(bin_row.get("reserved_qty"))
    raise ValueError(f"Unknown stock rule {rule!r}; expected one of {', '.join(STOCK_RULES)}")


def shop_quantity(bin_rows: Iterable[Mapping[str, Any]], rule: str = ACTUAL_MINUS_RESERVED) -> int:
    """The whole number the shop gets: summed over the Bins, floored (2.7 -> 2), never below 0.

    The sum comes first: a warehouse in the red (negative stock allowed) lowers what the others
    offer, and two halves in two warehouses make one unit.
    """
    total = sum((bin_quantity(b, rule) for b in bin_rows), Decimal(0))
    whole = int(total.quantize(Decimal(0), rounding=ROUND_FLOOR))
    return max(whole, 0)


def quantities(
    bin_rows: Iterable[Mapping[str, Any]], warehouses: Iterable[str], rule: str = ACTUAL_MINUS_RESERVED
) -> dict[str, int]:
    """Shop quantity per item code from Bin rows, counting only ``warehouses``."""
    allowed = set(warehouses)
    by_item: dict[str, list[Mapping[str, Any]]] = {}
    for row in bin_rows:
        if row.get("warehouse") in allowed:
            by_item.setdefault(row["item_code"], []).append(row)
    return {code: shop_quantity(rows, rule) for code, rows in by_item.items()}


# --------------------------------------------------------------------------------------------
# Which shop object an item link points at
# --------------------------------------------------------------------------------------------


def endpoint_for(product_id: int, variation_id: int) -> str:
    """The batch endpoint that takes this object (a variation id on products/batch is a 404)."""
    return f"products/{product_id}/variations/batch" if variation_id else PRODUCTS_BATCH


def is_blacklisted(blacklist: Iterable[Mapping[str, Any]], item_code: str, product_id: int, variation_id: int) -> bool:
    return blacklist_mod.match(blacklist, item_code, (product_id, variation_id)) is not None


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------

SIMPLE, VARIATION, PARENT = "simple", "variation", "parent"


@dataclasses.dataclass
class StockLine:
    item_code: str
    link: str  # name of the WooCommerce Link
    kind: str  # simple | variation | parent
    product_id: int
    variation_id: int
    qty: int
    last_pushed_qty: float | None  # None: never pushed (or never accepted)
    last_error: str = ""  # the link's, as read

    @property
    def endpoint(self) -> str:
        return endpoint_for(self.product_id, self.variation_id)

    @property
    def woo_object_id(self) -> int:
        return self.variation_id or self.product_id

    def payload(self) -> dict[str, int]:
        return {"id": self.woo_object_id, "stock_quantity": self.qty}


@dataclasses.dataclass
class StockPlan:
    site: str
    send: list[StockLine] = dataclasses.field(default_factory=list)
    unchanged: list[StockLine] = dataclasses.field(default_factory=list)
    #: the site's stock is not set up and these items have no Stock Ledger Entry in its
    #: warehouses (or, for a template's product, one of its variants has none): not pushed
    held: list[StockLine] = dataclasses.field(default_factory=list)
    #: item code -> why it is not pushed ("not linked", "blacklisted", "disabled", "not a stock item")
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)

    def by_endpoint(self) -> dict[str, list[StockLine]]:
        out: dict[str, list[StockLine]] = {}
        for line in self.send:
            out.setdefault(line.endpoint, []).append(line)
        return out

    def requests(self) -> dict[str, list[list[dict[str, int]]]]:
        """What would be sent: per endpoint, the batches (``update`` lists of at most 100)."""
        return {
            endpoint: [[l.payload() for l in lines[i : i + BATCH_SIZE]] for i in range(0, len(lines), BATCH_SIZE)]
            for endpoint, lines in self.by_endpoint().items()
        }

    @property
    def request_count(self) -> int:
        return sum(math.ceil(len(lines) / BATCH_SIZE) for lines in self.by_endpoint().values())


def _chunks(values: list, size: int = 500) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _find_in(erp: ERP, doctype: str, field: str, values: Iterable[str], filters: dict | None = None,
             fields: Iterable[str] = ("*",)) -> list[Doc]:
    values = sorted(set(values))
    rows: list[Doc] = []
    for part in _chunks(values):
        rows += erp.find(doctype, {**(filters or {}), field: ("in", part)}, fields=tuple(fields))
    return rows


def _item_links(erp: ERP, site: str, item_codes: Iterable[str] | None) -> list[Doc]:
    base = {"site": site, "link_type": "Item"}
    wanted = None if item_codes is None else set(item_codes)
    if wanted is None or len(wanted) > BULK_READ:
        # one query for the site's links rather than many long IN lists
        rows = erp.find(LINK_DOCTYPE, base, fields=("*",))
        if wanted is not None:
            rows = [r for r in rows if r.get("erp_name") in wanted]
    else:
        rows = _find_in(erp, LINK_DOCTYPE, "erp_name", wanted, base)
    return [r for r in rows if r.get("state") != NOT_LINKED and r.get("erp_name")]


def _last_pushed(link: Mapping[str, Any]) -> float | None:
    if not link.get("last_pushed_at"):
        return None
    return float(link.get("last_pushed_qty") or 0)


ITEM_FIELDS = ("name", "variant_of", "has_variants", "disabled", "is_stock_item")


def items_with_ledger(erp: ERP, site: SiteConfig, codes: Iterable[str]) -> set[str]:
    codes = sorted(set(codes))
    if not codes or not site.stock_warehouses:
        return set()
    found: set[str] = set()
    for part in _chunks(codes):
        found |= set(erp.items_with_stock_ledger(part, site.stock_warehouses))
    return found


def plan_push(erp: ERP, site: SiteConfig, item_codes: Iterable[str] | None = None, force: bool = False,
              hold: bool | None = None) -> StockPlan:
    """What :func:`push_stock` would send for ``item_codes`` (the whole catalogue when None).

    Reads only: links, blacklist, Items and Bins. A variant's movement also re-plans its template's
    product (the sum of its active variants) when the template is linked on the site. With
    ``force`` False, a quantity equal to the last one the shop accepted is left out. ``hold``
    (default: while the site's stock is not set up) puts items without any Stock Ledger Entry in
    the site's warehouses in ``held`` instead of sending them.
    """
    plan = StockPlan(site=site.name)
    wanted = None if item_codes is None else set(item_codes)
    if wanted is not None and not wanted:
        return plan

    if wanted is None:
        link_of = _index(_item_links(erp, site.name, None))
        items = _items(erp, link_of)
        targets = set(link_of)
    else:
        items = _items(erp, wanted)
        templates = {i["variant_of"] for i in items.values() if i.get("variant_of")}
        items.update(_items(erp, templates - set(items)))
        link_of = _index(_item_links(erp, site.name, wanted | templates))
        targets = wanted | (templates & set(link_of))

    # A linked template's product shows the sum of all its linked variants on this site.
    parents = {c for c in targets if c in link_of and items.get(c, {}).get("has_variants")}
    variants_of: dict[str, list[str]] = {}
    if parents:
        for row in _find_in(erp, "Item", "variant_of", parents, fields=ITEM_FIELDS):
            variants_of.setdefault(row["variant_of"], []).append(row["name"])
            items.setdefault(row["name"], row)
        siblings = {v for vs in variants_of.values() for v in vs} - set(link_of)
        if siblings:
            link_of.update(_index(_item_links(erp, site.name, siblings)))

    blacklist = erp.find(BLACKLIST_DOCTYPE, {"site": site.name}, fields=("item_code", "woo_id", "woo_variation_id"))
    stock_codes = sorted(c for c in link_of if not items.get(c, {}).get("has_variants"))
    bins = erp.bins(stock_codes, site.stock_warehouses) if stock_codes and site.stock_warehouses else []
    qty = quantities(bins, site.stock_warehouses, site.stock_rule)
    if hold is None:
        hold = not site.stock_set_up
    stocked = items_with_ledger(erp, site, stock_codes) if hold else set(stock_codes)

    def active_variant(code: str, parent_id: int) -> bool:
        link, item = link_of.get(code), items.get(code, {})
        if link is None or item.get("disabled"):
            return False
        pid, vid = link_target(link)
        return bool(vid) and pid == parent_id and not is_blacklisted(blacklist, code, pid, vid)

    for code in sorted(targets):
        link = link_of.get(code)
        if link is None:
            plan.skipped[code] = "not linked"
            continue
        item = items.get(code)
        if not item:
            plan.skipped[code] = "no such item"  # deleted in the ERP, its link left behind
            continue
        pid, vid = link_target(link)
        if is_blacklisted(blacklist, code, pid, vid):
            plan.skipped[code] = "blacklisted"
            continue
        if item.get("disabled"):
            plan.skipped[code] = "disabled"
            continue
        if item.get("has_variants") and not vid:
            kind = PARENT
            active = [v for v in variants_of.get(code, []) if active_variant(v, pid)]
            q = sum(qty.get(v, 0) for v in active)
            waiting = hold and (not active or any(v not in stocked for v in active))
        elif item.get("is_stock_item") in (0, False):
            plan.skipped[code] = "not a stock item"
            continue
        else:
            kind = VARIATION if vid else SIMPLE
            q = qty.get(code, 0)
            waiting = code not in stocked
        line = StockLine(code, link["name"], kind, pid, vid, q, _last_pushed(link), link.get("last_error") or "")
        if waiting:
            plan.held.append(line)
        elif not force and line.last_pushed_qty is not None and line.last_pushed_qty == q:
            plan.unchanged.append(line)
        else:
            plan.send.append(line)
    return plan


def _index(links: Iterable[Doc]) -> dict[str, Doc]:
    out: dict[str, Doc] = {}
    for link in links:
        out.setdefault(link["erp_name"], link)
    return out


def _items(erp: ERP, codes: Iterable[str]) -> dict[str, Doc]:
    codes = set(codes)
    if not codes:
        return {}
    if len(codes) > BULK_READ:  # five small columns of every Item beat dozens of long IN lists
        return {r["name"]: r for r in erp.find("Item", None, fields=ITEM_FIELDS) if r["name"] in codes}
    return {r["name"]: r for r in _find_in(erp, "Item", "name", codes, fields=ITEM_FIELDS)}


# --------------------------------------------------------------------------------------------
# The push
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class PushReport:
    site: str
    #: HTTP requests the adapter sent (retries and halvings included)
    requests: int = 0
    #: item code -> quantity the shop accepted
    pushed: dict[str, int] = dataclasses.field(default_factory=dict)
    #: item codes whose quantity equals the last one accepted (not sent)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    #: item code -> why it is not pushed at all (not linked, blacklisted, disabled...)
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    #: item codes held until the site's stock is set up (no Stock Ledger Entry yet)
    held: list[str] = dataclasses.field(default_factory=list)
    #: item code -> the shop's error for that item (recorded on its link, retried next time)
    errors: dict[str, str] = dataclasses.field(default_factory=dict)
    #: item codes not sent because the shop could not be reached (retried by the hourly job)
    not_sent: list[str] = dataclasses.field(default_factory=list)
    #: why sending stopped (shop down, authentication refused...), "" when it did not
    failed: str = ""
    #: a stock job stopped at its time budget with items still pending (a continuation follows)
    more: bool = False
    #: sending stopped because the shop did not answer through every retry (no connection, 5xx):
    #: its pushes pause (shopsync.sync.shop_pause)
    unreachable: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors

    def summary(self) -> str:
        parts = [f"{len(self.pushed)} pushed", f"{len(self.unchanged)} unchanged"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        if self.held:
            parts.append(f"{len(self.held)} held (no stock in ERPNext yet, the shop keeps its quantity)")
        if self.errors:
            parts.append(f"{len(self.errors)} refused by the shop")
        if self.not_sent:
            parts.append(f"{len(self.not_sent)} not sent")
        text = f"{self.site}: " + ", ".join(parts) + f" ({self.requests} requests)"
        if self.failed:
            text += f"; stopped: {self.failed}"
        return text

    def merge(self, other: "PushReport") -> None:
        self.requests += other.requests
        self.pushed.update(other.pushed)
        self.unchanged += other.unchanged
        self.skipped.update(other.skipped)
        self.held += [c for c in other.held if c not in self.held]
        self.errors.update(other.errors)
        self.not_sent += other.not_sent
        self.failed = self.failed or other.failed
        self.unreachable = self.unreachable or other.unreachable


NO_MANAGE_STOCK = "the shop's product does not manage stock"


def _parents_without_stock(client: Any, lines: list[StockLine]) -> tuple[list[StockLine], WooError | None]:
    """The variable products among ``lines`` whose parent does not manage stock in the shop (its
    variations do): read with ``include`` lists of 100, two fields each. With the shop's error
    when the listing failed."""
    if not lines:
        return [], None
    ids = sorted({l.product_id for l in lines})
    manages: dict[int, bool] = {}
    try:
        for part in (ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)):
            params = {"include": ",".join(map(str, part)), "per_page": BATCH_SIZE, "_fields": "id,manage_stock"}
            for p in client.iter("products", params):
                manages[int(p.get("id") or 0)] = bool(p.get("manage_stock"))
    except WooError as exc:  # the batches meet the same trouble and record it on the links
        return [], exc
    # a product the listing did not return (gone) is sent as before: the batch says what it is
    return [l for l in lines if manages.get(l.product_id) is False], None


def _error_text(err: Any) -> str:
    if isinstance(err, Mapping):
        code, message = err.get("code") or "", err.get("message") or ""
        return f"{code}: {message}" if code else str(message or err)
    if isinstance(err, WooError):
        return str(err)  # plain words, WooCommerce's code and status; never a key or secret
    if isinstance(err, BaseException):
        return f"{type(err).__name__}: {err}"
    return str(err)


def _item_outcomes(result: Any, sent: list[StockLine]) -> tuple[set[int], dict[int, str]]:
    """From the adapter's BatchResult: ids the shop accepted and per-id errors of the update list."""
    rows = getattr(result, "update", None)
    if rows is None and isinstance(result, Mapping):
        rows = result.get("update")
    accepted: set[int] = set()
    errors: dict[int, str] = {}
    for row in rows or []:
        row_id = int(row.get("id") or 0)
        if row.get("error"):
            errors[row_id] = _error_text(row["error"])
        elif row_id:
            accepted.add(row_id)
    # Failures the adapter reports apart from the rows (a sub-batch that kept failing, say).
    for err in getattr(result, "errors", None) or []:
        row_id = int((err.get("id") if isinstance(err, Mapping) else getattr(err, "id", 0)) or 0)
        if row_id and row_id not in accepted:
            errors.setdefault(row_id, _error_text(err.get("error", err) if isinstance(err, Mapping) else getattr(err, "error", err)))
    return accepted, errors


#: adapter errors that mean "the shop, not this batch": stop sending, the hourly job retries.
_STOP = (ConnectionFailed, ServerError, RateLimited, AuthError)


def _stops(exc: BaseException) -> bool:
    return isinstance(exc, _STOP) or not getattr(exc, "status", None)


def _record(erp: ERP, site: str, accepted: list[StockLine], refused: dict[str, str], lines: dict[str, StockLine]) -> None:
    """One short transaction: what the shop accepted and what it refused, on the item links."""
    if not accepted and not refused:
        return
    binder = Binder(erp, site)
    now = erp.now()
    with erp.transaction():
        for line in accepted:
            values: dict[str, Any] = {"last_pushed_qty": line.qty, "last_pushed_at": now}
            if line.last_error.startswith(ERROR_PREFIX):
                values["last_error"] = ""
            binder.update({"name": line.link}, **values)
        for code, message in refused.items():
            binder.update({"name": lines[code].link}, last_error=(ERROR_PREFIX + message)[:1000])


def _send_batches(client: Any, calls: list[tuple[str, dict]]):
    """``(index, result, error)`` per batch: through the adapter's ``batches`` (the site's
    ``parallel_requests`` in flight, slowed by a 429; nothing more started once the shop stops
    answering), or one after the other with a client that has only ``batch``."""
    if hasattr(client, "batches"):
        yield from client.batches(calls, stop=_stops)
        return
    stopped = False
    for n, (endpoint, kwargs) in enumerate(calls):
        if stopped:
            yield n, None, None
            continue
        try:
            yield n, client.batch(endpoint, **kwargs), None
        except WooError as exc:
            stopped = _stops(exc)
            yield n, None, exc


def push_stock(
    erp: ERP,
    site: SiteConfig,
    client: Any,
    item_codes: Iterable[str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    plan: StockPlan | None = None,
    echoes: Any = None,
) -> PushReport:
    """Send the shop the quantities of ``item_codes`` (every linked item when None).

    Batches of at most 100 per request, variations through their parent's endpoint. The ERP is
    read first (no transaction held), WooCommerce is called, and each batch's outcome is written
    to the links right after it in a short transaction: accepted -> ``last_pushed_qty`` and
    ``last_pushed_at``; refused item -> ``last_error`` (retried next time). When the shop cannot
    be reached nothing more is sent and the unsent items get a ``last_error`` too, so the hourly
    catch-up retries them whenever they moved.
    """
    if plan is None:
        plan = plan_push(erp, site, item_codes, force=force)
    report = PushReport(site=site.name, unchanged=[l.item_code for l in plan.unchanged], skipped=dict(plan.skipped),
                        held=[l.item_code for l in plan.held])
    unmanaged, listing_error = _parents_without_stock(client, [l for l in plan.send if l.kind == PARENT])
    counted, start_count = client, getattr(client, "request_count", 0)
    if listing_error is not None and _stops(listing_error):
        # the shop did not answer the listing through every retry: the batches would spend them
        # all again on the same trouble; they are recorded as not sent with it instead
        client = FailingShop(listing_error)
    if unmanaged:
        # WooCommerce stores no quantity on a product that does not manage stock, but still
        # saves it (a product.updated echo) and answers as if it took it: send it nothing.
        for line in unmanaged:
            report.skipped[line.item_code] = NO_MANAGE_STOCK
        plan = dataclasses.replace(plan, send=[l for l in plan.send if l not in unmanaged])
    total = len(plan.send)
    done = 0
    if progress:
        progress(0, total)
    by_code = {l.item_code: l for l in plan.send}
    batches = [
        (endpoint, lines[i : i + BATCH_SIZE])
        for endpoint, lines in plan.by_endpoint().items()
        for i in range(0, len(lines), BATCH_SIZE)
    ]
    first_carries_one = getattr(client, "first_carries_one", None)  # the adapter's rule for its first request
    if batches and first_carries_one is not None and first_carries_one(len(batches), len(batches[0][1])):
        endpoint, lines = batches[0]
        batches[0:1] = [(endpoint, lines[:1]), (endpoint, lines[1:])]
    never_sent: list[StockLine] = []
    for n, result, exc in _send_batches(client, [(endpoint, {"update": [l.payload() for l in lines]})
                                                for endpoint, lines in batches]):
        lines = batches[n][1]
        stop = ""
        if exc is None and result is None:  # not sent: the shop stopped answering meanwhile
            never_sent += lines
            continue
        if exc is not None:  # the shop's trouble, or this batch's
            message = _error_text(exc)
            # What the adapter got done before it gave up (it halves a chunk on 5xx/timeouts).
            result = exc.partial_result
            if _stops(exc):
                stop = message
                report.unreachable = report.unreachable or gave_up(exc)
            fallback = f"not sent: {message}" if stop else message
        else:
            fallback = "no answer for this object in the shop's batch response"
        accepted_ids, error_ids = _item_outcomes(result, lines) if result is not None else (set(), {})
        if echoes is not None and result is not None:  # their product.updated echoes cost no job
            echoes.remember(site.name, getattr(result, "update", None) or [])
        accepted, refused, unsent = [], {}, []
        for line in lines:
            oid = line.woo_object_id
            if oid in error_ids:
                refused[line.item_code] = error_ids[oid]
            elif oid in accepted_ids:
                accepted.append(line)
            elif stop:
                unsent.append(line)
            else:  # the whole batch refused (a 404 parent gone, a 400...): go on with the rest
                refused[line.item_code] = fallback
        for line in accepted:
            report.pushed[line.item_code] = line.qty
        report.errors.update(refused)
        if stop:
            # The shop cannot be reached: nothing more is sent. What was not sent carries a
            # last_error, so the hourly catch-up retries it even if it does not move again.
            report.failed = report.failed or stop
            report.not_sent += [l.item_code for l in unsent]
            refused.update({l.item_code: fallback for l in unsent})
            log.warning("shopsync: stock push to %s stopped: %s", site.name, stop)
        _record(erp, site.name, accepted, refused, by_code)
        done += len(lines)
        if progress:
            progress(done, total)
    if never_sent:
        report.not_sent += [l.item_code for l in never_sent]
        _record(erp, site.name, [], {l.item_code: f"not sent: {report.failed}" for l in never_sent}, by_code)
    report.requests = getattr(counted, "request_count", 0) - start_count
    return report


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.strptime(str(value)[:19], "%Y-%m-%d %H:%M:%S")


def items_to_catch_up(erp: ERP, site: SiteConfig, now: Any = None, hours: float = 2) -> set[str]:
    """Items with a Stock Ledger Entry or a Bin modified in the last ``hours`` in the site's
    warehouses, plus those whose last push was refused or never sent."""
    now_dt = _as_datetime(now if now is not None else erp.now())
    since = (now_dt - dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")
    codes = set(erp.items_moved_since(since, site.stock_warehouses)) if site.stock_warehouses else set()
    for link in erp.find(LINK_DOCTYPE, {"site": site.name, "link_type": "Item"}, fields=("erp_name", "last_error", "state")):
        if str(link.get("last_error") or "").startswith(ERROR_PREFIX) and link.get("state") != NOT_LINKED \
                and link.get("erp_name"):
            codes.add(link["erp_name"])
    return codes


def catch_up_stock(
    erp: ERP, site: SiteConfig, client: Any, now: Any = None, hours: float = 2, force: bool = False,
    progress: Progress | None = None,
) -> PushReport:
    """The hourly job: push what moved in the last ``hours`` (reposts and backdated entries
    included, through ``Bin.modified``) and retry what failed.

    Not forced by default: a quantity is recorded as pushed only once the shop accepted it, so a
    push lost to a down shop, a refused item or a Bin changed without any hook all differ from
    the last accepted quantity and are sent; re-sending equal quantities would only cost requests.
    ``force=True`` re-sends them anyway (to overwrite edits made in the shop itself).
    """
    codes = items_to_catch_up(erp, site, now, hours)
    if not codes:
        return PushReport(site=site.name)
    return push_stock(erp, site, client, codes, force=force, progress=progress)


def push_all_stock(
    erp: ERP, site: SiteConfig, client: Any, progress: Progress | None = None, force: bool = True
) -> PushReport:
    """The "Push all stock" button: every linked item of the site, forced by default (the user
    asks the shop to show the ERP's figures, whatever was pushed before)."""
    return push_stock(erp, site, client, None, force=force, progress=progress)


# --------------------------------------------------------------------------------------------
# The comparison report
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class ComparisonRow:
    item_code: str
    kind: str
    product_id: int
    variation_id: int
    erp_qty: int
    shop_qty: int | None  # None: the shop does not manage stock for it, or the object is gone
    last_pushed_qty: float | None
    last_pushed_at: str
    last_error: str = ""
    manage_stock: bool | None = None
    #: not pushed until the site's stock is set up (no Stock Ledger Entry yet): the shop keeps its own
    held: bool = False

    @property
    def difference(self) -> int | None:
        return None if self.shop_qty is None else self.erp_qty - self.shop_qty

    @property
    def differs(self) -> bool:
        """The shop shows another quantity. A product that does not manage its own stock (a
        variable product whose variations do) shows none, and differs from nothing."""
        if self.shop_qty is None and self.manage_stock is False:
            return False
        return self.shop_qty != self.erp_qty


def _shop_quantities(client: Any, lines: list[StockLine]) -> dict[tuple[int, int], dict[str, Any]]:
    """(product id, variation id) -> {stock_quantity, manage_stock} read from the shop: products
    by ``include`` lists of 100, variations one listing per parent."""
    fields = "id,stock_quantity,manage_stock,parent_id"
    out: dict[tuple[int, int], dict[str, Any]] = {}
    product_ids = sorted({l.product_id for l in lines if not l.variation_id})
    for part in (product_ids[i : i + BATCH_SIZE] for i in range(0, len(product_ids), BATCH_SIZE)):
        wanted = set(part)
        params = {"include": ",".join(map(str, part)), "per_page": BATCH_SIZE, "_fields": fields}
        for p in client.iter("products", params):
            if int(p.get("id") or 0) in wanted:
                out[(int(p["id"]), 0)] = p
    parents: dict[int, set[int]] = {}
    for l in lines:
        if l.variation_id:
            parents.setdefault(l.product_id, set()).add(l.variation_id)
    for pid, vids in sorted(parents.items()):
        try:
            for v in client.iter(f"products/{pid}/variations", {"per_page": BATCH_SIZE, "_fields": fields}):
                if int(v.get("id") or 0) in vids:
                    out[(pid, int(v["id"]))] = v
        except WooError as exc:  # a parent gone from the shop: its rows show None
            if _stops(exc):
                raise
    return out


def stock_comparison(erp: ERP, site: SiteConfig, client: Any, hold: bool | None = None) -> list[ComparisonRow]:
    """Per linked item: the ERP's quantity (the site's rule), the shop's, the difference and the
    last push. Blacklisted and disabled items are left out (they are not pushed). Items held until
    the site's stock is set up come last, marked ``held``."""
    plan = plan_push(erp, site, None, force=True, hold=hold)
    shop = _shop_quantities(client, plan.send + plan.held)
    links = {l["name"]: l for l in _item_links(erp, site.name, None)}
    rows = []
    for line, held in [(l, False) for l in plan.send] + [(l, True) for l in plan.held]:
        remote = shop.get((line.product_id, line.variation_id))
        manage = None if remote is None else bool(remote.get("manage_stock"))
        shop_qty = None
        if remote is not None and remote.get("stock_quantity") is not None and manage is not False:
            shop_qty = int(remote["stock_quantity"])
        link = links.get(line.link, {})
        rows.append(
            ComparisonRow(
                item_code=line.item_code, kind=line.kind, product_id=line.product_id, variation_id=line.variation_id,
                erp_qty=line.qty, shop_qty=shop_qty, last_pushed_qty=_last_pushed(link),
                last_pushed_at=str(link.get("last_pushed_at") or ""), last_error=link.get("last_error") or "",
                manage_stock=manage, held=held,
            )
        )
    return rows


def push_differences(erp: ERP, site: SiteConfig, client: Any, rows: Iterable[ComparisonRow] | None = None,
                     progress: Progress | None = None) -> PushReport:
    """The report's button: force the ERP's quantity onto every item whose shop figure differs
    (items whose shop object does not manage stock are left alone)."""
    if rows is None:
        rows = stock_comparison(erp, site, client)
    codes = [r.item_code for r in rows if r.shop_qty is not None and r.differs and not r.held]
    if not codes:
        return PushReport(site=site.name)
    return push_stock(erp, site, client, codes, force=True, progress=progress)


# --------------------------------------------------------------------------------------------
# Coalescing: the hook's side and the job's side
# --------------------------------------------------------------------------------------------

JOB_METHOD = "shopsync.sync.stock.run_stock_job"
JOB_QUEUE = "default"  # never the orders' queue (short): an order never waits behind a stock push
PENDING_KEY = "shopsync:stock:pending:{site}"
SCHEDULED_KEY = "shopsync:stock:scheduled:{site}"
#: how long a scheduled job holds the site's flag without a sign of life; past it, a new
#: movement may queue another job (a worker killed mid-push must not block the site for good)
SCHEDULED_TTL = 15 * 60
#: items a job takes from the pending set at a time (10 batch requests, about a minute on a real shop)
DRAIN_LIMIT = 1000
#: past this many seconds a job hands what is still pending to a continuation job (with the same
#: flag), well within the queue's timeout: a go-live reconciliation of 10,000 lines is 100 batches
JOB_BUDGET_SECONDS = 240.0


def sites_for_movements(
    sites: Iterable[SiteConfig], moves: Iterable[tuple[str, str]]
) -> dict[str, set[str]]:
    """``(item_code, warehouse)`` pairs moved in one transaction -> item codes per enabled site
    whose stock warehouses include the warehouse (a warehouse of None concerns every enabled
    site). Pure: no stock, no link is read here (the job filters unlinked items; the hook must
    stay cheap)."""
    moves = list(moves)
    out: dict[str, set[str]] = {}
    for site in sites:
        if not site.enabled:
            continue
        whs = set(site.stock_warehouses)
        codes = {code for code, wh in moves if wh is None or wh in whs}
        if codes:
            out[site.name] = codes
    return out


def stock_job_id(site: str, token: str = "") -> str:
    return f"shopsync-stock::{site}" + (f"::{token}" if token else "")


class StockEvents:
    """What one ERP transaction moved, collected by the Stock Ledger Entry hook.

    The Frappe edge keeps one in ``frappe.local`` per transaction: ``record`` on every entry's
    ``on_submit`` and every Sales Order's reservation change (cheap, no I/O); when it answers True (the first record) the edge
    registers one after-commit callback that calls :meth:`flush` (and an after-rollback one that
    calls :meth:`clear`). So a 500-line voucher costs 500 set insertions and, after the commit,
    one Redis round trip per site.
    """

    def __init__(self) -> None:
        self.moves: set[tuple[str, str]] = set()

    def record(self, item_code: str, warehouse: str | None = None) -> bool:
        first = not self.moves
        self.moves.add((item_code, warehouse))
        return first

    def clear(self) -> None:
        self.moves.clear()

    def __bool__(self) -> bool:  # anything noted
        return bool(self.moves)

    def flush(self, sites: Iterable[SiteConfig], pending: "PendingStock", enqueue: Callable[..., Any]) -> dict[str, bool]:
        """After the commit: add the moved items to each site's pending set and queue one job
        for every site that has none scheduled. Returns site -> whether a job was queued."""
        moves, self.moves = self.moves, set()
        return stock_moved(sites, pending, enqueue, moves)


def stock_moved(
    sites: Iterable[SiteConfig], pending: "PendingStock", enqueue: Callable[..., Any],
    moves: Iterable[tuple[str, str | None]],
) -> dict[str, bool]:
    """The hook's whole work, after the commit: ``moves`` (item code, warehouse) go to the
    pending set of every enabled site that has the warehouse, and each site without a scheduled
    job gets one. Reads no stock, calls no shop. Returns site -> whether a job was queued."""
    return {
        site: pending.add_and_schedule(site, codes, enqueue)
        for site, codes in sites_for_movements(sites, moves).items()
    }


def voucher_moves(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(item code, warehouse) of a document's rows: a Stock Ledger Entry, or a voucher whose rows
    change a Bin without any ledger entry (a Sales Order's reservation: ``reserved_qty`` moves
    on submit, cancel, Close, Hold, Re-open and Resume, and the default rule subtracts it).

    A Product Bundle line reserves its components, not itself (ERPNext's ``get_reserved_qty``
    reads the order's Packed Items), so the ``packed_items`` rows count too. A draft moves
    nothing: ``[]``."""
    if doc.get("item_code"):
        return [(doc["item_code"], doc.get("warehouse"))]
    if not int(doc.get("docstatus") or 0):
        return []
    out = []
    for row in [*(doc.get("items") or ()), *(doc.get("packed_items") or ())]:
        for field in ("warehouse", "s_warehouse", "t_warehouse"):
            if row.get("item_code") and row.get(field):
                out.append((row["item_code"], row[field]))
    return sorted(set(out))


class PendingStock:
    """Per-site sets of item codes waiting for a stock push, in Redis.

    - the hook ``add``s item codes (a Redis SET per site: a burst of movements of one item is one
      member) and learns whether it must queue a job: a site has at most one job scheduled, held
      by a flag (``SET NX`` with a token and a time to live);
    - the job ``drain``s the set, pushes, and drains again until the set stays empty; only then
      does it give the flag back (:meth:`release`), and it looks once more afterwards, so a
      movement that arrives at any moment is either drained by the running job or queues a new
      one. (A queue's own de-duplication cannot promise that: Frappe drops a job whose id is
      queued *or running*, so a movement in the last instant of a job would be lost.)
    """

    #: what the set holds and which job drains it (the product push reuses all of it, see
    #: shopsync.sync.products.pending)
    PENDING_KEY = PENDING_KEY
    SCHEDULED_KEY = SCHEDULED_KEY
    JOB_METHOD = JOB_METHOD
    JOB_QUEUE = JOB_QUEUE

    def __init__(self, redis_conn: Any, ttl: int = SCHEDULED_TTL, namespace: str = ""):
        """``namespace``: what sets apart the ERPs sharing one Redis (a bench's Frappe sites
        share its queue Redis, and two of them may each name a shop "shop")."""
        self.redis = redis_conn
        self.ttl = ttl
        self.namespace = namespace

    def job_id(self, site: str, token: str = "") -> str:
        return stock_job_id(site, token)

    # -- keys ---------------------------------------------------------------------------------
    def pending_key(self, site: str) -> str:
        return self.PENDING_KEY.format(site=site) + (f"@{self.namespace}" if self.namespace else "")

    def scheduled_key(self, site: str) -> str:
        return self.SCHEDULED_KEY.format(site=site) + (f"@{self.namespace}" if self.namespace else "")

    def put_back(self, site: str, item_codes: Iterable[str]) -> None:
        codes = sorted(set(item_codes))
        if codes:
            self.redis.sadd(self.pending_key(site), *codes)

    # -- the hook's side ----------------------------------------------------------------------
    def add(self, site: str, item_codes: Iterable[str]) -> str | None:
        """Add ``item_codes`` to the site's pending set. Returns a token when the caller must
        queue the site's job (nobody holds the site's flag: it is now the caller's), else None."""
        codes = sorted(set(item_codes))
        if not codes:
            return None
        token = uuid.uuid4().hex[:16]
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(self.pending_key(site), *codes)
        pipe.set(self.scheduled_key(site), token, nx=True, ex=self.ttl)
        _, got = pipe.execute()
        return token if got else None

    def add_and_schedule(self, site: str, item_codes: Iterable[str], enqueue: Callable[..., Any]) -> bool:
        """``add``, then queue the job when it falls to us. ``enqueue`` has the runtime's shape:
        ``enqueue(method, job_id=..., queue=..., **kwargs) -> bool``. If queuing fails the flag is
        given back (the items stay pending; the next movement or the hourly job takes them)."""
        token = self.add(site, item_codes)
        if token is None:
            return False
        try:
            queued = enqueue(self.JOB_METHOD, job_id=self.job_id(site, token), queue=self.JOB_QUEUE, site_name=site,
                             token=token, namespace=self.namespace)
        except Exception:
            self.release(site, token)
            raise
        if queued is False:
            self.release(site, token)
            return False
        return True

    # -- the job's side -----------------------------------------------------------------------
    def drain(self, site: str, limit: int | None = None) -> set[str]:
        """Take (and remove) the site's pending item codes, at most ``limit`` of them."""
        key = self.pending_key(site)
        if limit:
            codes = self.redis.spop(key, limit) or []
        else:
            pipe = self.redis.pipeline(transaction=True)
            pipe.smembers(key)
            pipe.delete(key)
            codes, _ = pipe.execute()
        return {c.decode() if isinstance(c, bytes) else c for c in codes}

    def size(self, site: str) -> int:
        return int(self.redis.scard(self.pending_key(site)))

    def holder(self, site: str) -> str | None:
        v = self.redis.get(self.scheduled_key(site))
        return v.decode() if isinstance(v, bytes) else v

    def touch(self, site: str, token: str) -> bool:
        """Keep the flag while the job works (returns False when it is no longer ours)."""
        if self.holder(site) != token:
            return False
        self.redis.expire(self.scheduled_key(site), self.ttl)
        return True

    _RELEASE = """
    if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
    """

    def release(self, site: str, token: str) -> bool:
        return bool(self.redis.eval(self._RELEASE, 1, self.scheduled_key(site), token))

    def claim(self, site: str, token: str) -> bool:
        return bool(self.redis.set(self.scheduled_key(site), token, nx=True, ex=self.ttl))

    def work_through(self, site: str, token: str, work: Callable[[set[str]], Any], *,
                     limit: int | None = None, budget: float | None = None) -> bool:
        """The job's loop: drain the site's set, ``work`` the codes, repeat until the set stays empty.

        Returns True when the ``budget`` (seconds) was spent with items still pending: the flag is
        kept, and the caller queues a continuation with the same token (:meth:`continue_later`).
        A ``work`` that raises (a bug, the database, a killed job; not the shop's refusals, which
        the work records) puts its codes back and gives up the flag, so the next change queues a
        job again instead of finding the site held for the flag's lifetime.
        """
        started = time.monotonic()
        if not self.holder(site):
            self.claim(site, token)
        while True:
            codes = self.drain(site, limit)
            if codes:
                try:
                    work(codes)
                except BaseException:
                    self.put_back(site, codes)
                    self.release(site, token)
                    raise
                if budget is not None and time.monotonic() - started >= budget and self.size(site):
                    self.touch(site, token)
                    return True
                continue
            # Empty: give the flag back, then look once more. A change added before the release
            # found the flag taken and queued nothing: it is ours to push. One added after it
            # queued its own job, unless we take the flag back first.
            self.release(site, token)
            if self.size(site) and self.claim(site, token):
                continue
            return False

    def continue_later(self, enqueue: Callable[..., Any], site: str, token: str) -> bool:
        """A continuation holding the same flag (a new job id: the running job's is still taken,
        and a queue drops a job whose id is queued or running). When the queue is down the flag is
        given up: the next change or the hourly job takes what is pending."""
        try:
            queued = enqueue(self.JOB_METHOD, job_id=self.job_id(site, uuid.uuid4().hex[:16]), queue=self.JOB_QUEUE,
                             site_name=site, token=token, namespace=self.namespace)
        except Exception:  # noqa: BLE001 - the queue is down
            queued = False
        if queued is False:
            self.release(site, token)
            return False
        return True


def run_pending(
    erp: ERP,
    site: SiteConfig,
    client: Any,
    pending: PendingStock,
    token: str = "",
    limit: int | None = DRAIN_LIMIT,
    progress: Progress | None = None,
    budget: float | None = None,
    echoes: Any = None,
    pause: Any = None,
) -> PushReport:
    """The body of the site's stock job: drain, push, repeat until the set stays empty.

    The Bins are read here, after the voucher's commit, never in the hook. Items of a push that
    could not reach the shop are not put back (the loop would spin while the shop is down): their
    links carry ``last_error`` and the hourly catch-up takes them. With a ``budget`` (seconds),
    once it is spent and items are still pending the report says ``more`` and the flag is kept:
    the caller queues a continuation with the same token.

    ``pause`` (a :class:`shopsync.sync.shop_pause.ShopPause`): while the site's pushes pause,
    nothing is sent (all of it recorded not sent); a push that gives up on the shop starts a
    pause; one that reaches it ends the pause.
    """
    token = token or uuid.uuid4().hex[:16]
    report = PushReport(site=site.name)
    why = pause.paused(site.name) if pause is not None else None
    shop = {"client": FailingShop.paused(why) if why else client}

    def alive(done: int, total: int) -> None:
        pending.touch(site.name, token)
        if progress:
            progress(done, total)

    def push(codes: set[str]) -> None:
        part = push_stock(erp, site, shop["client"], codes, progress=alive, echoes=echoes)
        report.merge(part)
        if part.unreachable and pause is not None:
            shop["client"] = FailingShop.paused(pause.start(erp, site.name, part.failed))
        elif part.pushed and not part.failed and pause is not None and not why:
            pause.end(erp, site.name)

    report.more = pending.work_through(site.name, token, push, limit=limit, budget=budget)
    return report


@dataclasses.dataclass
class PendingJob:
    """What a pending-set job (stock pushes here, product pushes in products/pending.py) works
    with: the installed runtime (``shopsync.sync.runtime``) for the ERP, the site and its client;
    the queue's own Redis connection (the job's) for the pending set, the one the hook wrote to
    (the Frappe edge passes ``frappe.utils.background_jobs.get_redis_conn()``), and for the shop's
    pause; the token of the flag the job holds."""

    rt: Any
    site: SiteConfig
    pending: PendingStock
    redis: Any
    namespace: str
    token: str

    @property
    def pause(self) -> ShopPause:
        return ShopPause(self.redis, namespace=self.namespace)

    def continue_if(self, more: bool) -> None:
        if more:
            self.pending.continue_later(self.rt.enqueue, self.site.name, self.token)


def start_pending_job(pending_class: type[PendingStock], site_name: str, token: str, namespace: str) -> PendingJob | None:
    """The start of a pending-set job; None for a disabled site, whose pending set is dropped and
    flag given back."""
    from rq import get_current_job

    from shopsync.sync.runtime import current

    rt = current()
    site = rt.load_site(site_name)
    job = get_current_job()
    if job is None:
        raise RuntimeError(f"{pending_class.JOB_METHOD} runs inside an RQ job (it uses the queue's Redis)")
    pending = pending_class(job.connection, namespace=namespace)
    if not site.enabled:
        pending.drain(site_name)
        pending.release(site_name, token)
        return None
    return PendingJob(rt, site, pending, job.connection, namespace, token or uuid.uuid4().hex[:16])


def run_stock_job(site_name: str, token: str = "", namespace: str = "") -> str:
    """The RQ entry point queued by :meth:`PendingStock.add_and_schedule`."""
    from shopsync.sync.echoes import EchoMemory
    from shopsync.sync.runtime import shop_client

    job = start_pending_job(PendingStock, site_name, token, namespace)
    if job is None:
        return f"{site_name}: disabled, pending stock dropped"
    with shop_client(job.rt, job.site) as client:
        report = run_pending(job.rt.erp, job.site, client, job.pending, token=job.token, limit=DRAIN_LIMIT,
                             budget=JOB_BUDGET_SECONDS, echoes=EchoMemory(job.redis, namespace=namespace),
                             pause=job.pause)
    job.continue_if(report.more)
    log.info("shopsync: %s", report.summary())
    return report.summary() + (" (continued in a new job)" if report.more else "")


# --------------------------------------------------------------------------------------------
# The first day: two ways out of "held"
# --------------------------------------------------------------------------------------------

SITE_DOCTYPE = "WooCommerce Site"
RECONCILIATION = "Stock Reconciliation"


class StockSetUpError(Exception):
    """A way out that cannot be taken as asked (no warehouse, no opening account, nothing to import)."""


@dataclasses.dataclass
class OpeningLine:
    item_code: str
    product_id: int
    variation_id: int
    qty: int  # the shop's quantity
    valuation_rate: float
    rate_from: str  # "valuation rate" | "price list"


@dataclasses.dataclass
class OpeningStockPreview:
    """What :func:`import_opening_stock` would put in its draft Stock Reconciliation."""

    site: str
    warehouse: str
    account: str
    lines: list[OpeningLine] = dataclasses.field(default_factory=list)
    #: item code -> the shop's quantity, for items with neither a valuation rate nor a price
    no_rate: dict[str, int] = dataclasses.field(default_factory=dict)
    #: items the shop has at 0 (or does not count): no line, nothing to open
    empty: list[str] = dataclasses.field(default_factory=list)
    #: items that already have stock entries in the ERP: left as they are
    already_stocked: list[str] = dataclasses.field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"lines": len(self.lines), "no_rate": len(self.no_rate), "empty": len(self.empty),
                "already_stocked": len(self.already_stocked)}

    def as_dict(self) -> dict[str, Any]:
        return {"site": self.site, "warehouse": self.warehouse, "account": self.account, "counts": self.counts,
                "lines": [dataclasses.asdict(l) for l in self.lines], "no_rate": dict(self.no_rate),
                "empty": list(self.empty), "already_stocked": list(self.already_stocked)}


def opening_account(erp: ERP, company: str) -> str:
    """The account an Opening Stock reconciliation balances against: ERPNext 15 refuses a
    Profit and Loss one (OpeningEntryAccountError) and its form proposes the company's
    Temporary account ("Temporary Opening")."""
    rows = erp.find("Account", {"company": company, "account_type": "Temporary", "is_group": 0}, fields=("name",),
                    order_by="name asc", limit=1)
    if not rows:
        raise StockSetUpError(f"Company {company} has no Temporary account (such as Temporary Opening) for opening stock")
    return rows[0]["name"]


def _rates(erp: ERP, site: SiteConfig, codes: list[str]) -> dict[str, tuple[float, str]]:
    """item code -> (rate, where from): the Item's valuation rate, else its price on the site's price list."""
    out: dict[str, tuple[float, str]] = {}
    for row in _find_in(erp, "Item", "name", codes, fields=("name", "valuation_rate")):
        if float(row.get("valuation_rate") or 0) > 0:
            out[row["name"]] = (float(row["valuation_rate"]), "valuation rate")
    missing = [c for c in codes if c not in out]
    if missing and site.price_list:
        for row in _find_in(erp, "Item Price", "item_code", missing, {"price_list": site.price_list},
                            fields=("item_code", "price_list_rate")):
            if float(row.get("price_list_rate") or 0) > 0 and row["item_code"] not in out:
                out[row["item_code"]] = (float(row["price_list_rate"]), "price list")
    return out


def preview_opening_stock(erp: ERP, site: SiteConfig, client: Any) -> OpeningStockPreview:
    """Read the shop's quantities of every linked stock item (batched listings) and say what the
    draft would hold: one line per item the shop counts above 0 and the ERP has no stock entry
    for, at its valuation rate or price list rate. Writes nothing."""
    if not site.default_warehouse:
        raise StockSetUpError("The site has no default warehouse for the opening stock")
    preview = OpeningStockPreview(site=site.name, warehouse=site.default_warehouse, account=opening_account(erp, site.company))
    plan = plan_push(erp, site, None, force=True, hold=True)
    lines = [l for l in plan.send + plan.held if l.kind != PARENT]
    # held (forced, nothing is "unchanged"): an item without a ledger entry; sent: one with
    stocked = {l.item_code for l in plan.send}
    shop = _shop_quantities(client, lines)
    wanted: list[tuple[StockLine, int]] = []
    for line in sorted(lines, key=lambda l: l.item_code):
        if line.item_code in stocked:
            preview.already_stocked.append(line.item_code)
            continue
        remote = shop.get((line.product_id, line.variation_id)) or {}
        qty = int(remote.get("stock_quantity") or 0) if remote.get("manage_stock") is not False else 0
        if qty <= 0:
            preview.empty.append(line.item_code)
        else:
            wanted.append((line, qty))
    rates = _rates(erp, site, [l.item_code for l, _ in wanted])
    for line, qty in wanted:
        if line.item_code not in rates:
            preview.no_rate[line.item_code] = qty
            continue
        rate, source = rates[line.item_code]
        preview.lines.append(OpeningLine(line.item_code, line.product_id, line.variation_id, qty, rate, source))
    return preview


def import_opening_stock(erp: ERP, site: SiteConfig, client: Any,
                         preview: OpeningStockPreview | None = None) -> tuple[str, OpeningStockPreview]:
    """The "Import the shop's stock as opening stock" button: a **draft** Stock Reconciliation
    (purpose Opening Stock, the company's Temporary account, the site's default warehouse), one
    line per item of :func:`preview_opening_stock`, recorded on the site. Never submitted: the
    user checks it and submits it; its items are pushed from then on (their ledger entries),
    the others stay held."""
    if preview is None:
        preview = preview_opening_stock(erp, site, client)
    if not preview.lines:
        raise StockSetUpError("The shop has no quantity to import for items without stock in ERPNext")
    with erp.transaction():
        doc = erp.insert({
            "doctype": RECONCILIATION,
            "company": site.company,
            "purpose": "Opening Stock",
            "expense_account": preview.account,
            "items": [{"item_code": l.item_code, "warehouse": preview.warehouse, "qty": l.qty,
                       "valuation_rate": l.valuation_rate} for l in preview.lines],
        })
        erp.set_values(SITE_DOCTYPE, site.name, {"opening_stock_reconciliation": doc["name"]})
    return doc["name"], preview


@dataclasses.dataclass
class ErpQuantitiesPreview:
    """What :func:`push_erp_quantities` would do: every linked product gets the ERP's quantity."""

    site: str
    products: int = 0
    #: item code -> the shop's quantity, for products the shop counts above 0 that would go to 0
    to_zero: dict[str, int] = dataclasses.field(default_factory=dict)
    #: products whose quantity would change at all
    changing: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {"products": self.products, "changing": self.changing, "to_zero": len(self.to_zero)}

    def as_dict(self) -> dict[str, Any]:
        return {"site": self.site, "counts": self.counts, "to_zero": dict(self.to_zero)}


def preview_erp_quantities(erp: ERP, site: SiteConfig, client: Any) -> ErpQuantitiesPreview:
    rows = stock_comparison(erp, site, client, hold=False)
    out = ErpQuantitiesPreview(site=site.name, products=len(rows))
    for r in rows:
        if r.shop_qty is None:
            continue
        if r.shop_qty != r.erp_qty:
            out.changing += 1
        if r.erp_qty == 0 and r.shop_qty > 0:
            out.to_zero[r.item_code] = r.shop_qty
    return out


def push_erp_quantities(erp: ERP, site: SiteConfig, client: Any, progress: Progress | None = None) -> PushReport:
    """The "Push ERPNext's quantities" button: the site's stock is marked set up (the ERP's
    figures are the truth from now on, an item without stock is 0), then every linked item's
    quantity is pushed, forced."""
    now = erp.now()
    with erp.transaction():
        erp.set_values(SITE_DOCTYPE, site.name, {"stock_set_up": 1, "stock_set_up_on": now})
    site = dataclasses.replace(site, stock_set_up=True, stock_set_up_on=now)
    return push_stock(erp, site, client, None, force=True, progress=progress)


def held_on_first_sync(erp: ERP, site: SiteConfig, pairs: list[tuple[str, Mapping[str, Any] | None]]) -> list[int | None]:
    """For the first product sync's preview: of the (item code, shop object) pairs it would link,
    which are held until the site's stock is set up (the item has no Stock Ledger Entry in the
    site's warehouses, or does not exist yet): the shop's quantity for those, None for the others
    (pushed as usual, or a shop object that manages no stock). Aligned with ``pairs``."""
    def counts(obj: Mapping[str, Any] | None) -> bool:
        return bool(obj) and obj.get("manage_stock") is True and obj.get("type") != "variable"

    if not any(counts(obj) for _, obj in pairs) or site.stock_set_up:
        return [None] * len(pairs)
    # an item still to be made from its product has no code yet, nor any ledger entry
    stocked = items_with_ledger(erp, site, [code for code, obj in pairs if code and counts(obj)])
    return [int(obj.get("stock_quantity") or 0) if counts(obj) and code not in stocked else None
            for code, obj in pairs]
