"""Where a chat webhook may point, and the one way a webhook is posted to.

Checked twice: when staff save an audience (scheme and host allow-list, `webhook_url_problem`)
and at delivery, which also resolves the host once, refuses it when any of its addresses is
internal, and connects to the addresses it checked: a DNS answer that changes between the check
and the connection (rebinding) cannot turn the POST inwards. Redirects are never followed.
docs/operations.md, "Chat webhooks".
"""

import http.client
import ipaddress
import json
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings

# A connection to each address costs up to one timeout; the delivery lease covers two.
MAX_ADDRESSES_TRIED = 2


class WebhookRefused(Exception):
    """The target may not be posted to. Permanent: the delivery fails without retries."""


class WebhookError(Exception):
    """The webhook answered with an error status; the delivery is retried."""


def host_allowed(host: str, patterns: list[str]) -> bool:
    """`host` is listed, or is a subdomain of a `*.domain` entry."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.lower()
        if host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def webhook_url_problem(url: str) -> str:
    """Why `url` may not be a chat webhook ("" when it may): the scheme and the allow-list."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if settings.WEBHOOK_ALLOW_HTTP and scheme not in ("https", "http"):
        return "A chat webhook must be an http(s) URL."
    if not settings.WEBHOOK_ALLOW_HTTP and scheme != "https":
        return "Chat webhooks must use https://."
    try:
        host, _ = parts.hostname, parts.port
    except ValueError:
        return "The chat webhook's port is not a number."
    if not host:
        return "The chat webhook URL has no host."
    if not host_allowed(host, settings.WEBHOOK_ALLOWED_HOSTS):
        return (
            f"{host} is not an allowed chat webhook host. Allowed: "
            f"{', '.join(settings.WEBHOOK_ALLOWED_HOSTS)} (setting WEBHOOK_ALLOWED_HOSTS)."
        )
    return ""


def address_problem(address: str) -> str:
    """Why a webhook may not be posted to this IP address ("" when it may)."""
    ip = ipaddress.ip_address(address.partition("%")[0])  # an IPv6 scope ("%eth0") is no part
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 reaches 10.0.0.1
    if ip.is_loopback:
        return "" if settings.WEBHOOK_ALLOW_LOOPBACK else "a loopback address"
    kinds = [
        ("an unspecified address", ip.is_unspecified),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("a reserved address", ip.is_reserved),
        ("a private address", ip.is_private),
        # Shared (100.64/10), documentation and the like: not reachable on the internet.
        ("not a public address", not ip.is_global),
    ]
    return next((kind for kind, matches in kinds if matches), "")


def checked_addresses(host: str, port: int) -> list[str]:
    """The host's addresses from one DNS lookup, all of them public, or WebhookRefused."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if problem := address_problem(address):
            raise WebhookRefused(f"{host} resolves to {address}, {problem}")
    return addresses


def _connect(addresses: list[str], port: int, timeout: float | None) -> socket.socket:
    errors: list[OSError] = []
    for address in addresses[:MAX_ADDRESSES_TRIED]:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            errors.append(exc)
    raise errors[0]


class _CheckedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked addresses, never to what a new lookup of the host answers."""

    def __init__(self, host: str, port: int, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.timeout)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    """As above; the certificate is verified against the host name, not the address."""

    def __init__(self, host: str, port: int, addresses: list[str], timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.addresses = addresses

    def connect(self) -> None:
        sock = _connect(self.addresses, self.port, self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post_json(url: str, payload: dict, *, timeout: float) -> None:
    """POST `payload` to a checked webhook. WebhookRefused for a target that may not be used;
    WebhookError for an error status, OSError when it cannot be reached within `timeout`."""
    if problem := webhook_url_problem(url):
        raise WebhookRefused(problem)
    status, reason = post_checked(url, json.dumps(payload).encode(), headers={}, timeout=timeout)
    if not 200 <= status < 300:
        raise WebhookError(f"HTTP Error {status}: {reason}")


def post_checked(
    url: str, body: bytes, *, headers: dict[str, str], timeout: float
) -> tuple[int, str]:
    """POST `body` as JSON to a URL whose scheme and host the caller checked, connecting only to
    public addresses (outgoing webhooks use it too). The answer's status and reason;
    WebhookRefused for an internal address or a redirect, OSError when it cannot be reached."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    connection_class = _CheckedHTTPSConnection if https else _CheckedHTTPConnection
    connection = connection_class(host, port, checked_addresses(host, port), timeout)
    path = parts.path or "/"
    try:
        connection.request(
            "POST",
            f"{path}?{parts.query}" if parts.query else path,
            body=body,
            headers={**headers, "Content-Type": "application/json"},
        )
        answer = connection.getresponse()
        answer.read(1024)
    finally:
        connection.close()
    if 300 <= answer.status < 400:
        where = urlsplit(answer.getheader("Location", "")).netloc or "elsewhere"
        raise WebhookRefused(
            f"{host} answered HTTP {answer.status}, a redirect to {where}; "
            "redirects are not followed"
        )
    return answer.status, answer.reason
