from __future__ import annotations

import os
import pathlib

import pytest

from shopsync.woocommerce import hosts
from tests.support.redis_server import RedisServer

# The simulated shops listen on 127.0.0.1: the suite allows private hosts, as a site does with
# the site config key shopsync_allow_private_hosts (tests/test_private_hosts.py checks the guard).
hosts.allow_private_hosts(True)

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path(os.environ.get("SHOPSYNC_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> pathlib.Path:
    """The real captures (../shared). Tests holding stand-ins to them skip without it."""
    if not (SHARED / "woocommerce").is_dir() or not (SHARED / "erpnext").is_dir():
        pytest.skip(f"real captures not found at {SHARED} (set SHOPSYNC_SHARED)")
    return SHARED


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
