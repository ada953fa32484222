"""Every public document of the service as files, for any static host or CDN (`export-static`).

If the service goes down, an organisation serves the folder at the same address
(PUBLIC_BASE_URL): badges keep verifying, because a verifier needs only the signed credential,
the issuer's did:web document and the status list, all plain files here.

Each document is produced by the very route that serves it (`fetch`, injected by the CLI: a
request to the web application in the same process, no server): one way to build a
document, and the routes' own rules on what is public — a credential of a learner who asked
for erasure (410), an evidence photo the learner did not agree to publish (404) — apply to the
copy as to the service. What the exported pages link to on the same site (styles, pictures,
the issuer's and the achievement's pages, the downloads) is followed from the HTML and CSS,
within the public prefixes only: no claim page, no form, no staff page.

Layout. A document at a URL path is the file at that path (`credentials/<uuid>`,
`status/<uuid>`, `issuers/<slug>/did.json`); an HTML page is `<path>/index.html` (every static
host serves a folder's index), and a page that also answers JSON (issuer, achievement) has its
JSON beside it as `<path>/index.json`. A query string is dropped (static hosts ignore it): the
small achievement picture is exported at its larger size. Content types that a host cannot guess
from a file name (no extension) are written for Netlify / Cloudflare Pages (`_headers`), nginx
(`nginx.conf`) and in the manifest.

Re-running updates only what changed: the manifest keeps each document's SHA-256 and ETag (a
route answering 304 to the ETag is not even rebuilt); files no longer published are removed.
Paths never leave the folder: each segment is checked, and the resolved path must stay inside.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core.clock import utc_stamp
from issuer.store.models import Credential, Organisation, StatusList

from . import catalogue
from .base import ServiceError, settings_of
from .urls import verify_path

MANIFEST = "sky-static-manifest.json"
HEADERS = "_headers"
NGINX = "nginx.conf"
OWN_FILES = (MANIFEST, HEADERS, NGINX)
# What the exported pages may lead to on the same site; anything else (the claim pages, /verify,
# the staff pages) is not a public document and is never followed.
PUBLIC_PREFIXES = ("/v/", "/credentials/", "/issuers/", "/achievements/", "/status/",
                   "/evidence/", "/static/")
MAX_DOCUMENTS = 2_000_000  # a site larger than this is refused, not exported in part
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,199}$")
_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"'<>]+)["']""", re.IGNORECASE)
_SRCSET = re.compile(r"""srcset\s*=\s*["']([^"'<>]+)["']""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)["']?\s*\)""", re.IGNORECASE)
JSON_TYPES = ("application/json", "application/ld+json")
SMALL_PICTURE = "?size=192"  # the achievement picture's larger size (the page's 2x)
# Cache lifetimes the service gives (web/public.py): status lists short, so a revocation spreads.
CACHE_SECONDS = {"/status/": 60, "/v/": 0}
DEFAULT_CACHE_SECONDS = 300


class ExportError(ServiceError):
    """The folder cannot be written as asked (unsafe path, not a folder, too many documents)."""


@dataclass(frozen=True)
class Fetched:
    """A route's answer: status, content type (without parameters), body and ETag."""

    status: int
    content_type: str
    body: bytes
    etag: str | None = None


# fetch(path with optional query, Accept header, If-None-Match ETag or None) -> Fetched
Fetch = Callable[[str, str, str | None], Fetched]


@dataclass
class ExportReport:
    """What one run did: files written (new or changed), unchanged, removed."""

    written: int = 0
    unchanged: int = 0
    removed: int = 0
    documents: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class _Wanted:
    path: str  # the URL path (no query)
    accept: str  # "html", "json" or "any"
    query: str = ""


def seed_paths(db: Session) -> list[_Wanted]:
    """The documents every export starts from: each organisation's profile, DID document and
    privacy notice, each status list, and each credential's document, images, page and
    achievement. Pages add what they link to."""
    wanted: list[_Wanted] = []
    for slug in db.scalars(select(Organisation.slug).order_by(Organisation.id)):
        wanted += [_Wanted(f"/issuers/{slug}", "html"), _Wanted(f"/issuers/{slug}", "json"),
                   _Wanted(f"/issuers/{slug}/did.json", "any")]
    for uuid in db.scalars(select(StatusList.uuid).order_by(StatusList.id)):
        wanted.append(_Wanted(f"/status/{uuid}", "any"))
    for credential in db.scalars(select(Credential).order_by(Credential.id)):
        base = f"/credentials/{credential.uuid}"
        wanted += [_Wanted(base, "any"), _Wanted(f"{base}.json", "any"),
                   _Wanted(f"{base}.png", "any"), _Wanted(f"{base}.svg", "any"),
                   _Wanted(verify_path(credential.short_id), "html")]
        if credential.template is not None:
            segment = catalogue.achievement_id(credential.template,
                                               credential.language).rsplit("/", 1)[1]
            wanted += [_Wanted(f"/achievements/{segment}", "html"),
                       _Wanted(f"/achievements/{segment}", "json"),
                       _Wanted(f"/achievements/{segment}/image.png", "any", SMALL_PICTURE)]
    return wanted


