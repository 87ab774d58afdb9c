from __future__ import annotations

import pathlib

import pytest

from shopsync.woocommerce import hosts
from tests.support.redis_server import RedisServer

# The simulated shops listen on 127.0.0.1: the suite allows private hosts, as a site does with
# the site config key shopsync_allow_private_hosts (tests/test_private_hosts.py checks the guard).
hosts.allow_private_hosts(True)

REPO = pathlib.Path(__file__).resolve().parent.parent
#: The real WooCommerce and ERPNext captures, part of the repository (see tests/captures/README.md).
CAPTURES = REPO / "tests" / "captures"


@pytest.fixture(scope="session")
def captures_dir() -> pathlib.Path:
    """The real captures the simulator and the stand-in are held to. A missing one is an error."""
    for part in ("woocommerce", "erpnext"):
        if not (CAPTURES / part).is_dir():
            raise FileNotFoundError(f"{CAPTURES / part} is missing: the captures are part of the repository")
    return CAPTURES


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    import redis

    conn = redis.Redis.from_url(redis_server.url)
    conn.flushall()
    return redis_server.url
