"""A real RQ worker in a process of its own, over the shared stand-in and a real Redis.

    python -m tests.support.worker_process HOST PORT AUTHKEY_HEX REDIS_URL QUEUE

It runs RQ's worker loop (``rq.SimpleWorker``) on ``QUEUE`` until the Redis key
``<QUEUE>:stop`` is set, with the engine's Runtime over the shared ERP and WooCommerce clients
for the sites' shops: what a bench's ``bench worker`` is to shopsync's jobs.
"""

from __future__ import annotations

import sys
import time

import redis
import rq


def main(argv: list[str]) -> int:
    host, port, authkey_hex, redis_url, queue_name = argv
    from shopsync.woocommerce import WooClient, hosts
    from tests.support.rq_runtime import RQEnqueuer, make_runtime
    from tests.support.shared_erp import RemoteERP

    hosts.allow_private_hosts(True)  # the simulated shop listens on 127.0.0.1
    erp = RemoteERP.connect((host, int(port)), bytes.fromhex(authkey_hex))
    conn = redis.Redis.from_url(redis_url)
    enqueuer = RQEnqueuer(conn, queue_name)
    make_runtime(erp, enqueuer, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    queue = rq.Queue(queue_name, connection=conn)
    while not conn.exists(f"{queue_name}:stop"):
        rq.SimpleWorker([queue], connection=conn).work(burst=True, logging_level="WARNING")
        time.sleep(0.02)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
