import contextlib
import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from releasehub.accounts.models import Role
from releasehub.releases.models import Release
from tests.factories import (
    ReleaseFactory,
    ScopeTicketFactory,
    comms_reference_data,
    service,
    squad,
    user_with,
)


@pytest.fixture
def cast(db):
    comms_reference_data()
    return {
        "asha": user_with(Role.RELEASE_MANAGER, username="asha"),
        "priya": user_with(Role.SQUAD_REP, "patient", username="priya"),
        "kiran": user_with(Role.SRE, username="kiran"),
        "divya": user_with(Role.SUPPORT, username="divya"),
        "arjun": user_with(Role.LEADERSHIP, username="arjun"),
    }


@pytest.fixture
def completed_release(cast):
    start = dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC)
    release = ReleaseFactory(
        version="2026.12.02",
        status=Release.Status.COMPLETED,
        window_start=start,
        window_end=start + dt.timedelta(hours=2),
        completed_at=start + dt.timedelta(hours=1, minutes=50),
        release_manager=cast["asha"],
        summary="Bi-weekly release train",
    )
    ScopeTicketFactory(
        release=release,
        key="PAT-101",
        title="Reschedule from the booking page",
        services=[service("appointments")],
    )
    ScopeTicketFactory(
        release=release, key="DOC-214", title="Provider availability cache", squad=squad("doctor")
    )
    release.risks.create(
        description="Token refresh changes sign-in",
        mitigation="Canary first",
        added_by=cast["asha"],
    )
    release.flags.create(
        name="provider-availability-cache", default_state="off", added_by=cast["asha"]
    )
    return release


class ChatServer:
    """A real HTTP server on 127.0.0.1 standing in for a chat incoming webhook. While it runs,
    the settings let webhooks reach it (http, its host, loopback); the defaults refuse it."""

    def __init__(self, answers: list[int], delay: float = 0.0) -> None:
        self.answers = list(answers)
        self.delay = delay
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                server.bodies.append(json.loads(self.rfile.read(length)))
                server.paths.append(self.path)
                status = server.answers.pop(0) if server.answers else 200
                if server.delay:
                    threading.Event().wait(server.delay)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (timeout)
                    self.wfile.write(b"ok" if status == 200 else b"internal_error")

            def log_message(self, format, *args) -> None:
                pass  # no stray console output

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.allowed = override_settings(
            WEBHOOK_ALLOW_HTTP=True,
            WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"],
            WEBHOOK_ALLOW_LOOPBACK=True,
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/services/T000/B000/secret"

    def __enter__(self) -> "ChatServer":
        self.allowed.enable()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.allowed.disable()
