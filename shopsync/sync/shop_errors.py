"""WooCommerce's error codes, said in words a shop manager reads.

A link's last error keeps what the shop answered (``Stock push: woocommerce_rest_product_invalid_id:
Invalid ID.``), which support needs; the desk shows the sentence of the first known code instead
(the Item banner, the reports), translated. The codes are those of the real captures
(tests/captures/woocommerce) and of the adapter (shopsync.woocommerce.errors).
"""

from __future__ import annotations

import re

#: WooCommerce (or WordPress REST) error code -> what it means, in English (each a row of fr.csv)
MEANINGS: dict[str, str] = {
    "woocommerce_rest_product_invalid_id":
        "The product no longer exists in the shop (it was deleted or moved to the trash)",
    "woocommerce_rest_invalid_product_id":
        "The product no longer exists in the shop (it was deleted or moved to the trash)",
    "woocommerce_rest_product_variation_invalid_id":
        "The variation no longer exists in the shop (it was deleted)",
    "woocommerce_rest_invalid_id": "The object no longer exists in the shop",
    "woocommerce_rest_shop_order_invalid_id": "The order no longer exists in the shop",
    "woocommerce_rest_customer_invalid_id": "The customer no longer exists in the shop",
    "product_invalid_sku": "Another product in the shop already has this SKU",
    "woocommerce_rest_authentication_error": "The shop refused the API key: check the consumer key and secret",
    "woocommerce_rest_cannot_view": "The shop's API key may not read this: give the key Read/Write rights",
    "woocommerce_rest_cannot_edit": "The shop's API key may not change this: give the key Read/Write rights",
    "woocommerce_rest_cannot_create": "The shop's API key may not create this: give the key Read/Write rights",
    "woocommerce_rest_request_entity_too_large": "The request was too large for the shop",
    "rest_invalid_param": "The shop refused a value it was sent",
    "rest_invalid_type": "The shop refused a value it was sent",
    "rest_not_in_enum": "The shop refused a value it was sent",
    "rest_out_of_bounds": "The shop refused a value it was sent",
    "rest_no_route": "The shop's REST API does not answer at this address (is WooCommerce active?)",
    "woocommerce_product_invalid_image_id": "The shop could not use the product's image",
}

_CODE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, MEANINGS), key=len, reverse=True)) + r")\b")


def meaning(text: str | None) -> str | None:
    """The English sentence for the first known error code in ``text``, or None."""
    match = _CODE.search(text or "")
    return MEANINGS[match.group(1)] if match else None
