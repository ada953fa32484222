"""`export-static`: the public site as files, verified from a plain static server, no service.

The export is built by the routes in this process (web/static_site.py); then only a small
`http.server` on loopback, serving the folder at PUBLIC_BASE_URL with the content types the
export noted, answers the engine's verifier: the did:web document and the status list come
from the files. A revocation reaches the verifier after the next export.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from issuer.cli import main
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential
from issuer.fetch import SafeFetcher
from issuer.services import unit_of_work
from issuer.services.consent import Consent
from issuer.services.learners import create_learner
from issuer.services.revocation import revoke
from issuer.services.static_export import (
    HEADERS,
    MANIFEST,
    NGINX,
    ExportError,
    export_static,
    file_for,
)
from issuer.web.static_site import export_app, fetcher
from tests.helpers import free_port, issue, point_cli_at, settings_for

DAY = date(2026, 12, 6)


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def overrides(database_url, tmp_path, port):
    """The site's address is the loopback port the static server will listen on."""
    return settings_for(tmp_path / "instance", database_url, AUTO_MIGRATE=False,
                        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")


def _export(db, overrides, folder: Path):
    app = export_app(overrides, day=DAY)
    try:
        return export_static(db, folder, fetcher(app))
    finally:
        app.extensions["sky_queue"].close()
        app.extensions["sky_engine"].dispose()


class _StaticHandler(SimpleHTTPRequestHandler):
    """A plain static server that reads the content types the export noted."""

    def guess_type(self, path):
        manifest = json.loads((Path(self.directory) / MANIFEST).read_text("utf-8"))
        relative = Path(path).resolve().relative_to(Path(self.directory).resolve()).as_posix()
        noted = {entry["file"]: entry["type"] for entry in manifest["documents"].values()}
        return noted.get(relative) or mimetypes.guess_type(path)[0] or "application/octet-stream"

    def log_message(self, *args):
        pass


@pytest.fixture
def static_server(tmp_path, port):
    folder = tmp_path / "site"
    folder.mkdir()
    server = ThreadingHTTPServer(
        ("127.0.0.1", port), lambda *a: _StaticHandler(*a, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder
    server.shutdown()
    server.server_close()


def _verify(url: str) -> dict:
    fetcher_ = SafeFetcher(allow_http_loopback=True)
    signed = fetcher_.fetch_bytes(url)
    report = verify_credential(signed, resolver=KeyResolver(fetcher_.fetch_json,
                                                            allow_http_loopback=True),
                               fetch_json=fetcher_.fetch_json)
    return report.to_json()


def _get(url: str) -> tuple[str, bytes]:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        return response.headers.get_content_type(), response.read()


def test_a_badge_verifies_from_the_static_copy_and_its_revocation_after_a_new_export(
        db, world, overrides, static_server, port):
    base = f"http://127.0.0.1:{port}"
    credential = issue(db, world)
    first = _export(db, overrides, static_server)
    assert first.written > 10 and first.unchanged == 0 and first.removed == 0

    report = _verify(f"{base}/credentials/{credential.uuid}")
    assert report["verdict"] == "valid"
    assert report["issuer"]["id"] == f"did:web:127.0.0.1%3A{port}:issuers:agfe"
    checks = {check["name"]: check["status"] for check in report["checks"]}
    assert checks["proof"] == "passed" and checks["status"] == "passed"

    content_type, page = _get(f"{base}/v/{credential.short_id}")
    assert content_type == "text/html"
    assert "static-copy" in page.decode() and "6 décembre 2026" in page.decode()
    assert _get(f"{base}/static/public.css")[0] == "text/css"
    assert _get(f"{base}/status/{credential.status_list.uuid}")[0] == "application/vc+ld+json"
    assert _get(f"{base}/issuers/agfe/did.json")[1].startswith(b"{")
    assert _get(f"{base}/credentials/{credential.uuid}.png")[0] == "image/png"
    headers = (static_server / HEADERS).read_text("utf-8")
    assert f"/credentials/{credential.uuid}\n  Content-Type: application/vc+ld+json" in headers
    assert "default_type application/vc+ld+json" in (static_server / NGINX).read_text("utf-8")

    with unit_of_work(db):
        revoke(db, credential, "issued by mistake", world.admin)
    second = _export(db, overrides, static_server)
    # The status list and the badge's page changed; the signed badge and its images did not.
    assert 2 <= second.written < 6 and second.unchanged >= first.written - 6
    assert _verify(f"{base}/credentials/{credential.uuid}")["verdict"] == "revoked"
    third = _export(db, overrides, static_server)
    assert (third.written, third.removed) == (0, 0)
    assert third.unchanged == second.written + second.unchanged


def test_the_copy_holds_no_private_page_and_no_name_without_consent(
        db, world, overrides, static_server):
    with unit_of_work(db):
        shy = create_learner(db, world.org, "Olga Discrète", email="olga@example.org",
                             answers=Consent.of({}))
    credential = issue(db, world, learner=shy)
    _export(db, overrides, static_server)
    files = [path for path in static_server.rglob("*") if path.is_file()]
    assert not any("claim" in path.as_posix() or "verify" in path.name for path in files)
    for path in files:
        data = path.read_bytes()
        assert b"Olga" not in data and b"olga@example.org" not in data
    assert (static_server / "credentials" / credential.uuid).is_file()


def test_a_badge_no_longer_published_is_removed_from_the_copy(db, world, overrides,
                                                               static_server):
    credential = issue(db, world)
    _export(db, overrides, static_server)
    assert (static_server / "credentials" / f"{credential.uuid}.png").is_file()
    with unit_of_work(db):
        credential.learner.erased_at = credential.issued_at  # what erasure records
    again = _export(db, overrides, static_server)
    assert again.removed == 4  # the signed badge, its download and its two images
    assert not (static_server / "credentials" / credential.uuid).exists()
    assert (static_server / "v" / credential.short_id / "index.html").is_file()  # verdict stays


@pytest.mark.parametrize("path", ["/../etc/passwd", "/credentials/%2e%2e", "/a//b", "/",
                                  "/credentials/.hidden", "/v/" + "x" * 300])
def test_no_path_leaves_the_folder(path):
    with pytest.raises(ExportError):
        file_for(path, "application/json")


def test_the_folder_must_be_a_folder(db, overrides, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(ExportError):
        _export(db, overrides, target)


def test_the_command_exports_and_says_what_it_did(db, world, overrides, tmp_path, monkeypatch,
                                                  capsys):
    point_cli_at(monkeypatch, overrides)
    with unit_of_work(db):
        world.org.logo_png = _tiny_png()
    credential = issue(db, world)
    folder = tmp_path / "copy"
    assert main(["export-static", str(folder)]) == 0
    first = capsys.readouterr().out
    assert main(["export-static", str(folder)]) == 0
    second = capsys.readouterr().out
    written = int(first.split(": ", 1)[1].split(" ", 1)[0])
    assert written > 10 and f"0 files written, {written} unchanged, 0 removed" in second
    # The page's logo (linked by its full address) is in the copy; the page itself too.
    assert (folder / "issuers" / "agfe" / "logo.png").read_bytes() == _tiny_png()
    assert (folder / "v" / credential.short_id / "index.html").is_file()


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(out, "PNG")
    return out.getvalue()


def test_a_link_that_cannot_be_a_file_is_not_followed():
    from issuer.services.static_export import links_in

    page = (b'<a href="/v/%2e%2e/secret">x</a><a href="/credentials/..%2fetc">y</a>'
            b'<img src="/static/public.css?v=1"><a href="/claim/abc">z</a>'
            b'<a href="https://other.example/v/ABC">w</a>')
    found = links_in("/v/ABC", "text/html", page, "https://badges.example.org")
    assert [wanted.path for wanted in found] == ["/static/public.css"]


def test_a_file_removed_by_hand_comes_back_at_the_next_export(db, world, overrides, tmp_path):
    credential = issue(db, world)
    folder = tmp_path / "copy"
    _export(db, overrides, folder)
    (folder / "status" / credential.status_list.uuid).unlink()
    again = _export(db, overrides, folder)
    assert again.written == 1 and again.removed == 0
    assert (folder / "status" / credential.status_list.uuid).is_file()


@pytest.mark.parametrize("published", [True, False])
def test_an_evidence_photo_is_copied_only_when_the_learner_agreed(db, world, overrides, tmp_path,
                                                                   published):
    import hashlib

    from issuer.services.issuing import issue_for_assessment
    from issuer.store.models import EvidenceFile
    from tests.helpers import evaluate

    photo = "0b7e4c1e-2f5d-4e59-9f1e-6b1d2a3c4d5e"
    assessment = evaluate(db, world, evidence_public=published)
    with unit_of_work(db):
        db.add(EvidenceFile(uuid=photo, assessment_id=assessment.id, gesture_id="dig-hole",
                            filename="hole.png", media_type="image/png", data=b"\x89PNG photo",
                            sha256=hashlib.sha256(b"\x89PNG photo").hexdigest()))
    with unit_of_work(db):
        issue_for_assessment(db, assessment.id, world.trainer)
    folder = tmp_path / "copy"
    _export(db, overrides, folder)
    copied = folder / "evidence" / photo
    assert copied.is_file() == published
    if published:
        assert copied.read_bytes() == b"\x89PNG photo"
        assert f"/evidence/{photo}\n  Content-Type: image/png" in (folder / HEADERS).read_text()