def export_static(db: Session, directory: Path, fetch: Fetch) -> ExportReport:
    """Write every public document under `directory` (created if need be); see the module."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory} is not a folder")
    directory.mkdir(parents=True, exist_ok=True)
    root = directory.resolve()
    previous = _read_manifest(root)
    report = ExportReport()
    base = settings_of(db).public_base_url
    queue = seed_paths(db)
    seen: set[str] = set()
    while queue:
        wanted = queue.pop()
        if _key(wanted) in seen:
            continue
        seen.add(_key(wanted))
        if len(seen) > MAX_DOCUMENTS:
            raise ExportError(f"more than {MAX_DOCUMENTS} documents")
        queue += _export_one(root, wanted, fetch, previous, report, base)
    _remove_stale(root, previous, report)
    _write_own_files(root, db, report)
    return report


def _key(wanted: _Wanted) -> str:
    """The manifest's name of a document: its path, and `#json` for a page's JSON form."""
    return wanted.path + "#json" if wanted.accept == "json" else wanted.path


def _export_one(root: Path, wanted: _Wanted, fetch: Fetch, previous: dict,
                report: ExportReport, base: str) -> list[_Wanted]:
    key = _key(wanted)
    before = previous.get(key)
    accept = {"html": "text/html", "json": "application/json"}.get(wanted.accept, "*/*")
    answer = fetch(wanted.path + wanted.query, accept, before.get("etag") if before else None)
    if answer.status == 304 and not (before and _intact(root, before)):
        answer = fetch(wanted.path + wanted.query, accept, None)  # our copy went missing
    relative = None
    if answer.status == 304:
        relative, content_type, digest = before["file"], before["type"], before["sha256"]
        body = None
        report.unchanged += 1
    elif answer.status == 200:
        if wanted.accept == "json" and answer.content_type not in JSON_TYPES:
            return []  # the route has no JSON form here
        relative = file_for(wanted.path, answer.content_type, wanted.accept == "json")
        content_type, body = answer.content_type, answer.body
        digest = hashlib.sha256(body).hexdigest()
        target = _inside(root, relative)
        if before and before.get("sha256") == digest and before.get("file") == relative \
                and target.is_file():
            report.unchanged += 1
        else:
            _write(target, body)
            report.written += 1
    else:
        return []  # not public (404), no longer published (410): nothing to copy
    report.documents[key] = {"path": wanted.path, "file": relative, "type": content_type,
                             "sha256": digest, "etag": answer.etag or (before or {}).get("etag")}
    if body is None:
        body = _inside(root, relative).read_bytes() if content_type in ("text/html",
                                                                        "text/css") else b""
    return links_in(wanted.path, content_type, body, base)


def file_for(path: str, content_type: str, json_form: bool = False) -> str:
    """The file (relative to the folder) holding the document at URL `path`, checked;
    `json_form`: the JSON answer of an address whose page is HTML."""
    segments = [unquote(part) for part in path.strip("/").split("/")]
    if not segments or any(not _SEGMENT.match(part) for part in segments):
        raise ExportError(f"unsafe path {path!r}")
    if content_type == "text/html":
        segments.append("index.html")
    elif json_form:
        segments.append("index.json")  # beside the page of the same address
    return "/".join(segments)


def _safe(path: str) -> bool:
    """Whether a linked path can be a file here (a link that cannot is not followed)."""
    return all(_SEGMENT.match(unquote(part)) for part in path.strip("/").split("/"))


def _inside(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or target == root:
        raise ExportError(f"{relative!r} leaves the folder")
    return target


def _write(target: Path, body: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink():
        raise ExportError(f"{target} is a symbolic link")
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_bytes(body)
        os.replace(temporary, target)  # a host reading the folder never sees half a file
    finally:
        temporary.unlink(missing_ok=True)


def _intact(root: Path, entry: dict) -> bool:
    try:
        return _inside(root, entry["file"]).is_file()
    except (ExportError, KeyError):
        return False


def links_in(source: str, content_type: str, body: bytes, base: str) -> list[_Wanted]:
    """The same-site public addresses an exported page or style sheet refers to."""
    if content_type not in ("text/html", "text/css"):
        return []
    text = body.decode("utf-8", "replace")
    found = _LINK.findall(text) + [
        part.strip().split(" ")[0] for value in _SRCSET.findall(text)
        for part in value.split(",")]
    if content_type == "text/css":
        found = _CSS_URL.findall(text)
    links = []
    for link in found:
        if link.startswith(base + "/"):
            link = link[len(base):]  # this site by its full address (a logo, evidence)
        split = urlsplit(link.replace("&amp;", "&"))
        if split.scheme or split.netloc:
            continue  # another site
        path = split.path if split.path.startswith("/") else \
            source.rsplit("/", 1)[0] + "/" + split.path
        if path.startswith(PUBLIC_PREFIXES) and _safe(path):
            query = SMALL_PICTURE if path.endswith("/image.png") else ""
            links.append(_Wanted(path, "any", query))
    return links


def _read_manifest(root: Path) -> dict:
    try:
        data = json.loads((root / MANIFEST).read_text("utf-8"))
        documents = data.get("documents", {})
        return documents if isinstance(documents, dict) else {}
    except (OSError, ValueError):
        return {}


def _remove_stale(root: Path, previous: dict, report: ExportReport) -> None:
    """Remove the files of documents no longer published (an erased learner's badge)."""
    kept = {entry["file"] for entry in report.documents.values()}
    for entry in previous.values():
        relative = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(relative, str) or relative in kept:
            continue
        try:
            target = _inside(root, relative)
        except ExportError:
            continue  # a manifest edited by hand never makes us delete outside the folder
        if target.is_file() and not target.is_symlink():
            target.unlink()
            report.removed += 1


def _write_own_files(root: Path, db: Session, report: ExportReport) -> None:
    base = settings_of(db).public_base_url
    documents = dict(sorted(report.documents.items()))
    manifest = {"base_url": base, "exported_at": utc_stamp(), "documents": documents}
    _write(root / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8"))
    _write(root / HEADERS, headers_file(documents).encode("utf-8"))
    _write(root / NGINX, nginx_snippet(documents).encode("utf-8"))


def _guessed(relative: str) -> str:
    return mimetypes.guess_type(relative)[0] or "application/octet-stream"


def _cache_seconds(path: str) -> int:
    return next((seconds for prefix, seconds in CACHE_SECONDS.items()
                 if path.startswith(prefix)), DEFAULT_CACHE_SECONDS)


def headers_file(documents: dict[str, dict]) -> str:
    """Netlify / Cloudflare Pages `_headers`: CORS and caching for all, the content type of
    each file whose name does not tell it."""
    lines = ["# sky-badges export-static: content types and caching (Netlify, Cloudflare Pages)",
             "/*", "  Access-Control-Allow-Origin: *", "  X-Content-Type-Options: nosniff",
             f"  Cache-Control: public, max-age={DEFAULT_CACHE_SECONDS}",
             "/status/*", f"  Cache-Control: public, max-age={CACHE_SECONDS['/status/']}",
             "/v/*", "  Cache-Control: no-cache",
             "/evidence/*", "  Content-Security-Policy: default-src 'none'; sandbox"]
    for entry in documents.values():
        if _guessed(entry["file"]) != entry["type"]:
            lines += [f"/{entry['file']}", f"  Content-Type: {entry['type']}"]
    return "\n".join(lines) + "\n"


def nginx_snippet(documents: dict[str, dict]) -> str:
    """An nginx `server` block's part: the same types, by folder, and JSON on request."""
    by_folder: dict[str, str] = {}
    mixed: list[dict] = []
    for entry in documents.values():
        if _guessed(entry["file"]) == entry["type"]:
            continue
        folder, name = entry["file"].rsplit("/", 1)
        if "." in name or "/" in folder \
                or by_folder.setdefault(folder, entry["type"]) != entry["type"]:
            mixed.append(entry)  # named by its exact path
    lines = ["# sky-badges export-static: include in the server block whose root is this folder",
             "# (the site answers at PUBLIC_BASE_URL, as the signed badges name it).",
             "add_header Access-Control-Allow-Origin * always;",
             "add_header X-Content-Type-Options nosniff always;",
             "index index.html;",
             'set $sky_variant "html";',
             'if ($http_accept ~* "application/(ld\\+)?json") { set $sky_variant "json"; }',
             "location / { try_files $uri $uri/index.$sky_variant $uri/index.html =404; }"]
    for folder, content_type in sorted(by_folder.items()):
        seconds = _cache_seconds(f"/{folder}/")
        lines.append(f"location ~ ^/{folder}/[^/.]+$ {{ default_type {content_type}; "
                     f"add_header Cache-Control \"public, max-age={seconds}\" always; "
                     f"add_header Access-Control-Allow-Origin * always; }}")
    for entry in mixed:
        lines.append(f"location = /{entry['file']} {{ types {{ }} "
                     f"default_type {entry['type']}; }}")
    return "\n".join(lines) + "\n"
