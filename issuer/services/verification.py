"""Real verification of stored and submitted credentials.

`verify_stored` runs the full verifier on the stored signed text, with this instance's own
did:web documents and status lists served in-process from the database: a verification page
makes no HTTP call, yet checks exactly what an outside verifier checks. `verify_any` verifies
anything handed to `/verify`; third-party documents are fetched through `SafeFetcher`.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from cachetools import LRUCache
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from issuer.core.errors import ResolutionError
from issuer.core.messages import N_
from issuer.core.resolver import KeyResolver
from issuer.core.verify import FAILED, Check, VerificationReport, verify_credential
from issuer.core.versions import verify_any_version
from issuer.fetch import SafeFetcher
from issuer.store.models import Credential, Organisation, SigningKey, StatusList

from .base import settings_of
from .keys import did_document, issuer_dids
from .learners import is_redacted
from .publishing import page_state_columns, public_revocation_reason, revocation_label
from .status_lists import signed_status_list
from .urls import site_bases

_DID_DOCUMENT = re.compile(r"^/issuers/([a-z0-9-]+)/did\.json$")
_STATUS_LIST = re.compile(r"^/status/([0-9a-f-]{36})$")

FetchJson = Callable[[str], dict]


def local_fetch_json(db: Session, fallback: FetchJson | None = None) -> FetchJson:
    """A `fetch_json` that answers this instance's DID documents and status lists from `db`.

    Other URLs go to `fallback`, or fail with ResolutionError when there is none. This instance
    is the public site of the settings of `db`.
    """
    bases = [(base, urlsplit(base)) for base in site_bases(db)]

    def fetch_json(url: str) -> dict:
        parts = urlsplit(url)
        # The scheme is ignored: a did:web on an http development host maps to https.
        for base, site in bases:
            if parts.netloc == site.netloc and parts.path.startswith(site.path):
                local = parts.path[len(site.path.rstrip("/")):]
                document = _local_document(db, local, base)
                if document is not None:
                    return document
                raise ResolutionError(f"{url} is not a document this service publishes")
        if fallback is None:
            raise ResolutionError(f"cannot fetch {url}: only this service's documents are read")
        return fallback(url)

    return fetch_json


def _local_document(db: Session, path: str, base: str) -> dict | None:
    if match := _DID_DOCUMENT.match(path):
        org = db.scalar(select(Organisation).where(Organisation.slug == match.group(1)))
        return did_document(db, org, base) if org is not None else None
    if match := _STATUS_LIST.match(path):
        status_list = db.scalar(select(StatusList).where(StatusList.uuid == match.group(1)))
        return signed_status_list(db, status_list, base=base) if status_list else None
    return None


def verify_stored(db: Session, credential: Credential, now: datetime | None = None,
                  email: str | None = None, state: tuple | None = None) -> VerificationReport:
    """Verify a credential this service issued, from its stored signed text, offline.

    A credential redacted by erasure can no longer be verified; its report says it is revoked.
    With `state` (the global part of `verdict_key`, read in the same request), this service's
    status lists are taken from this process's memory when they were read under that very
    state (`_documents`).
    """
    if credential.revoked_at is not None and is_redacted(json.loads(credential.signed_json)):
        return _erased_report(credential)
    fetch_json = local_fetch_json(db)
    if state is not None:
        fetch_json = _status_lists_remembered(state, fetch_json)
    report = verify_credential(credential.signed_json, resolver=KeyResolver(fetch_json),
                               fetch_json=fetch_json, now=now, email=email,
                               trusted_issuers=known_issuers(db))
    return _with_suspension(_with_public_reason(report, credential), credential)


def _with_suspension(report: VerificationReport, credential: Credential) -> VerificationReport:
    """A badge its organisation suspended reads "suspended" here (services.suspension says why
    the signed badge cannot carry it); a revoked or not genuine one keeps that verdict."""
    if credential.suspended_at is None or report.verdict in ("revoked", "invalid"):
        return report
    report.suspended = True
    report.verdict = "suspended"
    report.checks.append(Check("status", FAILED, N_(
        "suspended by its issuer on %(date)s (this service's record; the signed badge cannot "
        "carry a suspension)", date=credential.suspended_at.date().isoformat())))
    return report


def _status_lists_remembered(state: tuple, fetch_json: FetchJson) -> FetchJson:
    """`fetch_json`, with status lists (their URL names a random uuid) kept per state. DID
    documents and the known issuers are read each time: the counts and largest ids of the
    state say when keys or organisations change in one database, not what they are, and a
    database emptied and filled again (a restore, the tests) may repeat them with other keys."""
    remembered = _remembered(state, "fetch", fetch_json)

    def fetch(url: str) -> dict:
        return remembered(url) if _STATUS_LIST.match(urlsplit(url).path[-44:]) else \
            fetch_json(url)

    return fetch


# Status lists as read under one global state (the key set, the organisations, every status
# list's revision: `verdict_key`). A new state is a new key, so nothing read under an older one
# is used again; entries are JSON text, parsed for each use (callers may mutate).
DOCUMENT_CACHE_SIZE = 256
_documents: LRUCache = LRUCache(DOCUMENT_CACHE_SIZE)
_documents_lock = threading.Lock()


def _remembered(state: tuple, kind: str, read: Callable):
    def remembered(argument):
        key = (state, kind, argument)
        with _documents_lock:
            text = _documents.get(key)
        if text is None:
            value = read(argument)
            with _documents_lock:
                _documents[key] = json.dumps(value)
            return value
        return json.loads(text)

    return remembered


# --- the verdict of a page, remembered while nothing it depends on changed ---------------------

# Verdicts kept per process: a report holds the parsed credential, about 26 kB (measured), so
# 1024 of them are about 26 MB; a remembered page (public.PAGE_CACHE_SIZE) needs no verdict.
VERDICT_CACHE_SIZE = 1024
_verdicts: OrderedDict[tuple, VerificationReport] = OrderedDict()
_verdicts_lock = threading.Lock()
# Verifications under way: a page read by many at once (a shared link) is verified once, and
# the other readers wait for it at most VERIFY_WAIT seconds.
_running: dict[tuple, threading.Event] = {}
VERIFY_WAIT = 30


def verify_stored_cached(db: Session, credential: Credential, now: datetime | None = None,
                         key: tuple | None = None) -> VerificationReport:
    """`verify_stored`, answered from this process's memory when nothing it depends on changed.

    The cache key is read from the database on every call (one small statement): the credential
    (its stored bytes and revocation columns), every signing key (a new version, a withdrawal),
    every organisation (the known issuers) and every status list's revision (a revocation
    anywhere, endorsements included), and which side of validFrom / validUntil `now` is. Another
    worker's revocation or key withdrawal therefore changes the key of the very next view in
    every worker: no verdict outlives what it was made from. Treat the report as read-only.
    `key` is `verdict_key(db, credential, now)` when the caller already read it.
    """
    now = now or datetime.now(UTC)
    key = key or verdict_key(db, credential, now)
    with _verdicts_lock:
        report = _verdicts.get(key)
        if report is not None:
            _verdicts.move_to_end(key)
            return report
        running = _running.get(key)
        if running is None:
            mine = _running[key] = threading.Event()
    if running is not None:  # another thread verifies this very badge: its answer is ours
        running.wait(VERIFY_WAIT)
        with _verdicts_lock:
            report = _verdicts.get(key)
        return report if report is not None else verify_stored(db, credential, now)
    try:
        report = verify_stored(db, credential, now, state=key[:3])
        with _verdicts_lock:
            _verdicts[key] = report
            while len(_verdicts) > VERDICT_CACHE_SIZE:
                _verdicts.popitem(last=False)
        return report
    finally:
        with _verdicts_lock:
            del _running[key]
        mine.set()


def verdict_state_columns() -> list:
    """The global part of `verdict_key` (keys, organisations, status-list revisions), as
    columns to select."""
    keys, withdrawn = func.count(SigningKey.id), func.count(SigningKey.withdrawn_at)
    return [
        select(keys).scalar_subquery(), select(func.max(SigningKey.id)).scalar_subquery(),
        select(withdrawn).scalar_subquery(),
        select(func.max(SigningKey.withdrawn_at)).scalar_subquery(),
        select(func.count(Organisation.id)).scalar_subquery(),
        select(func.max(Organisation.id)).scalar_subquery(),
        select(func.count(StatusList.id)).scalar_subquery(),
        select(func.coalesce(func.sum(StatusList.revision), 0)).scalar_subquery(),
    ]


@lru_cache(maxsize=1)
def _state_statement():
    return select(*verdict_state_columns())


@dataclass(frozen=True)
class PageRead:
    """A badge page's credential (its learner with it) and the state of what its verdict
    (`verdict_state`) and page (`page_state`, `publishing.page_key`) depend on."""

    credential: Credential
    verdict_state: tuple
    page_state: tuple


def read_page(db: Session, short_id: str) -> PageRead | None:
    """The credential at /v/<short_id> and every freshness value of its page, in one
    statement: a view served from the caches costs one round trip to the database."""
    row = db.execute(_page_statement(), {"short_id": short_id}).first()
    if row is None:
        return None
    values = tuple(row)
    cut = 1 + _VERDICT_COLUMNS
    return PageRead(values[0], values[1:cut], values[cut:])


_VERDICT_COLUMNS = 8  # len(verdict_state_columns())


@lru_cache(maxsize=1)
def _page_statement():
    """Built once: composing eleven sub-selects cost more than running them."""
    columns = verdict_state_columns()
    assert len(columns) == _VERDICT_COLUMNS
    return (select(Credential, *columns, *page_state_columns())
            .options(joinedload(Credential.learner))
            .where(Credential.short_id == bindparam("short_id")))


def verdict_key(db: Session, credential: Credential, now: datetime,
                state: tuple | None = None) -> tuple:
    """Everything a stored credential's verdict depends on at `now` (see verify_stored_cached).
    `state` is the row of `verdict_state_columns` when the caller already read it."""
    if state is None:
        state = db.execute(_state_statement()).one()
    phase = (now < credential.valid_from,
             credential.valid_until is not None and credential.valid_until < now)
    return (db.get_bind().url.render_as_string(), tuple(site_bases(db)), tuple(state), phase,
            credential.uuid, hash(credential.signed_json), credential.revoked_at,
            credential.revocation_reason, credential.revocation_reason_code,
            credential.revocation_reason_public, credential.suspended_at)


def known_issuers(db: Session) -> list[str]:
    """The issuer ids of this service's organisations: the only ones a page calls known.

    Anyone can sign a badge and call their issuer "CEC"; what the service vouches for is the
    did:web it controls, so only these ids get the plain "valid" on a page.
    """
    return [did for org in db.scalars(select(Organisation)) for did in issuer_dids(org)]


def _with_public_reason(report: VerificationReport, credential: Credential
                        ) -> VerificationReport:
    """The status check of a revoked credential says why: the listed reason, and the free text
    when it is public."""
    reason = _reason_in_words(credential)
    if reason is None or not report.revoked:
        return report
    report.checks = [replace(check, message=f"{check.message}: {reason}")
                     if check.name == "status" and check.status == FAILED else check
                     for check in report.checks]
    return report


def _reason_in_words(credential: Credential) -> str | None:
    label = revocation_label(credential)
    parts = [str(label) if label else None, public_revocation_reason(credential)]
    return " — ".join(part for part in parts if part) or None


def _erased_report(credential: Credential) -> VerificationReport:
    document = json.loads(credential.signed_json)
    issuer = document.get("issuer") or {}
    reason = _reason_in_words(credential)
    return VerificationReport(
        verdict="revoked",
        checks=[Check("status", FAILED, f"revoked: {reason}" if reason else "revoked")],
        credential=document,
        issuer_id=issuer.get("id"),
        issuer_name=issuer.get("name"),
        revoked=True,
        warnings=["the learner's personal data was erased; only the learner holds the signed "
                  "credential"],
    )


def verify_any(source: dict | str | bytes, now: datetime | None = None,
               db: Session | None = None, email: str | None = None,
               subject_id: str | None = None) -> VerificationReport:
    """Verify a credential from anywhere (JSON, JWT, baked PNG/SVG, an https URL) for `/verify`:
    an Open Badges 3.0 credential or a 2.0 assertion (hosted or signed).

    Third-party keys and status lists are fetched safely (https only, public addresses, size and
    time limits); with `db`, this service's own documents are read in-process, and its settings
    say whether http loopback is allowed (never without `db`).
    """
    loopback = db is not None and settings_of(db).allow_http_loopback
    fetcher = SafeFetcher(allow_http_loopback=loopback)
    fetch_json = (local_fetch_json(db, fetcher.fetch_json) if db is not None
                  else fetcher.fetch_json)
    resolver = KeyResolver(fetch_json, allow_http_loopback=loopback)
    return verify_any_version(source, resolver=resolver, fetch_json=fetch_json, now=now,
                              email=email, subject_id=subject_id,
                              trusted_issuers=known_issuers(db) if db is not None else None)
