"""One door for a verifier handed anything: an Open Badges 3.0 credential or a 2.0 assertion.

`verify_any_version` looks at what it was given (JSON, a JWS, a baked PNG/SVG, an https URL)
and runs the OB 3.0 checklist (`verify.verify_credential`) or the OB 2.0 one (`ob2`); the
report's `standard` says which was checked. An URL is fetched once through the injected
`fetch_json`: an OB 2.0 assertion there is verified as hosted, anything else as a credential.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from . import baking, limits, ob2
from .errors import BadgeError
from .resolver import KeyResolver
from .verify import FetchJson, verify_credential
from .verify_helpers import _describe
from .verify_report import FAILED, Check, VerificationReport


def verify_any_version(source: Any, *, resolver: KeyResolver, fetch_json: FetchJson,
                       now: datetime | None = None, email: str | None = None,
                       subject_id: str | None = None,
                       trusted_issuers: Iterable[str] | None = None) -> VerificationReport:
    """Verify an OB 3.0 credential or an OB 2.0 assertion; never raises for bad input.

    `subject_id` asks the OB 3.0 recipient check (an OB 2.0 recipient is an e-mail)."""
    if isinstance(source, (bytes, bytearray)) and baking.is_ob2_image(bytes(source)):
        try:
            source = ob2.BakedAssertion(baking.extract_ob2(bytes(source)))
        except BadgeError as error:
            return VerificationReport(checks=[Check("parse", FAILED, _describe(error))],
                                      standard=ob2.STANDARD)
    if isinstance(source, (bytes, bytearray)):
        source = _text_if_ob2(bytes(source))
    if ob2.is_assertion_url(source):
        url = source.strip()
        try:
            document = fetch_json(url)
        except BadgeError:
            document = None  # the OB 2.0 run fetches again and says why (410 Gone: revoked)
        if isinstance(document, dict) and not ob2.is_ob2(document):
            source = document
        else:
            if isinstance(document, dict):
                fetch_json = _answering(fetch_json, url, document)
            source = url
    if ob2.is_ob2(source) or (isinstance(source, str) and ob2.is_assertion_url(source)):
        return ob2.verify_assertion(source, fetch_json=fetch_json, now=now, email=email,
                                    trusted_issuers=trusted_issuers)
    return verify_credential(source, resolver=resolver, fetch_json=fetch_json, now=now,
                             email=email, subject_id=subject_id,
                             trusted_issuers=trusted_issuers)


def _text_if_ob2(data: bytes) -> bytes | str | dict:
    """A file's bytes as the OB 2.0 assertion (JWS text, JSON, URL) they hold; else unchanged."""
    if data.startswith(baking.PNG_SIGNATURE) or len(data) > limits.MAX_TEXT_BYTES:
        return data
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        return data
    if ob2.is_ob2(text) or ob2.is_assertion_url(text):
        return text
    if text.startswith("{"):
        try:
            document = limits.parse_json(text)
        except ValueError:
            return data
        if ob2.is_ob2(document):
            return document
    return data


def _answering(fetch_json: FetchJson, url: str, document: dict) -> FetchJson:
    """`fetch_json` that answers `url` with the document already fetched (one fetch, not two)."""

    def fetch(wanted: str) -> dict:
        return document if wanted == url else fetch_json(wanted)

    return fetch
