"""The work one input may cost the engine: sizes, depths and counts, refused beyond these.

A public verifier reads what strangers send, so every quantity an attacker chooses is bounded
before anything expensive or recursive runs; going over a limit raises `LimitError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .errors import LimitError
from .messages import N_

MAX_JSON_DEPTH = 64
"""Nesting of JSON arrays and objects. A CLR holding endorsed badges nests about 12 deep;
JSON-LD expansion, schema validation and serialisation all recurse, so deeper input is refused
before any of them runs."""

MAX_INT_DIGITS = 640
"""Digits of a JSON integer. Parsing and printing big integers is quadratic (Python refuses
more than 4,300 digits with a bare ValueError); no credential field needs more than a few."""

MAX_TEXT_BYTES = 4 * 1024 * 1024
"""A baked credential's text after decompression (PNG iTXt) or in an SVG element."""

MAX_PROOFS = 4
"""Data Integrity proofs checked per credential: each costs a JSON-LD canonicalisation and a
key look-up. Real credentials carry one, sometimes two (key rotation, two suites)."""

MAX_NESTED_CREDENTIALS = 24
"""Endorsements and CLR-embedded credentials verified in one verification, all levels
together; the report says how many more were left unverified. A learner record of twenty
badges fits; a credential holding thousands does not hold a worker for minutes."""

MAX_PROOF_CHECKS = 24
"""Data Integrity proof checks in one verification, nested credentials, context editions and
status lists included. Each costs a JSON-LD canonicalisation (0.1–0.3 s on a busy server), so
a verification's signature work stays within seconds whatever the input."""

MAX_CREDENTIAL_NODES = 5_000
"""JSON values (objects, arrays, strings, numbers…) in a document handed to the verifier, nested
credentials included. Canonicalising JSON-LD costs one to a few milliseconds per value, more
than linearly on blank-node-heavy graphs. One of our badges has about 140, so a learner record
of thirty badges fits."""

MAX_CANONICAL_NODES = 8_000
"""JSON values canonicalised in one verification: each proof check spends the size of the
document it hashes, so repeated checks of a big document cannot add up to minutes. A
thirty-badge learner record and its badges fit."""

MAX_IMAGE_PIXELS = 50_000_000
"""Pixels of an uploaded photo (width × height), checked from the header before decoding:
decoding costs 3–4 bytes a pixel, so 50 megapixels (a high-end phone photo) stays near 200 MB."""

MAX_LOGO_PIXELS = 4096 * 4096
"""Pixels of an organisation logo, drawn on every printed card."""


def parse_json(text: str | bytes) -> Any:
    """`json.loads` with MAX_INT_DIGITS and MAX_JSON_DEPTH enforced; raises LimitError, or
    json.JSONDecodeError for malformed text."""
    try:
        value = json.loads(text, parse_int=_bounded_int)
    except RecursionError:
        raise _too_deep() from None
    check_depth(value)
    return value


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise LimitError when `value` nests arrays/objects deeper than `limit` (no recursion)."""
    for depth, level in enumerate(_levels(value), start=1):
        if depth > limit and any(isinstance(item, dict | list) for item in level):
            raise _too_deep(limit)


def count_nodes(value: Any) -> int:
    """The number of JSON values in `value`, itself included (no recursion)."""
    return sum(len(level) for level in _levels(value))


def _levels(value: Any) -> Iterator[list]:
    """The values of `value` one nesting level at a time: list.extend does the walking."""
    level = [value]
    while level:
        yield level
        below: list = []
        for item in level:
            if isinstance(item, dict):
                below.extend(item.values())
            elif isinstance(item, list):
                below.extend(item)
        level = below


def check_credential_size(value: Any) -> int:
    """Raise LimitError when a document for the verifier holds more than MAX_CREDENTIAL_NODES;
    return how many it holds."""
    nodes = count_nodes(value)
    if nodes > MAX_CREDENTIAL_NODES:
        raise LimitError(N_("the document holds more than %(limit)s JSON values",
                            limit=MAX_CREDENTIAL_NODES))
    return nodes


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise LimitError(N_("a JSON number has more than %(limit)s digits",
                            limit=MAX_INT_DIGITS))
    return int(digits)


def _too_deep(limit: int = MAX_JSON_DEPTH) -> LimitError:
    return LimitError(N_("the JSON nests deeper than %(limit)s levels", limit=limit))
