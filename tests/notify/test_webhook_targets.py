"""Chat webhooks cannot reach inside the network (#14 item 5): https to the providers' hosts only,
checked when staff save an audience and again at delivery, where the resolved address must be
public, the connection goes to the address that was checked and redirects are not followed."""

import datetime as dt
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.comms.models import Audience, AudienceKind
from releasehub.comms.services import message_send
from releasehub.notify import services
from releasehub.notify.models import Channel, DeliveryAttempt, DeliveryStatus, Outbox
from releasehub.notify.targets import WebhookRefused, address_problem, checked_addresses
from releasehub.notify.targets import webhook_url_problem as problem
from releasehub.notify.tasks import deliver
from releasehub.releases.models import Release
from tests.factories import ReleaseFactory, UserFactory, user_with
from tests.test_settings import SETUP, run

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T000/B000/secret"
PUBLIC = "93.184.216.34"


class LocalServer:
    """An HTTP server on 127.0.0.1 that records every request and answers `status`."""

    def __init__(self, status: int = 200, location: str = "") -> None:
        self.requests: list[tuple[str, str]] = []
        record = self.requests

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                record.append((self.command, self.path))
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = _answer

            def log_message(self, format, *args) -> None:
                pass  # no stray console output

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local_webhooks(settings):
    """What the comms and notify tests use to reach their fake chat server on 127.0.0.1."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOW_LOOPBACK = True


@pytest.fixture
def connections(monkeypatch) -> list[tuple[str, int]]:
    """Every TCP connection delivery opens, refused so that nothing leaves the machine."""
    opened: list[tuple[str, int]] = []

    def connect(address, *args, **kwargs):
        opened.append(address)
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr(socket, "create_connection", connect)
    return opened


def _resolve_to(monkeypatch, *answers: str) -> list[str]:
    """Patch DNS: the n-th lookup answers answers[n] (the last one from then on)."""
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        address = answers[min(len(lookups), len(answers)) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def _chat_row(url: str) -> Outbox:
    """A sent release message to one audience whose webhook is `url`."""
    start = dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC)
    release = ReleaseFactory(
        status=Release.Status.COMPLETED,
        window_start=start,
        window_end=start + dt.timedelta(hours=2),
        completed_at=start + dt.timedelta(hours=1),
    )
    audience = Audience.objects.create(name="Platform chat", kind=AudienceKind.OPS, webhook_url=url)
    message_send(
        release=release,
        actor=user_with(Role.RELEASE_MANAGER, username="asha"),
        kind="announcement",
        subject="Released",
        body="Done",
        audiences=[audience],
        token=uuid.uuid4(),
    )
    return Outbox.objects.get(channel=Channel.CHAT)


def _failed_with(row: Outbox, *reasons: str) -> str:
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.attempts == 1
    (attempt,) = DeliveryAttempt.objects.filter(outbox=row)
    assert not attempt.ok and attempt.error == row.last_error
    for reason in reasons:
        assert reason in attempt.error
    return attempt.error


def test_an_internal_target_with_the_default_settings_receives_nothing(
    django_capture_on_commit_callbacks,
):
    with LocalServer() as internal:
        with django_capture_on_commit_callbacks(execute=False):
            row = _chat_row(internal.url("/internal"))
        deliver.apply(args=[row.pk])  # eager: a retry would run in place
    assert internal.requests == []
    _failed_with(row, "https")


def test_a_loopback_address_is_refused_even_when_its_host_is_allowed(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with LocalServer() as internal:
        row = _chat_row(internal.url("/internal"))
        assert services.outbox_deliver(row.pk) == DeliveryStatus.FAILED  # no retry
    assert internal.requests == []
    _failed_with(row, "127.0.0.1", "loopback")


def test_a_refused_target_fails_at_once_and_is_not_retried(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with LocalServer() as internal:
        row = _chat_row(internal.url("/internal"))
        deliver.apply(args=[row.pk])
        deliver.apply(args=[row.pk])  # a duplicate task finds it failed
    assert internal.requests == []
    _failed_with(row, "loopback")


def test_a_redirect_from_an_allowed_host_is_not_followed(local_webhooks):
    with LocalServer() as internal:
        target = internal.url("/internal")
        with LocalServer(status=302, location=target) as allowed:
            row = _chat_row(allowed.url("/services/T000/B000/secret"))
            assert services.outbox_deliver(row.pk) == DeliveryStatus.FAILED
    assert allowed.requests == [("POST", "/services/T000/B000/secret")]
    assert internal.requests == []
    _failed_with(row, "302", "redirect")


def test_a_host_that_resolves_to_a_private_address_is_refused_without_connecting(
    monkeypatch, connections
):
    lookups = _resolve_to(monkeypatch, "10.1.2.3")
    row = _chat_row(SLACK)
    assert services.outbox_deliver(row.pk) == DeliveryStatus.FAILED
    assert lookups == ["hooks.slack.com"] and connections == []
    error = _failed_with(row, "hooks.slack.com", "10.1.2.3", "private")
    assert "secret" not in error


def test_delivery_connects_to_the_address_it_checked(monkeypatch, connections):
    # DNS rebinding: a public answer for the check, then loopback for a second lookup.
    lookups = _resolve_to(monkeypatch, PUBLIC, "127.0.0.1")
    row = _chat_row(SLACK)
    with pytest.raises(services.DeliveryFailed):
        services.outbox_deliver(row.pk)
    assert lookups == ["hooks.slack.com"]
    assert connections == [(PUBLIC, 443)]
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING  # an unreachable provider is retried


def _staff_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _audience_form(webhook_url: str) -> dict:
    return {
        "name": "Platform chat",
        "kind": AudienceKind.OPS,
        "role": "",
        "extra_emails": "",
        "webhook_url": webhook_url,
        "display_order": 0,
        "active": "on",
    }


def test_staff_cannot_save_an_audience_whose_webhook_points_inside(client):
    admin = _staff_client(client)
    url = reverse("admin:comms_audience_add")
    answer = admin.post(url, _audience_form("http://127.0.0.1:8000/internal"))
    assert answer.status_code == 200
    assert "Chat webhooks must use https" in answer.content.decode()
    answer = admin.post(url, _audience_form("https://10.0.0.5/services/T000/B000/secret"))
    page = answer.content.decode()
    assert "10.0.0.5 is not an allowed chat webhook host" in page and "hooks.slack.com" in page
    assert not Audience.objects.filter(name="Platform chat").exists()
    assert admin.post(url, _audience_form(SLACK)).status_code == 302
    assert Audience.objects.get(name="Platform chat").webhook_url == SLACK


def test_the_defaults_allow_https_to_the_chat_providers_only(settings):
    assert settings.WEBHOOK_ALLOW_HTTP is False and settings.WEBHOOK_ALLOW_LOOPBACK is False
    assert settings.WEBHOOK_ALLOWED_HOSTS == [
        "hooks.slack.com",
        "*.webhook.office.com",
        "outlook.office.com",
        "chat.googleapis.com",
        "discord.com",
    ]


@pytest.mark.parametrize(
    "url",
    [
        SLACK,
        "https://HOOKS.slack.com./services/T000/B000/secret",
        "https://acme.webhook.office.com/webhookb2/secret",
        "https://outlook.office.com/webhook/secret",
        "https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t",
        "https://discord.com/api/webhooks/1/secret/slack",
    ],
)
def test_the_providers_webhooks_are_accepted(url):
    assert problem(url) == ""


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.slack.com/services/T000/B000/secret", "must use https"),
        ("ftp://hooks.slack.com/x", "must use https"),
        ("https://127.0.0.1/internal", "127.0.0.1 is not an allowed chat webhook host"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is not an allowed"),
        ("https://[::1]/internal", "::1 is not an allowed"),
        ("https://evilhooks.slack.com/x", "evilhooks.slack.com is not an allowed"),
        ("https://hooks.slack.com.evil.example/x", "hooks.slack.com.evil.example is not"),
        ("https://hooks.slack.com@evil.example/x", "evil.example is not an allowed"),
        ("https://webhook.office.com/x", "webhook.office.com is not an allowed"),
        ("https://hooks.slack.com:port/x", "port is not a number"),
        ("https:///services/x", "has no host"),
    ],
)
def test_other_webhooks_are_refused_with_the_reason(url, reason):
    assert reason in problem(url)


def test_the_development_settings_allow_http_and_other_hosts(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_HOSTS = ["chat.internal.example", "*.example.org"]
    assert problem("http://chat.internal.example/hooks/x") == ""
    assert problem("https://a.b.example.org/hooks/x") == ""
    assert "must be an http(s) URL" in problem("ftp://chat.internal.example/x")
    assert "not an allowed chat webhook host" in problem(SLACK)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not a public address"),
    ],
)
def test_internal_addresses_are_refused(address, reason):
    assert reason in address_problem(address)


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_accepted(address):
    assert address_problem(address) == ""


def test_loopback_is_allowed_only_by_its_own_setting(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    assert address_problem("127.0.0.1") == "" and address_problem("::1") == ""
    assert "private" in address_problem("10.1.2.3")


def test_one_internal_address_among_public_ones_refuses_the_host(monkeypatch):
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in (PUBLIC, "10.0.0.7")
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(WebhookRefused, match=r"resolves to 10\.0\.0\.7, a private address"):
        checked_addresses("hooks.slack.com", 443)


def test_a_bad_allow_list_stops_start_up_naming_the_variable():
    result = run(SETUP, WEBHOOK_ALLOWED_HOSTS="https://hooks.slack.com/services")
    assert result.returncode != 0
    assert "WEBHOOK_ALLOWED_HOSTS" in result.stderr
