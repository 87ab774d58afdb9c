"""A webhook endpoint for tests: records every request exactly (raw header pairs, raw body)."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        recv = self.server.receiver
        status = recv.status_for(self.path)
        with recv.lock:
            recv.received.append({
                "method": self.command, "path": self.path, "http_version": self.request_version,
                "headers_raw": [(k, v) for k, v in self.headers.raw_items()],
                "headers": {k: v for k, v in self.headers.items()},
                "body": body, "answered": status,
            })
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    do_PUT = do_GET = do_POST


class WebhookReceiver:
    """``status`` answers every request; ``statuses`` maps a path prefix to its own answer."""

    def __init__(self, status: int = 200):
        self.status = status
        self.statuses: dict[str, int] = {}
        self.received: list[dict] = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.receiver = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        daemon=True)

    def status_for(self, path: str) -> int:
        for prefix, status in self.statuses.items():
            if path.startswith(prefix):
                return status
        return self.status

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def deliveries(self, path_prefix: str = "") -> list[dict]:
        with self.lock:
            return [r for r in self.received if r["path"].startswith(path_prefix)
                    and not r["body"].startswith(b"webhook_id=")]

    def pings(self, path_prefix: str = "") -> list[dict]:
        with self.lock:
            return [r for r in self.received if r["path"].startswith(path_prefix)
                    and r["body"].startswith(b"webhook_id=")]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
