"""A "shop" on 127.0.0.1 whose every answer is an error carrying HTML meant to run in the desk.

``HostileShop(kind)``: ``"json"`` answers WooCommerce-shaped JSON errors (401 on reads, 500 on
writes) whose message is :data:`PAYLOAD`; ``"page"`` answers a 500 web page whose ``<title>``
is the payload. Every request is recorded (method, path, headers) in ``requests``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAYLOAD = "<img src=x onerror=\"window.__shopsync_xss=(window.__shopsync_xss||0)+1\">"


class HostileShop:
    def __init__(self, kind: str = "json", payload: str = PAYLOAD):
        self.kind = kind
        self.payload = payload
        self.requests: list[dict] = []
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                shop.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
                if shop.kind == "page":
                    body = f"<html><head><title>{shop.payload}</title></head><body>{shop.payload}</body></html>".encode()
                    status, ctype = 500, "text/html; charset=UTF-8"
                else:
                    status = 401 if self.command == "GET" else 500
                    code = "woocommerce_rest_authentication_error" if status == 401 else shop.payload
                    body = json.dumps({"code": code, "message": shop.payload, "data": {"status": status}}).encode()
                    ctype = "application/json; charset=UTF-8"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "HostileShop":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "HostileShop":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":  # python -m tests.support.hostile_shop [json|page] [port]
    import sys
    import time

    shop = HostileShop(sys.argv[1] if len(sys.argv) > 1 else "json")
    if len(sys.argv) > 2:
        shop.server.server_close()
        shop.server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), shop.server.RequestHandlerClass)
        shop.port = int(sys.argv[2])
        shop.url = f"http://127.0.0.1:{shop.port}/"
        shop._thread = threading.Thread(target=shop.server.serve_forever, daemon=True)
    shop.start()
    print(shop.url, flush=True)
    while True:
        time.sleep(3600)
