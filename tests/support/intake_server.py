"""The webhook endpoint over real HTTP, for the simulator to deliver to.

It behaves as Frappe's request path does in front of ``shopsync.api.webhook`` (see
tests/captures/erpnext/README.md, "The request path"): a body sent as JSON that does not parse is
answered 500 before the app's code runs, a JSON scalar 417; everything else reaches
``intake.receive`` with the raw bytes and the headers, as the real endpoint does.
"""

from __future__ import annotations

import json
import logging
import threading

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from shopsync.sync import intake

PATH = "/api/method/shopsync.api.webhook"


logging.getLogger("werkzeug").setLevel(logging.WARNING)


class IntakeServer:
    def __init__(self, runtime):
        self.runtime = runtime
        self.received = 0
        self.answers: list[int] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.down = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoint(self, site: str) -> str:
        return f"{self.base_url}{PATH}?site={site}"

    def _app(self, environ, start_response):
        request = Request(environ)
        if self.down:
            resp = Response("Service Unavailable", status=503)
        elif request.path != PATH:
            resp = Response("Not Found", status=404)
        elif request.method != "POST":
            resp = Response(json.dumps({"exc_type": "PermissionError"}), status=403, mimetype="application/json")
        else:
            raw = request.get_data(cache=True)
            self.received += 1
            if request.is_json and raw:
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    resp = Response(json.dumps({"exc_type": "JSONDecodeError"}), status=500, mimetype="application/json")
                    self.answers.append(500)
                    return resp(environ, start_response)
                if not isinstance(parsed, (dict, list)):
                    resp = Response(json.dumps({"exc_type": "ValidationError"}), status=417, mimetype="application/json")
                    self.answers.append(417)
                    return resp(environ, start_response)
            answer = intake.receive(self.runtime, request.args.get("site"), raw, dict(request.headers))
            resp = Response(json.dumps({"message": answer.body()}), status=answer.status, mimetype="application/json")
        self.answers.append(resp.status_code)
        return resp(environ, start_response)

    def start(self) -> "IntakeServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
