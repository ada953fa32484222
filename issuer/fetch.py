"""SSRF-safe fetching of controller documents, JWK sets and status lists for the verifier.

A public verifier fetches URLs that strangers put in credentials, so every fetch is vetted:
https only (http to loopback in tests), the host is resolved once and every address must be
public, the connection goes to that vetted address (no second DNS lookup an attacker could
rebind), redirects are re-vetted, and the body is bounded in size and time.

Time is bounded as a total, not per read: a host that sends a byte every few seconds is cut off
when the response's deadline passes (a watchdog shuts the socket down). One fetcher serves one
verification, which may fetch at most MAX_FETCHES documents in VERIFICATION_SECONDS in all. A
failed look-up is remembered for FAILURE_SECONDS, so the next verifications fail fast instead of
waiting on the same host again.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import threading
import time
from collections import OrderedDict
from urllib.parse import urljoin, urlsplit

from issuer.core import limits
from issuer.core.errors import GoneError, ResolutionError
from issuer.core.messages import N_

ACCEPT = "application/ld+json, application/json"
MAX_REDIRECTS = 3
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 16 * 1024
MAX_FETCHES = 8  # documents (redirects included) one verification may fetch
VERIFICATION_SECONDS = 10.0  # network time one verification may spend, all fetches together
FAILURE_SECONDS = 60.0  # how long a failed look-up is answered from memory
_FAILURES_KEPT = 1024

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
        max_fetches: int = MAX_FETCHES,
        total_seconds: float = VERIFICATION_SECONDS,
    ):
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow_http_loopback = allow_http_loopback
        self.max_fetches = max_fetches
        self.total_seconds = total_seconds
        self.fetches = 0
        self._end: float | None = None  # the verification's deadline, set by its first fetch

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
        _FAILURES.check(url)
        try:
            return self._fetch_bytes(url)
        except ResolutionError as error:
            if isinstance(error, _HostFailure):
                _FAILURES.remember(url, error)
            raise

    def _fetch_bytes(self, url: str) -> bytes:
        now = time.monotonic()
        if self._end is None:
            self._end = now + self.total_seconds
        deadline = min(now + self.timeout, self._end)
        for _ in range(MAX_REDIRECTS + 1):
            status, location, body = self._get_once(url, deadline)
            if status not in _REDIRECTS:
                return body
            if not location:
                raise ResolutionError(N_("%(url)s redirected (%(status)s) without a Location",
                                         url=url, status=status))
            url = urljoin(url, location)
        raise ResolutionError(N_("too many redirects (more than %(limit)s)", limit=MAX_REDIRECTS))

    def vet(self, url: str, seconds: float | None = None) -> tuple[str, str, int, str]:
        """Check a URL and resolve its host: (scheme, host, port, vetted IP) or ResolutionError.

        The DNS look-up gets `seconds` (default: the fetcher's timeout) at most."""
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
        addresses = self._resolve(host, port, self.timeout if seconds is None else seconds)
        for address in addresses:
            self._check_address(address, host)
        if scheme == "http" and not (
            self.allow_http_loopback and all(a.is_loopback for a in addresses)
        ):
            raise ResolutionError(_only_https(url))
        return scheme, host, port, str(addresses[0])

    def _resolve(self, host: str, port: int, seconds: float) -> list[IPAddress]:
        literal = _ip_literal(host)
        if literal is not None:
            return [literal]
        try:
            infos = _getaddrinfo_within(host, port, seconds)
        except (OSError, UnicodeError) as error:
            raise _HostFailure(N_("cannot resolve host %(host)s: %(reason)s",
                                  host=repr(host), reason=str(error) or "timed out")) from None
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

    def send(self, method: str, url: str, body: bytes, headers: dict[str, str]
             ) -> tuple[int, bytes]:
        """One vetted request with a body (an API client's POST): (status, body), whatever the
        status; no redirect is followed. The same address, size and time limits as a GET."""
        _FAILURES.check(url)
        now = time.monotonic()
        if self._end is None:
            self._end = now + self.total_seconds
        status, _location, answer = self._request(method, url, min(now + self.timeout,
                                                                   self._end), body, headers)
        return status, answer

    def _get_once(self, url: str, deadline: float) -> tuple[int, str | None, bytes]:
        return self._request("GET", url, deadline)

    def _request(self, method: str, url: str, deadline: float, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, str | None, bytes]:
        self._spend_one(url, deadline)
        scheme, host, port, ip = self.vet(url, max(0.05, deadline - time.monotonic()))
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = _pinned_connection(scheme, host, port, ip,
                                        max(0.05, min(self.timeout, deadline - time.monotonic())))
        watchdog = None
        try:
            connection.connect()  # connect and TLS handshake: each bounded by the time left
            watchdog = _Watchdog(connection.sock, deadline)
            connection.request(method, path, body=body, headers={
                "Accept": ACCEPT, "User-Agent": "sky-badges", **(headers or {})})
            response = connection.getresponse()
            if method == "GET":
                if response.status in _REDIRECTS:
                    return response.status, response.getheader("Location"), b""
                if response.status == 410:  # an answer, not a failure: an OB 2.0 revocation
                    raise GoneError(N_("%(url)s answered HTTP 410 Gone", url=url))
                if response.status != 200:
                    raise _HostFailure(N_("%(url)s answered HTTP %(status)s",
                                          url=url, status=response.status))
            answer = self._read(response, url, deadline)
            if watchdog.fired:  # the body ended because the watchdog closed the socket
                raise _HostFailure(self._cut_off(url))
            return response.status, None, answer
        except (OSError, http.client.HTTPException) as error:
            if watchdog is not None and watchdog.fired:
                raise _HostFailure(self._cut_off(url)) from None
            reason = str(error) or type(error).__name__
            raise _HostFailure(N_("could not fetch %(url)s: %(reason)s",
                                     url=url, reason=reason)) from None
        finally:
            if watchdog is not None:
                watchdog.cancel()
            connection.close()

    def _spend_one(self, url: str, deadline: float) -> None:
        """Count one request against the verification's budget of requests and time."""
        if self.fetches >= self.max_fetches:
            raise _OverBudget(N_("this verification reached its limit of %(limit)s remote "
                                 "documents; %(url)s was not fetched",
                                 limit=self.max_fetches, url=url))
        if time.monotonic() >= deadline:
            raise _OverBudget(N_("this verification reached its limit of %(seconds)s s for "
                                 "remote documents; %(url)s was not fetched",
                                 seconds=self.total_seconds, url=url))
        self.fetches += 1

    def _read(self, response: http.client.HTTPResponse, url: str, deadline: float) -> bytes:
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise _HostFailure(self._too_large(url))
        body = bytearray()
        while chunk := response.read1(_CHUNK):
            body += chunk
            if len(body) > self.max_bytes:
                raise _HostFailure(self._too_large(url))
            if time.monotonic() > deadline:
                raise _HostFailure(self._too_slow(url))
        return bytes(body)

    def _too_large(self, url: str) -> str:
        return N_("%(url)s is larger than the %(limit)s-byte limit", url=url, limit=self.max_bytes)

    def _too_slow(self, url: str) -> str:
        return N_("fetching %(url)s took longer than %(seconds)s s", url=url,
                  seconds=self.timeout)

    def _cut_off(self, url: str) -> str:
        return N_("could not fetch %(url)s: %(reason)s", url=url, reason=N_(
            "the response did not arrive in time (at most %(seconds)s s)", seconds=self.timeout))


class _OverBudget(ResolutionError):
    """The verification's own budget ran out: says nothing about the URL."""


class _HostFailure(ResolutionError):
    """The host was asked and failed (no answer in time, an error, too much): remembered."""


class _Watchdog:
    """Shuts a socket down at `deadline`: a blocked read then returns at once, however slowly
    the other end trickles bytes (a per-read timeout never fires on a byte every few seconds)."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.fired = False
        self._sock = sock
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            try:
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)  # plain or TLS socket
            except OSError:
                pass  # already closed by the other end

    def cancel(self) -> None:
        with self._lock:  # after this, the socket may be closed: the timer never touches it
            self._done = True
        self._timer.cancel()


class _FailureCache:
    """Recently failed URLs and why, so a stalling or broken host costs one wait per minute."""

    def __init__(self):
        self._failures: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, url: str) -> None:
        with self._lock:
            found = self._failures.get(url)
            if found is not None and found[0] <= time.monotonic():
                del self._failures[url]
                found = None
        if found is not None:
            raise ResolutionError(found[1])

    def remember(self, url: str, error: ResolutionError) -> None:
        with self._lock:
            self._failures[url] = (time.monotonic() + FAILURE_SECONDS, error.args[0])
            self._failures.move_to_end(url)
            while len(self._failures) > _FAILURES_KEPT:
                self._failures.popitem(last=False)


_FAILURES = _FailureCache()


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


def _getaddrinfo_within(host: str, port: int, seconds: float) -> list:
    """`socket.getaddrinfo`, given up after `seconds`: a stalling name server cannot hold the
    worker (the look-up thread ends on its own when the system resolver gives up)."""
    outcome: list = []

    def look_up() -> None:
        try:
            outcome.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as error:
            outcome.append(error)

    thread = threading.Thread(target=look_up, daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        raise TimeoutError(f"no answer from the name server within {seconds:.1f} s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
