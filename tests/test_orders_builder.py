"""Orders shaped like WooCommerce 9.9's wc/v3 JSON, figures computed the way WooCommerce does.

WooCommerce (default settings, "round tax at subtotal" off) computes each line's tax from the line
total after coupons, keeps the unrounded figure in ``taxes[].total`` (``"3.024"``), and rounds it
per line for ``total_tax`` and for the order's per-rate ``tax_lines[].tax_total``. With prices
entered including tax, the line's price is the tax-included one: WooCommerce splits it back into
an ex-tax total and a tax, both shown rounded to 2 decimals, while the order total stays the
tax-included sum the customer saw, so the REST figures can miss the total by a cent per line.

Also the real captured orders (``captured_orders``). No tests in this module.
"""

from __future__ import annotations

import copy
import json
import pathlib
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shopsync.sync.site import SiteConfig

D = Decimal
RATES = {1: ("TVA 20%", D("20")), 2: ("TVA 5.5%", D("5.5")), 3: ("TVA 10%", D("10"))}
ACCOUNTS = {1: "TVA 20% - TS", 2: "TVA 5.5% - TS", 3: "TVA 10% - TS"}


def r2(x: Decimal) -> Decimal:
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def s2(x: Decimal) -> str:
    return f"{r2(x):.2f}"


def make_site(**kw: Any) -> SiteConfig:
    values = dict(
        name="shop1",
        woocommerce_url="http://127.0.0.1:1/",
        consumer_key="ck_test",
        consumer_secret="cs_test",
        company="Test Shop",
        tax_account="TVA 20% - TS",
        freight_account="Shipping Income - TS",
        customer_group="Individual",
        territory="France",
        price_list="Standard Selling",
        default_warehouse="Stores - TS",
        tax_rates=dict(ACCOUNTS),
        order_statuses=("processing", "on-hold", "completed"),
    )
    values.update(kw)
    return SiteConfig(**values)



