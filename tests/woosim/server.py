"""The HTTP side: a ThreadingHTTPServer on 127.0.0.1 speaking like nginx + WordPress REST."""
from __future__ import annotations

import base64
import json
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from .errors import RestError
from .oauth import AuthFailure, parse_oauth_header, php_parse_qs
from .rest import ALLOW_BATCH, NS, Request, Response, strip_private
from .util import wp_json

COMMON_HEADERS = [
    ("X-Robots-Tag", "noindex"),
    ("X-Content-Type-Options", "nosniff"),
    ("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link"),
    ("Access-Control-Allow-Headers", "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type"),
]
NOCACHE = [("Expires", "Wed, 11 Jan 1984 05:00:00 GMT"),
           ("Cache-Control", "no-cache, must-revalidate, max-age=0, no-store, private")]
CRITICAL_ERROR = {
    "code": "internal_server_error",
    "message": "<p>There has been a critical error on this website.</p><p><a href=\"https://wordpress.org/"
               "documentation/article/faq-troubleshooting/\">Learn more about troubleshooting WordPress.</a></p>",
    "data": {"status": 500},
    "additional_errors": [],
}
NGINX_503 = (b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
             b"<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n"
             b"</body>\r\n</html>\r\n")


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # bursts from parallel workers must not wait on SYN retries

    def __init__(self, sim):
        self.sim = sim
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.22.1"
    sys_version = ""

    def log_message(self, *args):  # keep test output quiet
        pass

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    # ------------------------------------------------------------------
    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _handle(self):
        sim = self.server.sim
        method = self.command.upper()
        raw_path, _, query_string = self.path.partition("?")
        body = self._read_body()
        route = raw_path[len(NS):].strip("/") if raw_path.startswith(NS) else None
        fault = sim.faults.take(method, route if route is not None else raw_path.lstrip("/"))
        entry = {"method": method, "path": raw_path, "endpoint": route,
                 "query": {k: v for k, v in parse_qsl(query_string, keep_blank_values=True)
                           if not k.startswith("oauth_") and k not in ("consumer_key", "consumer_secret")},
                 "status": None, "batch_size": 0, "fault": fault["kind"] if fault else None, "time": time.time()}
        logged = []

        def log_now():  # before the answer leaves, so a client never sees an answer not yet logged
            if not logged:
                logged.append(True)
                sim._log_request(entry)

        self._log_now = log_now
        try:
            if fault and (fault["kind"] in ("429", "500", "503") or not fault["applied"]):
                # answered (or lost) before WordPress ran: nothing is applied
                self._finish_fault(fault, entry, sim, None)
                return
            with sim.cost.worker():  # one of the shop's PHP workers serves it
                status, headers, payload, batch_size = sim._dispatch(
                    method, raw_path, route, query_string, self.headers, body)
                entry["batch_size"] = batch_size
                delay = sim.cost.seconds(batch_size)
                if delay > 0:
                    sim.cost.serve(delay, sim._sleep)
            entry["status"] = status
            if fault:
                self._finish_fault(fault, entry, sim, (status, headers, payload))
                return
            log_now()
            self._send(status, headers, payload, head=(method == "HEAD"))
        finally:
            log_now()

    def _fault_response(self, fault):
        kind = fault["kind"]
        if kind == "429":
            retry = fault["retry_after"] if fault["retry_after"] is not None else 1
            body = {"code": "woocommerce_rest_too_many_requests", "message": "Too many requests. Please try again "
                    "later.", "data": {"status": 429}}
            headers = [("Content-Type", "application/json; charset=UTF-8"), ("Retry-After", _num(retry))]
            return 429, headers + COMMON_HEADERS, wp_json(body).encode()
        if kind == "500":
            return 500, [("Content-Type", "application/json; charset=UTF-8")] + COMMON_HEADERS, \
                wp_json(CRITICAL_ERROR).encode()
        if kind == "503":
            headers = [("Content-Type", "text/html")]
            if fault["retry_after"] is not None:
                headers.append(("Retry-After", _num(fault["retry_after"])))
            return 503, headers, NGINX_503
        return None, None, None

    def _finish_fault(self, fault, entry, sim, response):
        kind = fault["kind"]
        if kind in ("429", "500", "503"):
            status, headers, payload = self._fault_response(fault)
            entry["status"] = status
            self._log_now()
            self._send(status, headers, payload)
            return
        if kind == "timeout":
            sim._sleep(fault["delay"] if fault["delay"] is not None else 30.0)
            if response is None:
                entry["status"] = None
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self.close_connection = True
            self._log_now()
            try:
                self._send(*response)
            except OSError:
                pass
            return
        # cut: headers and half of the body, then the connection goes away
        if response is None:
            status, headers, payload = 200, [("Content-Type", "application/json; charset=UTF-8")], b'{"id":0}' * 8
        else:
            status, headers, payload = response
        entry["status"] = status
        self._log_now()
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload[: max(1, len(payload) // 2)])
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def _send(self, status, headers, payload, head=False):
        """Status line, headers and body in one write (no Nagle/delayed-ACK stalls)."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        self._headers_buffer.append(b"\r\n")
        if not head:
            self._headers_buffer.append(payload)
        data = b"".join(self._headers_buffer)
        self._headers_buffer = []
        self.wfile.write(data)
        self.wfile.flush()


def _num(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def dispatch(sim, method, raw_path, route, query_string, headers, body):
    """Authenticate, route and run one REST request. Returns (status, headers, bytes, batch_size)."""
    base_headers = [("Content-Type", "application/json; charset=UTF-8")]
    api_link = ("Link", f'<{sim.url}wp-json/>; rel="https://api.w.org/"')
    if route is None:
        if raw_path.rstrip("/") == "/wp-json":
            payload = {"name": "Shop", "description": "", "url": sim.url.rstrip("/"), "home": sim.url.rstrip("/"),
                       "namespaces": ["wc/v3"], "authentication": [], "routes": {}}
            return 200, base_headers + COMMON_HEADERS + [api_link], wp_json(payload).encode(), 0
        if raw_path.startswith("/wp-json/"):
            err = RestError("rest_no_route", "No route was found matching the URL and request method.", 404)
            return 404, base_headers + COMMON_HEADERS + [api_link], wp_json(err.body()).encode(), 0
        return 404, [("Content-Type", "text/html; charset=UTF-8")], b"<html><body>Not Found</body></html>", 0

    query = php_parse_qs(query_string)
    pairs = parse_qsl(query_string, keep_blank_values=True)
    content_type = (headers.get("Content-Type") or "").lower()
    parsed_body = None
    form = {}
    if body:
        if "application/json" in content_type:
            try:
                parsed_body = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                err = RestError("rest_invalid_json", "Invalid JSON body passed.", 400,
                                json_error_code=4, json_error_message=f"Syntax error ({exc.__class__.__name__})")
                return 400, base_headers + COMMON_HEADERS + [api_link], wp_json(err.body()).encode(), 0
        elif "application/x-www-form-urlencoded" in content_type:
            form = php_parse_qs(body.decode("utf-8", "replace"))
            parsed_body = form

    with sim.lock:
        # --- authentication (rest_authentication_errors runs before routing)
        key = None
        try:
            if sim.https:
                key = _basic(sim, headers, query)
            if key is None:
                params = dict(query)
                params.update(form)
                params.update(parse_oauth_header((headers.get("Authorization") or "").strip()))
                request_path = raw_path[1:] if raw_path.startswith("/") else raw_path
                bases = [f"{sim.home_url(https=True)}/{request_path}"] if sim.https else []
                bases.append(f"{sim.home_url(https=False)}/{request_path}")
                key = sim.verifier.verify(method, bases, params, sim.now())
        except AuthFailure as fail:
            err = RestError(fail.code, fail.message, fail.status)
            return err.status, base_headers + COMMON_HEADERS + [api_link, ("Vary", "Origin")], \
                wp_json(err.body()).encode(), 0
        rest = sim.rest
        override = query.get("_method") or headers.get("X-HTTP-Method-Override")
        if method == "POST" and isinstance(override, str) and override:
            method = override.upper()  # WP_REST_Server honours both, after authentication
        try:
            handler, kwargs, allow = rest.match(method if method != "HEAD" else "GET", route)
        except RestError as err:
            return err.status, base_headers + COMMON_HEADERS + [api_link] + (NOCACHE if key else []), \
                wp_json(err.body()).encode(), 0
        batch_size = rest.batch_size(parsed_body) if allow == ALLOW_BATCH else 0
        if key is None:
            err = rest.permission_error(method, rest.route_kind(allow))
            return err.status, base_headers + COMMON_HEADERS + [api_link, ("Vary", "Origin")], \
                wp_json(err.body()).encode(), batch_size
        if key["permissions"] == "read" and method not in ("GET", "HEAD", "OPTIONS"):
            err = RestError("woocommerce_rest_authentication_error",
                            "The API key provided does not have write permissions.", 401)
            return err.status, base_headers + COMMON_HEADERS + [api_link] + NOCACHE, wp_json(err.body()).encode(), \
                batch_size
        if key["permissions"] == "write" and method == "GET":
            err = RestError("woocommerce_rest_authentication_error",
                            "The API key provided does not have read permissions.", 401)
            return err.status, base_headers + COMMON_HEADERS + [api_link] + NOCACHE, wp_json(err.body()).encode(), \
                batch_size
        req = Request(method=method, route=route, query=query, query_pairs=pairs, body=parsed_body,
                      user_id=key["user_id"])
        try:
            resp: Response = handler(req, **kwargs)
        except RestError as err:
            return err.status, base_headers + COMMON_HEADERS + [api_link, ("Allow", allow)] + NOCACHE, \
                wp_json(err.body()).encode(), batch_size

    # work WooCommerce does synchronously but that must not hold the lock (outgoing HTTP)
    if resp.after:
        if resp.after[0] == "ping":
            sim.webhook_engine.ping(resp.after[1])
        elif resp.after[0] == "save":
            sim.webhook_engine.after_save(resp.after[1], url_changed=resp.after[2])
            with sim.lock:
                resp.body = rest.render_webhook(sim.state.webhooks[resp.after[1]])

    with sim.lock:
        out_headers = list(base_headers) + COMMON_HEADERS
        has_link = any(h[0] == "Link" for h in resp.headers)
        if not has_link:
            out_headers.append(api_link)
        out_headers += [h for h in resp.headers if h[0] != "Location"]
        out_headers += [h for h in resp.headers if h[0] == "Location"]
        out_headers.append(("Allow", allow))
        out_headers += NOCACHE
        payload = wp_json(rest.fields(req, strip_private(resp.body))).encode()
    return resp.status, out_headers, payload, batch_size


def _basic(sim, headers, query):
    """Basic auth (or consumer_key/consumer_secret in the query) - only when the shop is on https."""
    auth = headers.get("Authorization") or ""
    ck = cs = None
    if auth.lower().startswith("basic "):
        try:
            ck, _, cs = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            ck = cs = None
    if not ck and query.get("consumer_key") and query.get("consumer_secret"):
        ck, cs = query["consumer_key"], query["consumer_secret"]
    if not ck or not cs:
        return None
    return sim.verifier.verify_basic(ck, cs)
