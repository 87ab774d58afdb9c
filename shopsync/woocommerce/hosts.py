"""Which addresses the adapter may connect to: a shop is on the public internet.

A shop URL is typed by a user; without a guard, "Test connection" or a site's jobs would let the
desk reach the server's own services (``127.0.0.1``, ``10.x``, the cloud metadata service at
``169.254.169.254``…) and report what answered. So every connection the client opens first
resolves the host and refuses loopback, private, link-local, shared (CGNAT), reserved, multicast
and unspecified addresses, unless private hosts are allowed.

The check is made on the address the socket actually connects to (a connection class of our own
resolves the name, checks every address, then connects to the checked address), so a name that
resolves to a public address for a first look and to a private one for the connection (DNS
rebinding) is refused too; TLS still verifies the certificate against the host name. (Through an
HTTP proxy from the environment the proxy resolves the name: only the client's own look applies.)

Allowing private hosts is a deployment decision: inside a bench it is the site config key
``shopsync_allow_private_hosts`` (read by ``shopsync.jobs``, passed here as a plain flag); the
test suite and the sandbox, whose simulated shop listens on 127.0.0.1, call
:func:`allow_private_hosts`. No frappe here.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Iterable

import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions as u3

__all__ = ["PrivateAddressRefused", "allow_private_hosts", "private_hosts_allowed", "refused_address",
           "check_host", "GuardedAdapter"]

_allowed = False


def allow_private_hosts(value: bool = True) -> None:
    """The process-wide default for clients built without ``allow_private_hosts=``."""
    global _allowed
    _allowed = bool(value)


def private_hosts_allowed() -> bool:
    return _allowed


def refused_address(address: str) -> bool:
    """True for an address a shop cannot be at: anything not globally routable, and multicast."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (not ip.is_global) or ip.is_multicast or ip.is_loopback or ip.is_link_local or ip.is_private \
        or ip.is_reserved or ip.is_unspecified


def _resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.append(sockaddr[0])
    return seen


def refusal_message(host: str) -> str:
    return (
        f"The shop address {host} is a local or private network address (loopback, private, "
        "link-local or reserved): shopsync only connects to shops on the public internet. A server "
        "administrator can allow private addresses with the site config key "
        "shopsync_allow_private_hosts."
    )


class PrivateAddressRefused(u3.NewConnectionError):
    """Raised instead of connecting to a refused address (a NewConnectionError, so the pool and
    ``requests`` treat it as "nothing was sent")."""

    def __init__(self, conn, host: str, address: str):
        super().__init__(conn, refusal_message(host))
        self.host = host
        self.address = address


def check_host(host: str, port: int) -> str | None:
    """The refused address ``host`` resolves to, or None (also None when it does not resolve:
    the connection then fails with the usual DNS error)."""
    try:
        addresses = _resolve(host, port)
    except (socket.gaierror, UnicodeError, OSError):
        return None
    for address in addresses:
        if refused_address(address):
            return address
    return None


class _GuardMixin:
    """``_new_conn`` resolves the name itself, refuses it if any address is refused, and connects
    to the checked addresses only (``_dns_host`` is the name urllib3 hands to the resolver)."""

    def _new_conn(self):  # type: ignore[override]
        name = getattr(self, "_shopsync_name", None)
        if name is None:
            name = self._shopsync_name = self._dns_host
        try:
            addresses = _resolve(name, self.port)
        except socket.gaierror:
            self._dns_host = name  # let urllib3 raise its own NameResolutionError
            return super()._new_conn()
        for address in addresses:
            if refused_address(address):
                raise PrivateAddressRefused(self, name, address)
        last: Exception | None = None
        for address in addresses:
            self._dns_host = address
            try:
                return super()._new_conn()
            except (u3.NewConnectionError, u3.ConnectTimeoutError) as exc:
                last = exc
            finally:
                self._dns_host = name
        assert last is not None
        raise last


class _GuardedHTTPConnection(_GuardMixin, urllib3.connection.HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardMixin, urllib3.connection.HTTPSConnection):
    pass


class _GuardedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """A ``requests`` transport whose direct connections go through the address check."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def guard_session(session: requests.Session, schemes: Iterable[str] = ("http://", "https://")) -> None:
    for prefix in schemes:
        session.mount(prefix, GuardedAdapter())
