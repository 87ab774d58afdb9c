"""Unique fields in the stand-in: indexed, and the index follows updates and rollbacks."""

import pytest

from shopsync.erp.errors import UniqueValidationError
from tests.erp_stand_in import MemoryERP
from tests.support.sites import add_site


def link(key, woo_id, erp_key):
    return {"doctype": "WooCommerce Link", "link_key": key, "site": "s1", "link_type": "Item", "woo_id": woo_id,
            "erp_doctype": "Item", "erp_key": erp_key}


def test_unique_values_follow_updates_and_rollbacks():
    erp = MemoryERP.with_test_shop()
    add_site(erp, "s1", "http://127.0.0.1:9/", "ck", "cs")
    with erp.transaction():
        first = erp.insert(link("a", 1, "K1"))
        erp.update("WooCommerce Link", first["name"], {"erp_key": "K2"})
        erp.insert(link("b", 2, "K1"))  # K1 is free again
    with pytest.raises(UniqueValidationError):
        with erp.transaction():
            erp.insert(link("c", 3, "k2"))  # compared as MariaDB does: case-insensitive
    with pytest.raises(RuntimeError):
        with erp.transaction():
            erp.insert(link("d", 4, "K9"))
            raise RuntimeError
    with erp.transaction():
        erp.insert(link("e", 5, "K9"))  # the rolled-back insert left nothing behind
