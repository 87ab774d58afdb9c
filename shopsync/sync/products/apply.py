"""Carrying out a plan: the ERP's side first (products before variations: a variant needs its
template), 100 pairs a transaction, then the shop's side in batches."""

from __future__ import annotations

from typing import Callable

from shopsync.sync.products.catalogue import chunks, requests_made
from shopsync.sync.products.engine import Engine
from shopsync.sync.products.erp_writes import write_chunk
from shopsync.sync.products.plan import Op
from shopsync.sync.products.results import SyncResult
from shopsync.sync.products.shop_writes import push

ERP_CHUNK = 100  # pairs written per ERP transaction in bulk runs

Progress = Callable[[str, int, int], None]


def apply(eng: Engine, ops: list[Op], progress: Progress | None = None) -> SyncResult:
    erp_ops = [o for o in ops if o.action in ("pull", "link", "mark", "unlink")]
    shop_ops = [o for o in ops if o.action in ("push", "draft")]
    total = len(ops)
    done = 0
    erp_ops.sort(key=lambda o: (o.key is not None and o.key[1] != 0, o.key or (0, 0)))
    for part in chunks(erp_ops, ERP_CHUNK):
        write_chunk(eng, part)
        done += len(part)
        if progress:
            progress("erp", done, total)
    if shop_ops:
        push(eng, shop_ops)
    done += len(shop_ops)
    if progress:
        progress("shop", done, total)
    eng.result.requests = requests_made(eng.client) - eng.requests_before
    eng.result.cursor = eng.shop.cursor
    return eng.result
