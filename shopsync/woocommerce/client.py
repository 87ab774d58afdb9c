"""The WooCommerce REST client (wc/v3): the only code in shopsync that speaks HTTP to a shop.

Built on the official ``woocommerce`` 3.0.0 client's OAuth 1.0a signer, with what that client
lacks: one ``requests.Session`` per client (connection reuse), (connect, read) timeouts on every
call, retries with exponential backoff and jitter, pagination and batch helpers, typed errors.

Authentication is WooCommerce's own:
- ``https://``: HTTP Basic with key and secret. When the web server drops the Authorization
  header (Apache + PHP as CGI), WooCommerce answers "not logged in"; the client then tries once
  with ``consumer_key``/``consumer_secret`` in the query string (WooCommerce's other https way)
  and keeps that form if it works (``query_string_auth=True`` forces it from the start).
- ``http://``: OAuth 1.0a, ``oauth_*`` in the query string. WooCommerce ignores Basic over plain
  http. Every request and every retry is signed afresh (a replayed nonce is a 401), and pages
  are requested by number, never by following ``Link: rel="next"`` (it echoes the previous
  request's ``oauth_*`` parameters and fails the signature check).

Retry policy (one loop here; urllib3's ``Retry`` cannot re-sign an OAuth URL per attempt):
- 429: retried for any method (the shop refused the request before doing anything), waiting
  ``Retry-After`` when given;
- 5xx, read timeout, connection cut after sending: retried only for idempotent calls (GET, PUT,
  DELETE, and POSTs the caller declares idempotent, e.g. batch updates of absolute values). A
  create is never retried blindly: it raises with ``maybe_applied=True``;
- connection refused / DNS / connect timeout: nothing reached the shop, retried for any method;
- any other 4xx and TLS failures: raised at once.
Bounded by ``max_retries`` and by ``max_retry_seconds`` of total time.

A client is not meant to be shared between jobs: make one per job. Inside a job it sends a push's
batches (``batches``) and a listing's pages (``iter``) with at most ``parallel`` requests in
flight, one ``requests.Session`` per thread (a Session is not documented as thread-safe); a 429
halves that window for the rest of the push (never below 1), on top of waiting its Retry-After.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import json
import logging
import random
import re
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import quote, urlencode, urlsplit

import requests
import urllib3.exceptions as u3

from shopsync.woocommerce import redacted
from shopsync.woocommerce.redacted import Payload, secret
from shopsync.woocommerce import _oauth
from shopsync.woocommerce import hosts
from shopsync.woocommerce.errors import (
    AuthError,
    ConnectionFailed,
    NotFoundError,
    RateLimited,
    ServerError,
    TooLarge,
    WooError,
    WooValidationError,
    install_log_redaction,
    scrub,
)

log = logging.getLogger("shopsync.woocommerce")
install_log_redaction()

NAMESPACE = "wc/v3"
#: WooCommerce's maximum ``per_page`` (101 is a 400 ``rest_invalid_param``)
MAX_PER_PAGE = 100
#: WooCommerce's maximum objects per batch request, create+update+delete together (101 is a 413)
MAX_BATCH = 100
USER_AGENT = "shopsync/0.1 (ERPNext-WooCommerce sync; python-requests)"
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_NO_SIDE_EFFECT = frozenset({"GET", "HEAD", "OPTIONS"})
# urllib3 2.x has NameResolutionError; 1.26 (also allowed by requests 2.32) says it in words
_NAME_RESOLUTION_ERROR = getattr(u3, "NameResolutionError", ())
_DNS_TEXT = re.compile(r"Name or service not known|nodename nor servname|getaddrinfo|Temporary failure in name resolution")


# ----------------------------------------------------------------------------------------------
# batch results


class BatchItemError(tuple):
    """One object the shop refused inside a batch: unpacks as ``(object sent, code, message)``.

    Also has ``action`` (create/update/delete), ``status`` (WooCommerce's ``data.status``),
    ``data`` (e.g. ``resource_id``/``unique_sku`` of a duplicate SKU) and ``maybe_applied``
    (the request carrying this create failed in flight: it may exist in the shop now).
    """

    def __new__(cls, obj: Any, code: str, message: str, *, action: str, status: int | None = None,
                data: Any = None, maybe_applied: bool = False) -> "BatchItemError":
        self = super().__new__(cls, (obj, code, message))
        self.action = action
        self.status = status
        self.data = data if data is not None else {}
        self.maybe_applied = maybe_applied
        return self

    object = property(lambda self: self[0])
    code = property(lambda self: self[1])
    message = property(lambda self: self[2])

    @property
    def id(self) -> Any:
        """The object's id (update/delete), None for a create."""
        obj = self[0]
        return obj.get("id") if isinstance(obj, Mapping) else obj

    @property
    def error(self) -> dict:
        """WooCommerce's shape: ``{"code", "message", "data"}``."""
        return {"code": self[1], "message": self[2], "data": self.data}

    def __getnewargs_ex__(self):
        return (tuple(self), {"action": self.action, "status": self.status, "data": self.data,
                              "maybe_applied": self.maybe_applied})

    def __repr__(self) -> str:
        return f"BatchItemError({self.action} {self[0]!r}: {self[1]} {self[2]!r})"


@dataclass
class BatchResult:
    """What a :meth:`WooClient.batch` call did.

    - ``succeeded``: the objects as the shop returned them (created, updated or deleted);
    - ``pairs``: ``(action, object sent, object returned)`` for each success, in sending order,
      to tie a created product to the ERP record it came from;
    - ``errors``: :class:`BatchItemError` for each object the shop refused (or whose outcome is
      unknown), the others went through;
    - ``pending``: ``(action, object)`` never sent; only non-empty on the ``partial_result`` of an
      error that stopped the batch;
    - ``create``/``update``/``delete``: the rows WooCommerce answered for each list, error rows
      (``{"id", "error": {...}}``) included, in sending order;
    - ``requests``: HTTP requests made for this batch, retries included.
    """

    succeeded: list[dict] = field(default_factory=list)
    errors: list[BatchItemError] = field(default_factory=list)
    pairs: list[tuple[str, Any, dict]] = field(default_factory=list)
    pending: list[tuple[str, Any]] = field(default_factory=list)
    create: list[dict] = field(default_factory=list)
    update: list[dict] = field(default_factory=list)
    delete: list[dict] = field(default_factory=list)
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.pending


# ----------------------------------------------------------------------------------------------
# helpers


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(_query_value(v) for v in value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return str(value)


def _retry_after(resp: requests.Response) -> float | None:
    value = (resp.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return max(0.0, (when - _dt.datetime.now(_dt.timezone.utc)).total_seconds())


_NOT_JSON = object()
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _decode_json(resp: requests.Response) -> Any:
    """The JSON body, or ``_NOT_JSON``. Tolerates a BOM and PHP notices printed before the JSON
    (``display_errors`` on a misconfigured shop)."""
    text = resp.content.decode("utf-8", "replace").lstrip("\ufeff").strip()
    if not text:
        return _NOT_JSON
    try:
        return json.loads(text)
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    tries = 0
    for match in re.finditer(r"[\[{]", text):
        tries += 1
        if tries > 10:
            break
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, (dict, list)) and value:
            return value
    return _NOT_JSON


def _page_title(resp: requests.Response) -> str:
    match = _TITLE.search(resp.content[:20000].decode("utf-8", "replace"))
    return re.sub(r"\s+", " ", match.group(1)).strip()[:120] if match else ""


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ----------------------------------------------------------------------------------------------
# the client


class _Window:
    """How many requests of one push (or listing) may be in flight: ``limit`` to begin with,
    halved (never below 1) each time the shop answers 429, for the rest of that push."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, int(limit))
        self.in_flight = 0
        self._cond = threading.Condition()

    def __enter__(self) -> "_Window":
        with self._cond:
            while self.in_flight >= self.limit:
                self._cond.wait()
            self.in_flight += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    def slow_down(self) -> None:
        with self._cond:
            self.limit = max(1, self.limit // 2)


class WooClient:
    """A WooCommerce shop's REST API (wc/v3).

    ``url`` is the shop's address (``https://shop.example/``, or a sub-folder install). ``timeout``
    is the read timeout in seconds (or a ``(connect, read)`` tuple); the connect timeout is
    ``min(connect_timeout, timeout)``. ``max_retries`` retries at most, within
    ``max_retry_seconds`` in all; ``backoff`` is the first retry's delay (doubling, with jitter,
    capped at ``backoff_max``). ``rest_route``: ``None`` finds out by itself whether the shop has
    pretty permalinks (``/wp-json/``) or needs ``?rest_route=``; ``True``/``False`` forces it.
    Both findings (``rest_route``, ``query_string_auth``) cost one extra request, once per client.
    """

    def __init__(
        self,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        timeout: float | tuple[float, float] = 20,
        connect_timeout: float = 10,
        max_retries: int = 4,
        max_retry_seconds: float = 60,
        backoff: float = 0.5,
        backoff_max: float = 30,
        verify_ssl: bool = True,
        rest_route: bool | None = None,
        query_string_auth: bool = False,
        user_agent: str = USER_AGENT,
        allow_private_hosts: bool | None = None,
        parallel: int = 1,
    ) -> None:
        url = (url or "").strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("The shop address must start with http:// or https:// and name a host")
        # never keep credentials typed into the URL itself (https://user:pass@host/)
        netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        if parts.port:
            netloc += f":{parts.port}"
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.url = f"{parts.scheme}://{netloc}{path}"
        self.https = parts.scheme == "https"
        self._ck = consumer_key or ""
        self._cs = secret(consumer_secret)
        if isinstance(timeout, tuple):
            self._timeout = (float(timeout[0]), float(timeout[1]))
        else:
            self._timeout = (min(float(connect_timeout), float(timeout)), float(timeout))
        self.max_retries = max(0, int(max_retries))
        self.max_retry_seconds = float(max_retry_seconds)
        self.backoff = float(backoff)
        self.backoff_max = float(backoff_max)
        self.verify_ssl = verify_ssl
        self.rest_route = bool(rest_route)
        self._probe_route = rest_route is None
        self.query_string_auth = bool(query_string_auth)
        self._probe_query_auth = self.https and not self.query_string_auth
        self.user_agent = user_agent
        self.last_total: int | None = None
        #: requests that reached the shop (retries included; not those refused at connect time)
        self.request_count = 0
        #: requests of one push or listing in flight at most (the shop's PHP workers serve them)
        self.parallel = max(1, int(parallel or 1))
        #: how many times a 429 made a push or listing slow down (halve its window)
        self.slowed_down = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        #: loopback/private/link-local/reserved addresses refused unless allowed (see hosts.py)
        self.allow_private_hosts = hosts.private_hosts_allowed() if allow_private_hosts is None else bool(allow_private_hosts)
        self._host, self._port = parts.hostname, parts.port or (443 if self.https else 80)
        self._main_session = self._new_session()
        self._main_thread = threading.get_ident()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = True
        if not self.allow_private_hosts:
            hosts.guard_session(session)
        with self._lock:
            self._sessions.append(session)
        return session

    @property
    def _session(self) -> requests.Session:
        """This thread's session: the client's own in the caller's thread, one per worker thread."""
        if threading.get_ident() == self._main_thread:
            return self._main_session
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._new_session()
        return session

    def _counted(self) -> None:
        with self._lock:
            self.request_count += 1
        self._local.count = getattr(self._local, "count", 0) + 1

    def _thread_count(self) -> int:
        return getattr(self._local, "count", 0)

    def _slow_down(self) -> None:
        window = getattr(self._local, "window", None)
        if window is not None:
            window.slow_down()
        with self._lock:
            self.slowed_down += 1

    def _in_window(self, window: _Window, fn, *args, **kwargs):
        """Run ``fn`` in a worker thread, inside ``window`` (a 429 it meets narrows it)."""
        with window:
            self._local.window = window
            try:
                return fn(*args, **kwargs)
            finally:
                self._local.window = None

    def batches(self, calls: Iterable[tuple[str, Mapping[str, Any]]], *, parallel: int | None = None,
                stop: Any = None) -> Iterator[tuple[int, "BatchResult | None", "WooError | None"]]:
        """Several ``batch`` calls (``(path, {"update": [...]})``...) with at most ``parallel``
        (default: the client's) in flight; yields ``(index, result, error)`` as each ends, in the
        caller's thread. The first call goes alone (it finds out the shop's route and auth, and
        whether it answers at all), then the others in parallel: N batches take about one batch
        time plus ceil((N-1)/parallel), not N. A 429 halves the window for the rest.

        ``stop(error) -> bool``: once it answers True for an error, calls not started yet are not
        sent; they are yielded with ``(index, None, None)``."""
        calls = list(calls)
        n = max(1, int(parallel or self.parallel))
        stopped = threading.Event()

        def one(path: str, kwargs: Mapping[str, Any]):
            if stopped.is_set():
                return None, None
            try:
                return self.batch(path, **kwargs), None
            except WooError as exc:
                if stop is not None and stop(exc):
                    stopped.set()
                return None, exc

        if not calls:
            return
        first = one(*calls[0])
        yield (0, *first)
        rest = list(enumerate(calls))[1:]
        if n == 1 or len(rest) <= 1:
            for i, (path, kwargs) in rest:
                yield (i, *one(path, kwargs))
            return
        window = _Window(n)
        with ThreadPoolExecutor(max_workers=min(n, len(rest)), thread_name_prefix="shopsync-woo") as pool:
            futures = {pool.submit(self._in_window, window, one, path, kwargs): i for i, (path, kwargs) in rest}
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield (futures.pop(fut), *fut.result())

    # -- housekeeping ---------------------------------------------------------------------------

    @property
    def auth_method(self) -> str:
        if not self.https:
            return "oauth1"
        return "query_string" if self.query_string_auth else "basic"

    def __repr__(self) -> str:
        return f"<WooClient {self.url} auth={self.auth_method} requests={self.request_count}>"

    def close(self) -> None:
        for session in self._sessions:
            session.close()

    def __enter__(self) -> "WooClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getstate__(self):  # a client is not meant to be pickled: it holds the secret
        raise TypeError("WooClient cannot be pickled; build a new one from the site settings")

    def scrub(self, value: Any) -> Any:
        """``value`` with this client's key and secret (and any signed query string) removed."""
        return scrub(value, (self._ck, self._cs))

    # -- plain calls ----------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._json(self._call("GET", path, params=params), "GET", path)

    def post(self, path: str, data: Any = None, params: Mapping[str, Any] | None = None, *,
             idempotent: bool = False) -> Any:
        """POST. Not retried after it may have reached the shop unless ``idempotent=True``."""
        return self._json(self._call("POST", path, params=params, data=data, idempotent=idempotent), "POST", path)

    def put(self, path: str, data: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._json(self._call("PUT", path, params=params, data=data), "PUT", path)

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._json(self._call("DELETE", path, params=params), "DELETE", path)

    def iter(self, path: str, params: Mapping[str, Any] | None = None, *, per_page: int = MAX_PER_PAGE) -> Iterator[Any]:
        """Every object of a collection, page by page (``per_page`` 100), each once.

        Pages are requested by number up to ``X-WP-TotalPages`` (read again on every page), each
        request signed afresh. ``params`` go to every page (``modified_after``, ``after``,
        ``status``, ``dates_are_gmt``, ``orderby``…). An object seen on an earlier page (the list
        shifted while we read it) is not yielded twice; for a catch-up, order by ``modified``
        ascending and keep a cursor, since a shifting list can also hide an object until next time.
        """
        params = dict(params or {})
        per_page = max(1, min(MAX_PER_PAGE, _int(params.pop("per_page", per_page)) or MAX_PER_PAGE))
        page = max(1, _int(params.pop("page", 1)) or 1)
        seen: set[Any] = set()
        while True:
            items, total_pages = self._page(path, params, per_page, page)
            pages = [(page, items, total_pages)]
            if self.parallel > 1 and items and total_pages is not None and total_pages > page + 1:
                # the number of pages is known: fetch the rest concurrently, yield them in order
                window = _Window(self.parallel)
                numbers = list(range(page + 1, total_pages + 1))
                with ThreadPoolExecutor(max_workers=min(self.parallel, len(numbers)),
                                        thread_name_prefix="shopsync-woo") as pool:
                    got = list(pool.map(lambda n: self._in_window(window, self._page, path, params, per_page, n), numbers))
                pages += [(n, its, tp) for n, (its, tp) in zip(numbers, got)]
            for number, its, tp in pages:
                for item in its:
                    key = item.get("id") if isinstance(item, dict) else None
                    if key is not None:
                        if key in seen:
                            continue
                        seen.add(key)
                    yield item
                page, total_pages = number, tp
                if not its:
                    return
            if total_pages is not None:
                if page >= total_pages:
                    break
            elif len(pages[-1][1]) < per_page:
                break
            page += 1

    def _page(self, path: str, params: Mapping[str, Any], per_page: int, page: int) -> tuple[list, int | None]:
        resp = self._call("GET", path, params={**params, "per_page": per_page, "page": page})
        items = self._json(resp, "GET", path)
        #: objects in the whole listing, as the shop counted them on the last page read
        self.last_total = _int(resp.headers.get("X-WP-Total"))
        if not isinstance(items, list):
            raise WooError("The shop did not answer with a list", code="shopsync_not_a_list",
                           status=resp.status_code, method="GET", path=path)
        return items, _int(resp.headers.get("X-WP-TotalPages"))

    def get_all(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        return list(self.iter(path, params))

    # -- batches --------------------------------------------------------------------------------

    def batch(
        self,
        path: str,
        *,
        create: Iterable[Mapping[str, Any]] = (),
        update: Iterable[Mapping[str, Any]] = (),
        delete: Iterable[Any] = (),
        batch_size: int = MAX_BATCH,
    ) -> BatchResult:
        """``POST <path>`` (``products/batch``, ``products/<id>/variations/batch``…) in chunks.

        At most ``batch_size`` (<= 100) objects a request, create+update+delete together.
        Objects the shop refuses inside a 200 are reported in ``errors`` while the others go
        through. When a chunk times out, is cut, or gets a 5xx or 413 (WooCommerce runs the items
        one after the other in one PHP request, which can hit the host's time limit), it is
        halved and sent again: safe for updates and deletes of absolute values. A create in a
        chunk whose outcome is unknown is not sent again: it is reported with code
        ``shopsync_outcome_unknown`` and ``maybe_applied=True``.

        An error nothing will cure by halving (bad credentials, route missing, the shop down for
        longer than ``max_retry_seconds``) is raised, carrying ``partial_result`` (what was done,
        what was refused, and what is still ``pending``).
        """
        path = path.strip("/")
        if not path.endswith("batch"):
            path += "/batch"
        size = max(1, min(MAX_BATCH, int(batch_size)))
        items: list[tuple[str, Any]] = [("create", dict(o)) for o in create]
        items += [("update", dict(o)) for o in update]
        items += [("delete", o.get("id") if isinstance(o, Mapping) else o) for o in delete]
        if self.parallel > 1 and len(items) > size:
            return self._batch_in_parallel(path, items, size)
        result = BatchResult()
        # (items of the chunk, how many times this very chunk already failed)
        queue: deque[tuple[list[tuple[str, Any]], int]] = deque(
            (items[i:i + size], 0) for i in range(0, len(items), size)
        )
        last_progress = time.monotonic()
        failures_in_a_row = 0
        leaves_given_up_in_a_row = 0
        while queue:
            chunk, tries = queue.popleft()
            has_creates = any(a == "create" for a, _ in chunk)
            body: dict[str, list] = {}
            for action, obj in chunk:
                body.setdefault(action, []).append(obj)
            before = self._thread_count()
            error: WooError | None = None
            try:
                resp = self._call("POST", path, data=body, idempotent=not has_creates, retry_uncertain=False)
            except (ServerError, TooLarge) as exc:
                error = exc
            except ConnectionFailed as exc:
                if exc.kind not in ("read_timeout", "dropped"):
                    raise self._stop_batch(exc, result, [(chunk, tries)] + list(queue))
                error = exc
            except WooError as exc:
                raise self._stop_batch(exc, result, [(chunk, tries)] + list(queue))
            finally:
                result.requests += self._thread_count() - before
            if error is None:
                try:
                    answer = self._json(resp, "POST", path)
                except WooError as exc:  # a 200 that is not JSON: stop, the chunk stays pending
                    raise self._stop_batch(exc, result, [(chunk, tries)] + list(queue))
                self._read_batch_answer(path, chunk, answer, result)
                last_progress = time.monotonic()
                failures_in_a_row = 0
                leaves_given_up_in_a_row = 0
                continue

            # the chunk failed in a way a smaller chunk may survive
            failures_in_a_row += 1
            uncertain = not isinstance(error, TooLarge)  # a 413 was refused before anything ran
            retry_part = chunk
            if has_creates and uncertain:
                retry_part = []
                for action, obj in chunk:
                    if action == "create":
                        result.errors.append(BatchItemError(
                            obj, "shopsync_outcome_unknown",
                            "The request creating this object failed in flight "
                            f"({error.message}); it may exist in the shop now: look it up (e.g. by "
                            "SKU) before creating it again.",
                            action=action, status=error.status, maybe_applied=True,
                        ))
                    else:
                        retry_part.append((action, obj))
                if retry_part:
                    queue.appendleft((retry_part, 0))
            elif len(chunk) > 1:
                half = (len(chunk) + 1) // 2
                queue.appendleft((chunk[half:], 0))
                queue.appendleft((chunk[:half], 0))
                log.info("batch %s: %s on %d objects, sending them again in halves", path,
                         error.code or type(error).__name__, len(chunk))
            elif tries + 1 < 2:
                queue.appendleft((chunk, tries + 1))
            else:
                action, obj = chunk[0]
                result.errors.append(BatchItemError(
                    obj, error.code or "shopsync_failed", error.message, action=action,
                    status=error.status, data=error.data, maybe_applied=error.maybe_applied,
                ))
                leaves_given_up_in_a_row += 1
                if leaves_given_up_in_a_row >= 2:
                    raise self._stop_batch(error, result, list(queue))
            if not queue:
                break
            delay = 0.0 if failures_in_a_row <= 1 else self._backoff(failures_in_a_row - 1)
            retry_after = getattr(error, "retry_after", None)
            if retry_after:
                delay = max(delay, retry_after)
            if time.monotonic() - last_progress + delay > self.max_retry_seconds:
                raise self._stop_batch(error, result, list(queue))
            if delay:
                time.sleep(delay)
        return result

    def first_carries_one(self, calls: int, first_size: int) -> bool:
        """Whether a push of ``calls`` batches should make its first (which :meth:`batches` sends
        alone) carry a single object: when the others would still need more than one round of
        ``parallel``. Then N full batches take one small request and ceil(N / parallel) rounds,
        not a whole batch and ceil((N - 1) / parallel) rounds: a 500-object push with 3 in flight
        takes about its slowest batch plus one, for one request more. Nothing to gain one at a
        time, nor when one round is enough."""
        return self.parallel > 1 and calls - 1 > self.parallel and first_size > 1

    def _batch_in_parallel(self, path: str, items: list[tuple[str, Any]], size: int) -> BatchResult:
        """``batch`` of more than one chunk on a client with ``parallel`` > 1: the chunks go
        through :meth:`batches` (bounded, slowed by a 429); the results are merged in sending
        order. The first error that stopped a chunk is raised with everything in its
        ``partial_result`` (chunks not sent as ``pending``)."""
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        if self.first_carries_one(len(chunks), len(chunks[0])):
            chunks[0:1] = [chunks[0][:1], chunks[0][1:]]
        calls = []
        for chunk in chunks:
            kwargs: dict[str, list] = {"create": [], "update": [], "delete": []}
            for action, obj in chunk:
                kwargs[action].append(obj)
            calls.append((path, kwargs))
        got: dict[int, tuple[BatchResult | None, WooError | None]] = {}
        for i, res, err in self.batches(calls, stop=lambda err: True):
            got[i] = (res, err)
        merged = BatchResult()
        first_error: WooError | None = None
        for i, chunk in enumerate(chunks):
            res, err = got.get(i, (None, None))
            if err is not None:
                first_error = first_error or err
                res = getattr(err, "partial_result", None)
            if res is None:
                if err is None:
                    merged.pending.extend(chunk)
                continue
            for name in ("succeeded", "errors", "pairs", "pending", "create", "update", "delete"):
                getattr(merged, name).extend(getattr(res, name))
            merged.requests += res.requests
        if first_error is not None:
            first_error.partial_result = merged
            raise first_error
        return merged

    def _stop_batch(self, error: WooError, result: BatchResult, remaining) -> WooError:
        for chunk, _tries in remaining:
            result.pending.extend(chunk)
        error.partial_result = result
        return error

    def _read_batch_answer(self, path: str, chunk: list[tuple[str, Any]], answer: Any, result: BatchResult) -> None:
        if not isinstance(answer, dict):
            answer = {}
        for action in ("create", "update", "delete"):
            sent = [obj for a, obj in chunk if a == action]
            if not sent:
                continue
            got = answer.get(action)
            got = got if isinstance(got, list) else []
            if len(got) == len(sent):
                pairs = list(zip(sent, got))
            elif action == "create":
                pairs = list(zip(sent, got + [None] * (len(sent) - len(got))))
            else:
                by_id = {g.get("id"): g for g in got if isinstance(g, dict)}
                pairs = [(obj, by_id.get(obj.get("id") if isinstance(obj, dict) else obj)) for obj in sent]
            for obj, answer_item in pairs:
                if isinstance(answer_item, dict):
                    getattr(result, action).append(answer_item)
                if not isinstance(answer_item, dict):
                    result.errors.append(BatchItemError(
                        obj, "shopsync_no_answer", "The shop's answer did not mention this object.",
                        action=action, maybe_applied=True,
                    ))
                elif answer_item.get("error"):
                    err = answer_item["error"] if isinstance(answer_item["error"], dict) else {}
                    data = err.get("data") if isinstance(err.get("data"), dict) else {}
                    result.errors.append(BatchItemError(
                        obj, err.get("code") or "shopsync_item_error",
                        self.scrub(err.get("message") or "The shop refused this object."),
                        action=action, status=_int(data.get("status")), data=self.scrub(data),
                    ))
                else:
                    result.succeeded.append(answer_item)
                    result.pairs.append((action, obj, answer_item))

    # -- webhooks -------------------------------------------------------------------------------

    def list_webhooks(self, **params: Any) -> list[dict]:
        """Every webhook of the shop (all pages). WooCommerce never returns their secrets."""
        return list(self.iter("webhooks", params))

    def get_webhook(self, webhook_id: int) -> dict:
        return self.get(f"webhooks/{int(webhook_id)}")

    def create_webhook(self, name: str, topic: str, delivery_url: str, secret: str, status: str = "active") -> dict:
        """Create a webhook. WooCommerce pings ``delivery_url`` before answering.

        Not retried once it may have reached the shop: on ``ConnectionFailed(maybe_applied=True)``
        list the webhooks and look for the delivery URL before creating it again.
        """
        return self.post("webhooks", {"name": name, "topic": topic, "delivery_url": delivery_url,
                                      "secret": redacted.secret(secret), "status": status})

    def update_webhook(self, webhook_id: int, **fields: Any) -> dict:
        if "secret" in fields:
            fields["secret"] = redacted.secret(fields["secret"])
        return self.put(f"webhooks/{int(webhook_id)}", fields)

    def order_refunds(self, order_id: int) -> list[dict]:
        """Every refund of an order, whole (``GET orders/<id>/refunds``: lines, shipping, fees and
        taxes at negative amounts; the order's own ``refunds`` holds only id, reason and total)."""
        return list(self.iter(f"orders/{int(order_id)}/refunds"))

    def get_unless_gone(self, path: str) -> dict | None:
        """The object at ``path``, or None when the shop no longer has it: a 404, or an object in
        the trash (WooCommerce still answers a trashed order or product, with status "trash")."""
        try:
            obj = self.get(path)
        except NotFoundError:
            return None
        return None if (obj or {}).get("status") == "trash" else obj

    def delete_webhook(self, webhook_id: int, *, missing_ok: bool = True) -> dict | None:
        """Delete for good (``force=true``). A webhook already gone is fine unless ``missing_ok=False``
        (a retried DELETE whose first attempt went through also finds it gone)."""
        try:
            return self.delete(f"webhooks/{int(webhook_id)}", params={"force": True})
        except NotFoundError:
            if missing_ok:
                return None
            raise

    # -- the loop -------------------------------------------------------------------------------

    def _endpoint(self, path: str) -> str:
        path = path.strip().strip("/")
        if path.startswith(NAMESPACE + "/"):
            path = path[len(NAMESPACE) + 1:]
        elif path == NAMESPACE:
            path = ""
        return quote(path, safe="/:,@")

    def _signed_url(self, method: str, path: str, params: Mapping[str, Any] | None):
        endpoint = self._endpoint(path)
        query = [(str(k), _query_value(v)) for k, v in (params or {}).items() if v is not None]
        if self.rest_route:
            # index.php, not "/?rest_route=": WooCommerce rebuilds the signed base URL from the
            # request path relative to the home URL; for "/" that is the home URL without its
            # trailing slash, which the signer (using the URL as sent) would not match.
            base = self.url + "index.php"
            route = f"/{NAMESPACE}/{endpoint}" if endpoint else f"/{NAMESPACE}"
            query.insert(0, ("rest_route", route))
        else:
            base = f"{self.url}wp-json/{NAMESPACE}/{endpoint}"
        auth = None
        if self.https:
            if self.query_string_auth:
                query += [("consumer_key", self._ck), ("consumer_secret", self._cs)]
            else:
                auth = (self._ck, self._cs)
            url = base + ("?" + urlencode(query) if query else "")
        else:
            url = base + ("?" + urlencode(query) if query else "")
            url = _oauth.sign_url(url, method, self._ck, self._cs, version=NAMESPACE)
        return url, auth

    def _send(self, method: str, path: str, params, body: bytes | None):
        """One attempt: ``(response, None)`` or ``(None, ConnectionFailed)`` (not raised here, so
        the ``requests`` exception, whose text holds the signed URL, is not chained to it)."""
        if not self.allow_private_hosts and hosts.check_host(self._host, self._port):
            # refused before anything is sent (the connection itself checks again: DNS rebinding)
            return None, ConnectionFailed(self._reason("private_address", ""), kind="private_address",
                                          method=method, path=path, maybe_applied=False)
        url, auth = self._signed_url(method, path, params)
        headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        kind, detail = None, ""
        try:
            resp = self._session.request(
                method, url, data=body, headers=headers, auth=auth, timeout=self._timeout,
                allow_redirects=False, verify=self.verify_ssl,
            )
        except requests.exceptions.SSLError as exc:
            kind, detail = "tls", self.scrub(str(exc))
        except requests.exceptions.ConnectTimeout:
            kind = "connect_timeout"
        except requests.exceptions.ReadTimeout:
            kind = "read_timeout"
        except requests.exceptions.ConnectionError as exc:
            root = exc.args[0] if exc.args else None
            if isinstance(root, u3.MaxRetryError):
                root = root.reason
            if isinstance(root, hosts.PrivateAddressRefused):
                kind = "private_address"
            elif isinstance(root, _NAME_RESOLUTION_ERROR) or (
                isinstance(root, u3.NewConnectionError) and _DNS_TEXT.search(str(root))
            ):
                kind = "dns"
            elif isinstance(root, u3.NewConnectionError):
                kind = "connect"
            elif isinstance(root, u3.ConnectTimeoutError):
                kind = "connect_timeout"
            else:
                kind = "dropped"
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            kind = "dropped"
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader):
            kind = "invalid_url"
        else:
            self._counted()
            return resp, None
        sent = kind in ("read_timeout", "dropped")
        if sent:
            self._counted()
        return None, ConnectionFailed(
            self._reason(kind, detail), kind=kind, method=method, path=path,
            maybe_applied=sent and method not in _NO_SIDE_EFFECT,
        )

    def _reason(self, kind: str, detail: str) -> str:
        host = urlsplit(self.url).netloc
        connect, read = self._timeout
        if kind == "dns":
            return f"The shop's host name {urlsplit(self.url).hostname} could not be found (DNS): check the address."
        if kind == "connect":
            return f"Nothing answers at {host} (connection refused): check the address and that the site is up."
        if kind == "connect_timeout":
            return f"{host} did not accept a connection within {connect:g} s: the site is down or a firewall is in the way."
        if kind == "read_timeout":
            return f"The shop did not answer within {read:g} s."
        if kind == "dropped":
            return "The connection to the shop was cut before a complete answer came."
        if kind == "tls":
            why = "the certificate is not trusted, has expired or does not match the address"
            low = detail.lower()
            if "expired" in low:
                why = "its certificate has expired"
            elif "self-signed" in low or "self signed" in low:
                why = "its certificate is self-signed"
            elif "hostname" in low or "match" in low:
                why = "its certificate does not match the address"
            elif "wrong version number" in low or "record layer" in low:
                why = "it does not speak https on that port (try http://, or check the port)"
            return f"The secure (https) connection to {host} failed: {why}."
        if kind == "invalid_url":
            return "The shop address is not a valid URL."
        if kind == "private_address":
            return hosts.refusal_message(urlsplit(self.url).hostname or host)
        return "The connection to the shop failed."

    def _backoff(self, attempt: int) -> float:
        cap = min(self.backoff_max, self.backoff * (2 ** max(0, attempt - 1)))
        return random.uniform(cap / 2, cap)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        idempotent: bool | None = None,
        retry_uncertain: bool = True,
        max_retries: int | None = None,
        raise_errors: bool = True,
    ) -> requests.Response:
        """Send with retries; a 2xx response, else raise a typed error.

        ``retry_uncertain=False``: a 5xx, read timeout or cut connection is raised at once (the
        batch loop halves the chunk instead). ``raise_errors=False``: return the final non-2xx
        response instead of raising (the connection test reads the statuses itself).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT
        retries = self.max_retries if max_retries is None else max(0, max_retries)
        body = None if data is None else Payload(json.dumps(data, ensure_ascii=False).encode("utf-8"))
        started = time.monotonic()
        attempt = 0
        trying_query_auth = False
        while True:
            attempt += 1
            resp, failure = self._send(method, path, params, body)
            retry_after = None
            if resp is not None:
                status = resp.status_code
                if trying_query_auth:
                    trying_query_auth = False
                    if status in (401, 403):
                        self.query_string_auth = False  # not the header's fault: back to Basic
                    else:
                        log.info("WooCommerce at %s: the Authorization header does not reach the shop, "
                                 "sending the key in the query string (https)", self.url)
                if status < 300:
                    return resp
                if status == 404 and self._probe_route and not self.rest_route and self._switch_to_rest_route(resp):
                    attempt -= 1
                    continue
                if status == 401 and self._probe_query_auth and not self.query_string_auth and self._header_lost(resp):
                    # Basic over https never reached WooCommerce (Apache + PHP-CGI drop the
                    # header): try once with the key in the query string, WooCommerce's other way
                    self._probe_query_auth = False
                    self.query_string_auth = trying_query_auth = True
                    attempt -= 1
                    continue
                retryable = status == 429 or (status >= 500 and idempotent and retry_uncertain)
                if retryable:
                    retry_after = _retry_after(resp)
                if status == 429:
                    self._slow_down()
                what = f"HTTP {status}"
            else:
                if failure.kind in ("connect", "dns", "connect_timeout"):
                    retryable = True  # nothing reached the shop
                elif failure.kind in ("read_timeout", "dropped"):
                    retryable = idempotent and retry_uncertain
                else:
                    retryable = False
                what = failure.kind.replace("_", " ")
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            give_up = (
                not retryable
                or attempt > retries
                or time.monotonic() - started + delay > self.max_retry_seconds
            )
            if give_up:
                if resp is not None:
                    if not raise_errors:
                        return resp
                    raise self._http_error(method, path, resp, attempt, idempotent)
                failure.attempts = attempt
                raise failure
            log.warning("WooCommerce %s %s: %s, attempt %d of %d, retrying in %.2f s",
                        method, self._endpoint(path), what, attempt, retries + 1, delay)
            time.sleep(delay)

    @staticmethod
    def _header_lost(resp: requests.Response) -> bool:
        """A 401 that says "not logged in" rather than "bad key": WooCommerce saw no credentials."""
        body = _decode_json(resp)
        code = body.get("code") if isinstance(body, dict) else None
        return isinstance(code, str) and code != "woocommerce_rest_authentication_error"

    def _switch_to_rest_route(self, resp: requests.Response) -> bool:
        """A 404 web page (not JSON) under /wp-json/: pretty permalinks are probably off. If the
        REST index answers at ``index.php?rest_route=/`` with WooCommerce's namespace, use that
        form from now on. Nothing was dispatched by the 404, so re-sending is safe for any method."""
        if _decode_json(resp) is not _NOT_JSON:
            return False
        self._probe_route = False
        try:
            probe = self._session.get(
                self.url + "index.php", params={"rest_route": "/"}, timeout=self._timeout,
                allow_redirects=False, verify=self.verify_ssl, headers={"Accept": "application/json",
                                                                         "User-Agent": self.user_agent},
            )
        except requests.exceptions.RequestException:
            return False
        self._counted()
        index = _decode_json(probe)
        if probe.status_code == 200 and isinstance(index, dict) and NAMESPACE in (index.get("namespaces") or []):
            log.info("WooCommerce at %s: /wp-json/ not found, using ?rest_route= (pretty permalinks off)", self.url)
            self.rest_route = True
            return True
        return False

    def _json(self, resp: requests.Response, method: str, path: str) -> Any:
        value = _decode_json(resp)
        if value is _NOT_JSON:
            if resp.status_code == 204 or not resp.content.strip():
                return None
            title = _page_title(resp)
            raise WooError(
                "The shop answered with a web page instead of WooCommerce's REST API"
                + (f" (\u201c{self.scrub(title)}\u201d)" if title else ""),
                code="shopsync_not_json", status=resp.status_code, method=method, path=path,
            )
        return value

    def _http_error(self, method: str, path: str, resp: requests.Response, attempts: int, idempotent: bool) -> WooError:
        status = resp.status_code
        payload = _decode_json(resp)
        code = message = None
        data: Any = {}
        if isinstance(payload, dict):
            code = payload.get("code") if isinstance(payload.get("code"), str) else None
            message = payload.get("message") if isinstance(payload.get("message"), str) else None
            data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        if not message:
            message = f"HTTP {status} {resp.reason or ''}".strip()
            if payload is _NOT_JSON and resp.content.strip():
                title = _page_title(resp)
                message += " (a web page, not WooCommerce's REST API" + (f": \u201c{title}\u201d)" if title else ")")
        kw = dict(code=code, status=status, data=self.scrub(data), method=method, path=path, attempts=attempts)
        message = self.scrub(message)
        if 300 <= status < 400:
            loc = urlsplit(resp.headers.get("Location") or "")
            where = f"{loc.scheme}://{loc.netloc}{loc.path}" if loc.netloc else (loc.path or "another address")
            return ConnectionFailed(
                f"The shop's address redirects (HTTP {status}) to {where}: enter the shop's final address "
                "(https://, with or without www) in the site settings.", kind="redirect", status=status,
                method=method, path=path,
            )
        if status in (401, 403):
            return AuthError(message, **kw)
        if status in (404, 410):
            return NotFoundError(message, **kw)
        if status == 413:
            return TooLarge(message, **kw)
        if status == 429:
            return RateLimited(message, retry_after=_retry_after(resp), **kw)
        if status >= 500:
            err = ServerError(message, maybe_applied=method not in _NO_SIDE_EFFECT, **kw)
            err.retry_after = _retry_after(resp)
            return err
        if status in (400, 409, 422):
            return WooValidationError(message, **kw)
        return WooError(message, **kw)
