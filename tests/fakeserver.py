"""A real HTTP server on 127.0.0.1 that serves canned answers, for testing live clients offline."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

FAKE_KEY = "VPPSIM-FAKE-KEY-7c1f0e9a2b4d6e8f0a1c3e5f"


@dataclass
class Canned:
    """One canned answer. ``body`` may be a callable of the request's query dict."""

    status: int = 200
    body: bytes | Callable[[dict], bytes] = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    content_type: str = "application/json"
    drop: bool = False  # close the connection without answering


@dataclass
class Hit:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeServer:
    """A ThreadingHTTPServer on 127.0.0.1 serving canned answers by path, in sequence.

    The last answer for a path repeats once the sequence is used up.
    """

    def __init__(self):
        self.routes: dict[str, list[Canned]] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                with server._lock:
                    server.hits.append(Hit(parts.path, query, dict(self.headers)))
                    count = sum(1 for hit in server.hits if hit.path == parts.path)
                    sequence = server.routes.get(parts.path) or [Canned(404, b'{"error": "x"}')]
                    canned = sequence[min(count, len(sequence)) - 1]
                if canned.delay_s:
                    time.sleep(canned.delay_s)
                if canned.drop:
                    self.close_connection = True
                    return
                body = canned.body(query) if callable(canned.body) else canned.body
                try:
                    self.send_response(canned.status)
                    self.send_header("Content-Type", canned.content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in canned.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout tests)
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, *answers: Canned) -> str:
        self.routes[path] = list(answers)
        return self.base_url + path

    def count(self, path: str) -> int:
        return sum(1 for hit in self.hits if hit.path == path)


def assert_no_key(*texts) -> None:
    for text in texts:
        data = text if isinstance(text, bytes) else str(text).encode()
        assert FAKE_KEY.encode() not in data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
