"""The adapter never connects to loopback, private, link-local or reserved addresses unless allowed.

A listening socket on 127.0.0.1 stands for "a service of this server": it must see no connection
at all when the guard is on, and the simulator must answer as usual when it is off. The test suite
allows private hosts process-wide (tests/conftest.py); these tests choose per client.
"""

from __future__ import annotations

import socket
import time

import pytest

from shopsync.woocommerce import ConnectionFailed, WooClient, check_connection, hosts
from tests.woosim import WooSim

CK, CS = "ck_test", "cs_test"


class Listener:
    """A bare TCP listener that counts the connections it was offered."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connections(self) -> int:
        time.sleep(0.2)
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def close(self):
        self.sock.close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_a_loopback_shop_is_refused_before_any_connection(listener, host):
    client = WooClient(f"http://{host}:{listener.port}/", CK, CS, allow_private_hosts=False, max_retries=3, backoff=0.01)
    with pytest.raises(ConnectionFailed) as info:
        client.get("products")
    assert info.value.kind == "private_address" and not info.value.transient
    assert "local or private network address" in str(info.value)
    assert "shopsync_allow_private_hosts" in str(info.value)
    assert client.request_count == 0
    assert listener.connections() == 0  # nothing reached the local service, not even a SYN accepted


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "http://10.1.2.3/", "https://192.168.0.10/", "http://172.16.5.5:8080/", "http://100.64.0.1/",
    "http://0.0.0.0/", "http://[::1]/", "http://[fe80::1]/", "http://224.0.0.1/",
])
def test_private_link_local_and_reserved_addresses_are_refused_at_once(url):
    client = WooClient(url, CK, CS, allow_private_hosts=False, timeout=30, max_retries=3)
    started = time.monotonic()
    check = check_connection(client)
    assert time.monotonic() - started < 2  # no connect attempt (those would wait 10 s, then retry)
    assert not check.ok and not check.reachable
    assert "local or private network address" in check.summary()
    assert client.request_count == 0


def test_a_name_that_turns_private_for_the_connection_is_refused(listener, monkeypatch):
    """DNS rebinding: the first look sees a public address, the connection would get 127.0.0.1."""
    real = socket.getaddrinfo
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", listener.port))]])

    def resolver(host, port, *args, **kw):
        if host == "shop.rebind.example":
            try:
                return next(answers)
            except StopIteration:
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", listener.port))]
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    client = WooClient(f"http://shop.rebind.example:{listener.port}/", CK, CS, allow_private_hosts=False, max_retries=0)
    with pytest.raises(ConnectionFailed) as info:
        client.get("products")
    assert info.value.kind == "private_address"
    assert listener.connections() == 0


def test_allowed_private_hosts_reach_the_simulator():
    with WooSim(consumer_key=CK, consumer_secret=CS).seed() as sim:
        assert len(WooClient(sim.url, CK, CS, allow_private_hosts=True).get("products", {"per_page": 5})) == 5
        assert check_connection(WooClient(sim.url, CK, CS, allow_private_hosts=True)).ok
        sim.reset_request_log()
        refused = check_connection(WooClient(sim.url, CK, CS, allow_private_hosts=False))
        time.sleep(0.2)  # the simulator logs a request after answering it
        assert not refused.ok and sim.requests == []


def test_the_process_default_is_what_the_deployment_allows():
    before = hosts.private_hosts_allowed()
    try:
        hosts.allow_private_hosts(False)
        assert WooClient("http://127.0.0.1:9/", CK, CS).allow_private_hosts is False
        hosts.allow_private_hosts(True)
        assert WooClient("http://127.0.0.1:9/", CK, CS).allow_private_hosts is True
        assert WooClient("http://127.0.0.1:9/", CK, CS, allow_private_hosts=False).allow_private_hosts is False
    finally:
        hosts.allow_private_hosts(before)


@pytest.mark.parametrize("address,refused", [
    ("8.8.8.8", False), ("2606:4700:4700::1111", False), ("127.0.0.1", True), ("::1", True),
    ("169.254.169.254", True), ("10.0.0.1", True), ("172.31.255.255", True), ("192.168.1.1", True),
    ("100.64.0.1", True), ("0.0.0.0", True), ("::ffff:10.0.0.1", True), ("fd00::1", True), ("ff02::1", True),
])
def test_which_addresses_are_refused(address, refused):
    assert hosts.refused_address(address) is refused
