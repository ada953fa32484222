"""SafeFetcher against a real HTTP server on 127.0.0.1, and address vetting without sockets."""

import json
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from issuer.core import proofs
from issuer.core.did import verification_method
from issuer.core.errors import ResolutionError
from issuer.core.keys import PrivateKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential
from issuer.fetch import MAX_FETCHES, SafeFetcher
from tests.helpers import rich_credential

DOCUMENT = {"id": "https://issuer.example/issuers/1", "name": "Café Ñandú"}


class Handler(BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        action = self.routes.get(self.path)
        if action is None:
            self.send_response(404)
            self.end_headers()
            return
        action(self)

    def log_message(self, *args):
        pass


def send_json(document):
    def action(handler):
        body = json.dumps(document).encode("utf-8")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return action


def send_unsized(size):
    def action(handler):
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(b" " * size)

    return action


def redirect(location):
    def action(handler):
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return action


def slow(handler):
    time.sleep(1.0)
    try:
        send_json(DOCUMENT)(handler)
    except BrokenPipeError:
        pass  # the client gave up first, as it should


def echo_headers(handler):
    send_json({"accept": handler.headers["Accept"], "host": handler.headers["Host"]})(handler)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    Handler.routes = {
        "/doc": send_json(DOCUMENT),
        "/big": send_json({"padding": "x" * 4096}),
        "/big-unsized": send_unsized(4096),
        "/slow": slow,
        "/headers": echo_headers,
        "/to-doc": redirect("/doc"),
        "/to-private": redirect("http://10.0.0.1/doc"),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data"),
        "/loop": redirect("/loop"),
    }
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def no_connections(monkeypatch):
    """Fail the test if anything opens a socket connection."""

    def refuse(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)


def test_http_loopback_is_refused_by_default(server):
    with pytest.raises(ResolutionError, match="not a public address"):
        SafeFetcher().fetch_json(server + "/doc")


def test_http_loopback_is_served_when_allowed(server):
    assert SafeFetcher(allow_http_loopback=True).fetch_json(server + "/doc") == DOCUMENT


def test_request_asks_for_json_ld_and_keeps_the_host_header(server):
    answer = SafeFetcher(allow_http_loopback=True).fetch_json(server + "/headers")
    assert answer == {"accept": "application/ld+json, application/json", "host": server[7:]}


def test_oversize_declared_body_is_refused(server):
    with pytest.raises(ResolutionError, match="larger than the 1024-byte limit"):
        SafeFetcher(max_bytes=1024, allow_http_loopback=True).fetch_json(server + "/big")


def test_oversize_undeclared_body_is_refused_while_reading(server):
    with pytest.raises(ResolutionError, match="larger than the 1024-byte limit"):
        SafeFetcher(max_bytes=1024, allow_http_loopback=True).fetch_bytes(server + "/big-unsized")


def test_slow_server_times_out(server):
    with pytest.raises(ResolutionError, match="could not fetch"):
        SafeFetcher(timeout=0.2, allow_http_loopback=True).fetch_json(server + "/slow")


def test_relative_redirect_to_a_vetted_target_is_followed(server):
    assert SafeFetcher(allow_http_loopback=True).fetch_json(server + "/to-doc") == DOCUMENT


@pytest.mark.parametrize("path", ["/to-private", "/to-metadata"])
def test_redirect_to_a_private_address_is_refused(server, path):
    with pytest.raises(ResolutionError, match="not a public address"):
        SafeFetcher(allow_http_loopback=True).fetch_json(server + path)


def test_redirect_loop_stops_after_three_redirects(server):
    with pytest.raises(ResolutionError, match="too many redirects"):
        SafeFetcher(allow_http_loopback=True).fetch_json(server + "/loop")


def test_missing_document_is_a_resolution_error(server):
    with pytest.raises(ResolutionError, match="HTTP 404"):
        SafeFetcher(allow_http_loopback=True).fetch_json(server + "/missing")


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/did.json",
        "https://192.168.1.1/did.json",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/did.json",
        "https://[::ffff:10.0.0.1]/did.json",
        "https://127.0.0.1/did.json",
        "https://0.0.0.0/did.json",
        "https://224.0.0.1/did.json",
        "https://[fe80::1]/did.json",
        "https://[fc00::1]/did.json",
        "https://100.64.0.1/did.json",
    ],
)
def test_non_public_address_literal_is_refused_without_connecting(url, no_connections):
    with pytest.raises(ResolutionError, match="not a public address"):
        SafeFetcher().fetch_bytes(url)


def test_ipv4_mapped_private_address_is_refused_even_with_loopback_allowed(no_connections):
    with pytest.raises(ResolutionError, match="not a public address"):
        SafeFetcher(allow_http_loopback=True).fetch_bytes("http://[::ffff:10.0.0.1]/x")


@pytest.mark.parametrize(
    "url", ["http://93.184.215.14/x", "ftp://93.184.215.14/x", "file:///etc/passwd"]
)
def test_non_https_schemes_are_refused_without_connecting(url, no_connections):
    with pytest.raises(ResolutionError):
        SafeFetcher().fetch_bytes(url)