def make_order(
    lines: list[dict[str, Any]],
    *,
    order_id: int = 1001,
    status: str = "processing",
    prices_include_tax: bool = False,
    shipping: list[tuple[str, Any, int | None]] = (),
    fees: list[tuple[str, Any, int | None]] = (),
    coupons: list[dict[str, Any]] = (),
    customer_id: int = 0,
    billing: dict[str, Any] | None = None,
    shipping_address: dict[str, Any] | None = None,
    currency: str = "EUR",
    modified: str = "2026-11-23T10:00:00",
    created: str = "2026-11-23T11:00:00",
    date_paid: str | None = None,
    payment_method: str = "bacs",
    customer_note: str = "",
) -> dict[str, Any]:
    """``lines``: dicts with ``price`` (as entered in the shop), ``qty``, ``rate_id`` (None: no tax),
    ``discount`` (coupon amount on the line, in the same terms as the price), ``product_id``,
    ``variation_id``, ``sku``, ``name``."""
    out_lines = []
    per_rate: dict[int, Decimal] = {}
    per_rate_ship: dict[int, Decimal] = {}
    exact_total = D(0)
    rest_sum = D(0)
    discount_total = D(0)
    for n, ln in enumerate(lines, start=1):
        price, qty = D(str(ln["price"])), int(ln.get("qty", 1))
        disc = D(str(ln.get("discount", 0)))
        rate_id = ln.get("rate_id", 1)
        pct = RATES[rate_id][1] / 100 if rate_id else D(0)
        gross = price * qty - disc
        if prices_include_tax:
            tax = gross * pct / (1 + pct)
            net = gross - tax
            sub_tax = price * qty * pct / (1 + pct)
            subtotal = price * qty - sub_tax
            exact_total += gross
        else:
            net, tax = gross, gross * pct
            subtotal, sub_tax = price * qty, price * qty * pct
            exact_total += net + r2(tax)
        discount_total += subtotal - net
        if rate_id:
            per_rate[rate_id] = per_rate.get(rate_id, D(0)) + r2(tax)
        rest_sum += r2(net) + r2(tax)
        pid = ln.get("product_id", 100 + n)
        out_lines.append({
            "id": n,
            "name": ln.get("name", f"Produit {n}"),
            "product_id": pid,
            "variation_id": ln.get("variation_id", 0),
            "quantity": qty,
            "tax_class": "" if rate_id in (None, 1) else "reduced-rate",
            "subtotal": s2(subtotal),
            "subtotal_tax": s2(sub_tax),
            "total": s2(net),
            "total_tax": s2(tax),
            "taxes": [{"id": rate_id, "total": str(tax.normalize()), "subtotal": str(sub_tax.normalize())}] if rate_id else [],
            "meta_data": [],
            "sku": ln.get("sku", f"SKU-{pid}"),
            "price": float(r2(net / qty)) if qty else 0,
            "image": {"id": "", "src": ""},
            "parent_name": None,
        })
    ship_lines, ship_total, ship_tax_total = [], D(0), D(0)
    for n, (title, amount, rate_id) in enumerate(shipping, start=1):
        amount = D(str(amount))
        tax = r2(amount * RATES[rate_id][1] / 100) if rate_id else D(0)
        if rate_id:
            per_rate_ship[rate_id] = per_rate_ship.get(rate_id, D(0)) + tax
        ship_total += amount
        ship_tax_total += tax
        exact_total += amount + tax
        rest_sum += amount + tax
        ship_lines.append({
            "id": 100 + n, "method_title": title, "method_id": "flat_rate", "instance_id": "",
            "total": s2(amount), "total_tax": s2(tax),
            "taxes": [{"id": rate_id, "total": str(tax), "subtotal": ""}] if rate_id else [],
            "tax_status": "taxable" if rate_id else "none", "meta_data": [],
        })
    fee_lines = []
    for n, (name, amount, rate_id) in enumerate(fees, start=1):
        amount = D(str(amount))
        tax = r2(amount * RATES[rate_id][1] / 100) if rate_id else D(0)
        if rate_id:
            per_rate[rate_id] = per_rate.get(rate_id, D(0)) + tax
        exact_total += amount + tax
        rest_sum += amount + tax
        fee_lines.append({
            "id": 200 + n, "name": name, "tax_class": "", "tax_status": "taxable" if rate_id else "none",
            "amount": "", "total": s2(amount), "total_tax": s2(tax),
            "taxes": [{"id": rate_id, "total": str(tax), "subtotal": ""}] if rate_id else [], "meta_data": [],
        })
    tax_lines = []
    for rate_id in sorted(set(per_rate) | set(per_rate_ship)):
        label, pct = RATES[rate_id]
        tax_lines.append({
            "id": 300 + rate_id, "rate_code": f"FR-{label}-1", "rate_id": rate_id, "label": label,
            "compound": False, "tax_total": s2(per_rate.get(rate_id, D(0))),
            "shipping_tax_total": s2(per_rate_ship.get(rate_id, D(0))), "rate_percent": float(pct), "meta_data": [],
        })
    cart_tax = sum(per_rate.values(), D(0))
    bill = {
        "first_name": "Jean", "last_name": "Dupont", "company": "", "address_1": "12 rue de la Paix",
        "address_2": "", "city": "Paris", "state": "", "postcode": "75002", "country": "FR",
        "email": "jean.dupont@example.test", "phone": "+33 1 02 03 04 05",
    }
    if billing:
        bill.update(billing)
    ship = {k: v for k, v in bill.items() if k not in ("email",)}
    if shipping_address is not None:
        ship = dict(shipping_address)
    return {
        "id": order_id,
        "parent_id": 0,
        "status": status,
        "currency": currency,
        "version": "9.9.5",
        "prices_include_tax": prices_include_tax,
        "date_created": created,
        "date_modified": modified,
        "discount_total": s2(discount_total),
        "discount_tax": "0.00",
        "shipping_total": s2(ship_total),
        "shipping_tax": s2(ship_tax_total),
        "cart_tax": s2(cart_tax),
        "total": s2(exact_total),
        "total_tax": s2(cart_tax + ship_tax_total),
        "customer_id": customer_id,
        "order_key": f"wc_order_{order_id}",
        "billing": bill,
        "shipping": ship,
        "payment_method": payment_method,
        "payment_method_title": payment_method,
        "transaction_id": "",
        "created_via": "checkout",
        "customer_note": customer_note,
        "date_completed": None,
        "date_paid": date_paid,
        "number": str(order_id),
        "meta_data": [],
        "line_items": out_lines,
        "tax_lines": tax_lines,
        "shipping_lines": ship_lines,
        "fee_lines": fee_lines,
        "coupon_lines": [dict(c) for c in coupons],
        "refunds": [],
        "date_created_gmt": created,
        "date_modified_gmt": modified,
        "date_paid_gmt": date_paid,
        "currency_symbol": "€",
        "_rest_sum": s2(rest_sum),  # what the REST figures add up to (test diagnostics only)
    }


def captured_orders(captures_dir: pathlib.Path) -> dict[str, dict[str, Any]]:
    """Every distinct real order state captured from WooCommerce 9.9.5, by "<file>#<id>"."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((captures_dir / "woocommerce").glob("*.json")):
        if "order" not in path.name:
            continue
        body = json.loads(path.read_text())["response"]["body"]
        for order in body if isinstance(body, list) else [body]:
            if isinstance(order, dict) and "line_items" in order and "status" in order:  # not refunds
                out[f"{path.stem}#{order['id']}"] = copy.deepcopy(order)
    return out
