"""Posting alerts to a URL without letting that URL reach what it must not: only http and https, checked at start-up;
redirects never followed; link-local and instance-metadata addresses refused, for a literal address and for every
address a name resolves to (each checked before connecting, and the connection made to the checked address, so a
name that resolves differently a moment later cannot slip past).

The URL is never logged or put in an error (a Slack or Teams URL is a credential). ``post_json`` is the one way out
for every sink that talks HTTP (the webhook; chat sinks build their own body and call it).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from reconciler.core.errors import DeliveryRefused, NotDelivered, UsageError
from reconciler.daemon.alerts import Alert, text_of

REFUSED_NETWORKS = (
    ipaddress.ip_network("169.254.0.0/16"),  # IPv4 link-local: EC2's metadata 169.254.169.254, ECS's 169.254.170.2
    ipaddress.ip_network("fe80::/10"),  # IPv6 link-local
    ipaddress.ip_network("fd00:ec2::/32"),  # EC2's IPv6 instance services: metadata at fd00:ec2::254
)
"""Addresses an alert is never sent to, whatever the URL says."""
SCHEMES = {"http": 80, "https": 443}
Resolver = Callable[[str, int], list[str]]
"""Host and port to the addresses to try, in order."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system's resolver)."""
    return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


def refused(address: str) -> bool:
    """An address alerts are never sent to (an IPv4-mapped IPv6 address counts as its IPv4 address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in REFUSED_NETWORKS)


def check_url(url: str, *, option: str = "--alert-webhook") -> None:
    """A usage error (one line, without the URL) unless ``url`` is an http or https URL with a host that is not a
    refused literal address."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise UsageError(f"{option}: not a URL ({exc})") from exc
    if parts.scheme.lower() not in SCHEMES:
        shown = f"'{parts.scheme}'" if parts.scheme else "none"
        raise UsageError(f"{option}: only http:// and https:// URLs are accepted (the scheme is {shown})")
    if not parts.hostname:
        raise UsageError(f"{option}: the URL names no host")
    try:
        literal = refused(parts.hostname)
    except ValueError:  # a name, checked at every delivery once resolved
        literal = False
    if literal:
        raise UsageError(f"{option}: link-local and instance-metadata addresses are refused")


def _target(url: str, resolver: Resolver) -> tuple[str, str, int, str, list[str]]:
    """(scheme, host, port, path with query, the addresses it resolves to, each checked)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), str(parts.hostname)
    port = parts.port or SCHEMES[scheme]
    try:
        addresses = resolver(host, port)
    except OSError as exc:
        raise NotDelivered(f"the webhook's host does not resolve ({exc.__class__.__name__})") from exc
    if not addresses:
        raise NotDelivered("the webhook's host resolves to no address")
    if any(refused(a) for a in addresses):
        raise DeliveryRefused("the webhook's host resolves to a link-local or instance-metadata address: not sent")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, path, addresses


class _Pinned(http.client.HTTPConnection):
    """A connection to ``address`` for ``host``: TLS (when ``tls``) checks the certificate against ``host``."""

    def __init__(self, host: str, port: int, address: str, *, timeout: float, tls: ssl.SSLContext | None) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address, self._tls = address, tls

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host) if self._tls else sock


def post_json(url: str, body: Any, *, timeout: float, resolver: Resolver = resolve) -> None:
    """POST ``body`` as JSON to ``url``, one attempt of at most ``timeout`` seconds per connection step. A 2xx is
    success; a 3xx (never followed) or 4xx raises DeliveryRefused; a 5xx or a network error raises NotDelivered."""
    scheme, host, port, path, addresses = _target(url, resolver)
    data = json.dumps(body, default=str).encode()
    headers = {"Content-Type": "application/json", "Host": host if port == SCHEMES[scheme] else f"{host}:{port}"}
    tls = ssl.create_default_context() if scheme == "https" else None
    last: OSError | None = None
    for address in addresses:
        connection = _Pinned(host, port, address, timeout=timeout, tls=tls)
        try:
            connection.request("POST", path, body=data, headers=headers)
            status = connection.getresponse().status
        except OSError as exc:  # refused, reset, timed out: the next address, then another attempt
            last = exc
            continue
        finally:
            connection.close()
        if 200 <= status < 300:
            return
        if 300 <= status < 400:
            raise DeliveryRefused(f"the webhook answered {status}, a redirect: redirects are never followed")
        if status < 500:
            raise DeliveryRefused(f"the webhook answered {status}")
        raise NotDelivered(f"the webhook answered {status}")
    raise NotDelivered(f"the webhook could not be reached ({last.__class__.__name__})")


class WebhookSink:
    """Slack-compatible JSON (``text`` for humans, ``ecs_reconciler`` for machines); one attempt per ``send``."""

    name = "webhook"

    def __init__(self, url: str, *, timeout: float, resolver: Resolver = resolve) -> None:
        check_url(url)
        self._url, self._timeout, self._resolver = url, timeout, resolver

    def send(self, alert: Alert) -> None:
        body = {"text": text_of(alert), "ecs_reconciler": alert.as_dict()}
        post_json(self._url, body, timeout=self._timeout, resolver=self._resolver)