def test_http_to_a_public_address_is_refused_even_with_loopback_allowed(no_connections):
    with pytest.raises(ResolutionError, match="only https"):
        SafeFetcher(allow_http_loopback=True).fetch_bytes("http://93.184.215.14/x")


def test_public_address_passes_vetting(no_connections):
    assert SafeFetcher().vet("https://93.184.215.14:8443/did.json") == (
        "https",
        "93.184.215.14",
        8443,
        "93.184.215.14",
    )


def test_verifier_resolves_keys_through_the_safe_fetcher(server):
    key = PrivateKey.generate()
    issuer_id = server + "/issuers/cec"
    method = verification_method(issuer_id, key.public_key)
    Handler.routes["/issuers/cec"] = send_json(
        {"id": issuer_id, "verificationMethod": [method], "assertionMethod": [method["id"]]}
    )
    signed = proofs.sign(rich_credential(issuer_id), key, method["id"])
    fetcher = SafeFetcher(allow_http_loopback=True)
    resolver = KeyResolver(fetcher.fetch_json, allow_http_loopback=True)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    report = verify_credential(signed, resolver=resolver, fetch_json=fetcher.fetch_json, now=now)
    assert report.verdict == "valid"
    assert report.check("issuer-binding").status == "passed"


@pytest.mark.parametrize("language", ["fr", "nl", "it", "es", "pl"])
def test_vetting_errors_translate_and_keep_the_url(language, no_connections):
    from issuer.core.messages import message_of
    from issuer.languages import catalogue

    with pytest.raises(ResolutionError) as raised:
        SafeFetcher().vet("ftp://issuer.example/did.json")
    english = "refusing to fetch 'ftp://issuer.example/did.json': only https URLs are fetched"
    assert str(raised.value) == english
    translated = message_of(raised.value).translate(catalogue(language).gettext, language)
    assert translated != english and "'ftp://issuer.example/did.json'" in translated


# --- total time, fetch count and failed look-ups per verification ------------------------------


def trickle_headers(handler):
    """A status line, then one header byte every 0.1 s for 3 s: each read is quick, the whole
    never ends in time."""
    try:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(30):
            handler.wfile.write(b"a")
            handler.wfile.flush()
            time.sleep(0.1)
        handler.wfile.write(b"\r\nContent-Length: 2\r\n\r\n{}")
    except OSError:
        pass  # cut off by the client, as it should be


def failing_once_counted(hits):
    def action(handler):
        hits.append(handler.path)
        handler.send_response(503 if len(hits) == 1 else 200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"{}")

    return action


def test_a_host_trickling_its_headers_is_cut_off_at_the_response_deadline(server):
    Handler.routes["/trickle"] = trickle_headers
    started = time.monotonic()
    with pytest.raises(ResolutionError, match="did not arrive in time"):
        SafeFetcher(timeout=0.5, allow_http_loopback=True).fetch_json(server + "/trickle")
    assert time.monotonic() - started < 1.5


def test_the_verification_deadline_bounds_all_fetches_together(server):
    Handler.routes["/trickle-a"] = Handler.routes["/trickle-b"] = trickle_headers
    fetcher = SafeFetcher(timeout=0.5, total_seconds=0.8, allow_http_loopback=True)
    started = time.monotonic()
    for path in ("/trickle-a", "/trickle-b"):
        with pytest.raises(ResolutionError, match="did not arrive in time"):
            fetcher.fetch_json(server + path)
    with pytest.raises(ResolutionError, match="limit of 0.8 s for remote documents"):
        fetcher.fetch_json(server + "/doc")
    assert time.monotonic() - started < 1.5


def test_one_verification_fetches_at_most_max_fetches_documents(server):
    fetcher = SafeFetcher(allow_http_loopback=True)
    for _ in range(MAX_FETCHES):
        assert fetcher.fetch_json(server + "/doc") == DOCUMENT
    with pytest.raises(ResolutionError, match=f"limit of {MAX_FETCHES} remote documents"):
        fetcher.fetch_json(server + "/doc")


def test_a_failed_look_up_is_answered_from_memory_for_a_while(server):
    hits = []
    Handler.routes["/failing-once"] = failing_once_counted(hits)
    for _ in range(2):  # two verifications, each with its own fetcher
        with pytest.raises(ResolutionError, match="answered HTTP 503"):
            SafeFetcher(allow_http_loopback=True).fetch_json(server + "/failing-once")
    assert hits == ["/failing-once"]


def test_a_stalling_name_server_is_given_up_on_within_the_timeout(monkeypatch):
    def stalling_name_server(*args, **kwargs):
        time.sleep(3)
        raise socket.gaierror("no answer")

    monkeypatch.setattr(socket, "getaddrinfo", stalling_name_server)
    started = time.monotonic()
    with pytest.raises(ResolutionError, match="cannot resolve host 'stalling.example'"):
        SafeFetcher(timeout=0.3).fetch_json("https://stalling.example/did.json")
    assert time.monotonic() - started < 1.5
