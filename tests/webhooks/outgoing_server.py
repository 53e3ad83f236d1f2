"""A real HTTP server for the outgoing webhook tests (ports 19400-19409), which checks every
request with the verification example of docs/integrations.md, run as written."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from releasehub.webhooks import outgoing_delivery

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
PORTS = range(19400, 19410)


def docs_verifier():
    """`verify(secret, headers, body, tolerance=300)` from the docs' Python block."""
    text = DOC.read_text()
    after = text[text.index("<!-- verify-example") :]
    block = re.search(r"```python\n(.*?)```", after, re.S)
    assert block, "docs/integrations.md lost its verification example"
    namespace: dict = {}
    exec(block.group(1), namespace)
    return namespace["verify"]


class Received:
    def __init__(self, headers: dict, body: bytes, verified: bool) -> None:
        self.headers, self.body, self.verified = headers, body, verified


class Receiver:
    """Answers each POST with the next of `statuses` (the last one repeats) and records it."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.secret = ""
        self.received: list[Received] = []
        verify = docs_verifier()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                verified = verify(receiver.secret, self.headers, body)
                receiver.received.append(Received(dict(self.headers), body, verified))
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status if verified else 401)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args) -> None:
                pass  # no stray console output

        self.httpd = self._bind(Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @staticmethod
    def _bind(handler) -> ThreadingHTTPServer:
        for port in PORTS:
            try:
                return ThreadingHTTPServer(("127.0.0.1", port), handler)
            except OSError:
                continue
        raise RuntimeError("ports 19400-19409 are all taken")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/releasehub"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def capture_enqueued(monkeypatch) -> list[int]:
    """The delivery ids queued on commit, instead of tasks sent to the broker."""
    ids: list[int] = []
    monkeypatch.setattr(outgoing_delivery, "enqueue_deliveries", ids.extend)
    return ids
