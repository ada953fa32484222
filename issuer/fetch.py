"""SSRF-safe fetching of controller documents, JWK sets and status lists for the verifier.

A public verifier fetches URLs that strangers put in credentials, so every fetch is vetted:
https only (http to loopback in tests), the host is resolved once and every address must be
public, the connection goes to that vetted address (no second DNS lookup an attacker could
rebind), redirects are re-vetted, and the body is bounded in size and time.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

from issuer.core import limits
from issuer.core.errors import ResolutionError
from issuer.core.messages import N_

ACCEPT = "application/ld+json, application/json"
MAX_REDIRECTS = 3
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 16 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class SafeFetcher:
    """Fetch public https resources with size, time and address limits.

    `allow_http_loopback` lets tests and a local development server use http://127.0.0.1.
    """

    def __init__(
        self,
        timeout: float = 5.0,
        max_bytes: int = 512 * 1024,
        allow_http_loopback: bool = False,
    ):
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow_http_loopback = allow_http_loopback

    def fetch_json(self, url: str) -> dict:
        """GET `url` and parse a JSON object; raise ResolutionError otherwise."""
        body = self.fetch_bytes(url)
        try:
            document = limits.parse_json(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ResolutionError(N_("%(url)s did not return valid JSON: %(reason)s",
                                     url=url, reason=str(error))) from None
        if not isinstance(document, dict):
            raise ResolutionError(N_("%(url)s returned JSON that is not an object", url=url))
        return document

    def fetch_bytes(self, url: str) -> bytes:
        """GET `url`, following at most three vetted redirects; return the body."""
        deadline = time.monotonic() + self.timeout
        for _ in range(MAX_REDIRECTS + 1):
            status, location, body = self._get_once(url, deadline)
            if status not in _REDIRECTS:
                return body
            if not location:
                raise ResolutionError(N_("%(url)s redirected (%(status)s) without a Location",
                                         url=url, status=status))
            url = urljoin(url, location)
        raise ResolutionError(N_("too many redirects (more than %(limit)s)", limit=MAX_REDIRECTS))

    def vet(self, url: str) -> tuple[str, str, int, str]:
        """Check a URL and resolve its host: (scheme, host, port, vetted IP) or ResolutionError."""
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname
        if not host:
            raise ResolutionError(N_("%(url)s is not an absolute URL with a host", url=repr(url)))
        if scheme not in ("https", "http"):
            raise ResolutionError(_only_https(url))
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise ResolutionError(N_("%(url)s has an invalid port", url=repr(url))) from None
        addresses = self._resolve(host, port)
        for address in addresses:
            self._check_address(address, host)
        if scheme == "http" and not (
            self.allow_http_loopback and all(a.is_loopback for a in addresses)
        ):
            raise ResolutionError(_only_https(url))
        return scheme, host, port, str(addresses[0])

    def _resolve(self, host: str, port: int) -> list[IPAddress]:
        literal = _ip_literal(host)
        if literal is not None:
            return [literal]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise ResolutionError(N_("cannot resolve host %(host)s: %(reason)s",
                                     host=repr(host), reason=str(error))) from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        if not addresses:
            raise ResolutionError(N_("host %(host)s has no address", host=repr(host)))
        return addresses

    def _check_address(self, address: IPAddress, host: str) -> None:
        effective = _unmapped(address)
        if effective.is_loopback and self.allow_http_loopback:
            return
        if not effective.is_global or effective.is_multicast or effective.is_reserved:
            raise ResolutionError(N_(
                "refusing to fetch from %(host)s: address %(address)s is not a public address",
                host=repr(host), address=str(address)))

    def _get_once(self, url: str, deadline: float) -> tuple[int, str | None, bytes]:
        scheme, host, port, ip = self.vet(url)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = _pinned_connection(scheme, host, port, ip, self.timeout)
        try:
            connection.request("GET", path, headers={"Accept": ACCEPT, "User-Agent": "sky-badges"})
            response = connection.getresponse()
            if response.status in _REDIRECTS:
                return response.status, response.getheader("Location"), b""
            if response.status != 200:
                raise ResolutionError(N_("%(url)s answered HTTP %(status)s",
                                         url=url, status=response.status))
            return response.status, None, self._read(response, url, deadline)
        except (OSError, http.client.HTTPException) as error:
            reason = str(error) or type(error).__name__
            raise ResolutionError(N_("could not fetch %(url)s: %(reason)s",
                                     url=url, reason=reason)) from None
        finally:
            connection.close()

    def _read(self, response: http.client.HTTPResponse, url: str, deadline: float) -> bytes:
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise ResolutionError(self._too_large(url))
        body = bytearray()
        while chunk := response.read1(_CHUNK):
            body += chunk
            if len(body) > self.max_bytes:
                raise ResolutionError(self._too_large(url))
            if time.monotonic() > deadline:
                raise ResolutionError(N_("fetching %(url)s took longer than %(seconds)s s",
                                         url=url, seconds=self.timeout))
        return bytes(body)

    def _too_large(self, url: str) -> str:
        return N_("%(url)s is larger than the %(limit)s-byte limit", url=url, limit=self.max_bytes)


def _only_https(url: str) -> str:
    return N_("refusing to fetch %(url)s: only https URLs are fetched", url=repr(url))


def _pinned_connection(scheme: str, host: str, port: int, ip: str, timeout: float):
    """An HTTP(S) connection to `ip` that still sends Host and SNI for `host`."""
    cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = cls(host, port, timeout=timeout)

    def connect_to_vetted_ip(address, timeout=timeout, source_address=None):
        return socket.create_connection((ip, port), timeout, source_address)

    connection._create_connection = connect_to_vetted_ip
    return connection


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
