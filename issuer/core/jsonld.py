"""JSON-LD for signing: a closed-world context loader, safe-mode expansion and RDFC-1.0.

Contexts come only from the package's own `contexts/` folder, then from the hash-pinned contexts
registered through `extra_contexts`. Any other URL is an error, never a network fetch: an unknown
context is how signatures silently break.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError, LRUCache

from . import rdfc
from .errors import ContextError, SafeModeError
from .extra_contexts import lookup as lookup_extra

DocumentLoader = Callable[[str, Any], dict]

# The 3.0.3 OB context is edited in place by 1EdTech; these are the known editions.
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT_3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_CONTEXT_2_0_1 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CONTEXT_VARIANTS: dict[str, dict[str, str]] = {
    "validator-2024-02": {
        OB_CONTEXT_3_0_3: "variants/ob-v3p0-context-3.0.3.validator-2024-02.json",
        CLR_CONTEXT_2_0_1: "variants/clr-v2p0-context-2.0.1.validator-2024-02.json",
    },
    "spec-repo-2025-04": {
        OB_CONTEXT_3_0_3: "variants/ob-v3p0-context-3.0.3.spec-repo-2025-04.json"
    },
    "validator-2026-06": {
        OB_CONTEXT_3_0_3: "variants/ob-v3p0-context-3.0.3.validator-2026-06.json"
    },
}


def _contexts_dir():
    return resources.files(__package__).joinpath("contexts")


@cache
def context_index() -> dict[str, dict[str, str]]:
    """The bundled URL → {file, sha256} map."""
    return json.loads(_contexts_dir().joinpath("index.json").read_text("utf-8"))


@cache
def _context_bytes(filename: str) -> bytes:
    return _contexts_dir().joinpath(filename).read_bytes()


def context_sha256(url: str) -> str:
    """The sha256 of the bundled bytes of a context URL, to compare with the index."""
    return hashlib.sha256(_context_bytes(context_index()[url]["file"])).hexdigest()


@cache
def _parsed_context(filename: str) -> dict:
    return json.loads(_context_bytes(filename).decode("utf-8"))


def make_loader(variant: str | None = None) -> DocumentLoader:
    """A closed-world pyld document loader; `variant` swaps in an older edition of a context."""
    overrides = CONTEXT_VARIANTS[variant] if variant else {}

    def load(url: str, options: Any = None) -> dict:
        filename = overrides.get(url) or context_index().get(url, {}).get("file")
        # pyld may annotate what it receives, so hand out a copy of the cached parse.
        document = copy.deepcopy(_parsed_context(filename) if filename else lookup_extra(url))
        if document is None:
            raise ContextError(f"unknown JSON-LD context {url!r}: only bundled and registered "
                               "contexts are loaded (see issuer.core.extra_contexts)")
        return {"contextUrl": None, "documentUrl": url, "document": document}

    load.variant = variant  # type: ignore[attr-defined]
    return load


_thread_caches = threading.local()


def _resolver_cache(variant: str | None):
    """pyld's cache of resolved contexts, one per edition and per thread.

    Resolved contexts carry LRU caches that pyld mutates without a lock: shared between threads
    (a threaded web worker, parallel issuance) they break with "OrderedDict mutated during
    iteration".
    """
    caches = getattr(_thread_caches, "by_variant", None)
    if caches is None:
        caches = _thread_caches.by_variant = {}
    if variant not in caches:
        caches[variant] = LRUCache(maxsize=100)
    return caches[variant]


def default_loader() -> DocumentLoader:
    return _default_loader


_default_loader = make_loader()


def _options(loader: DocumentLoader) -> dict:
    variant = getattr(loader, "variant", None)
    return {
        "documentLoader": loader,
        "contextResolver": ContextResolver(_resolver_cache(variant), loader),
        "processingMode": "json-ld-1.1",
    }


def check_safe_mode(document: dict, loader: DocumentLoader | None = None) -> rdfc.Walk | None:
    """Raise SafeModeError as `expand_safely` does, at a fraction of its cost when the fast
    path (issuer.core.rdfc) handles the document.

    Returns the fast path's walk of the document when it took it (None when pyld decided): its
    quads give the canonical form of the document, with or without its proof, with no second walk.
    """
    loader = loader or _default_loader
    walked = rdfc.walk(document, _options(loader))
    if walked is None:
        expand_safely(document, loader)
    return walked


def expand_safely(document: dict, loader: DocumentLoader | None = None) -> list:
    """Expand `document`; raise SafeModeError naming the first term expansion would drop.

    pyld has no safe mode, so dropped properties are caught through its expansion hook and
    relative `@type`/`@id` values by walking the result.
    """
    loader = loader or _default_loader
    dropped: list[str | None] = []
    try:
        # base None: pyld would otherwise resolve an undefined type against its placeholder
        # base http://example.org/base/, hiding it from the relative-IRI check below.
        options = {**_options(loader), "base": None}
        expanded = jsonld.expand(document, options, on_property_dropped=dropped.append)
    except JsonLdError as error:
        raise _context_error(error) from None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        # pyld lets some malformed contexts ("@context": "text", {"@vocab": null}) escape raw.
        reason = f"{error!r:.200}"
        raise ContextError(f"JSON-LD processing failed: malformed @context ({reason})") from None
    if dropped:
        term = dropped[0]
        raise SafeModeError(
            f"JSON-LD safe mode: the term {term!r} is not defined by any context in @context "
            "and would be dropped from the signed data",
            term=term,
        )
    for key, value in _walk_iris(expanded):
        if not _is_absolute(value):
            kind = "type" if key == "@type" else "identifier"
            raise SafeModeError(
                f"JSON-LD safe mode: relative {kind} {value!r} is not an absolute IRI "
                "(is the term missing from the contexts?)",
                term=value,
            )
    return expanded


def canonize(document: dict | list, loader: DocumentLoader | None = None, expanded=False) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a document, after the safe-mode check.

    The fast path (issuer.core.rdfc) answers for the documents it handles; pyld, for the rest.
    """
    if not expanded:
        loader = loader or _default_loader
        fast = rdfc.canonical_nquads(document, _options(loader))
        if fast is not None:
            return fast
    return canonize_with_pyld(document, loader, expanded)


def canonize_with_pyld(document: dict | list, loader: DocumentLoader | None = None,
                       expanded=False) -> str:
    """`canonize` by the full algorithm only: the reference the fast path is tested against."""
    if not expanded:
        document = expand_safely(document, loader)
    try:
        return jsonld.normalize(
            document, {"algorithm": "URDNA2015", "format": "application/n-quads"}
        )
    except JsonLdError as error:
        raise _context_error(error) from None


def _context_error(error: JsonLdError) -> Exception:
    """Surface our own ContextError from pyld's wrapping; otherwise a short readable message."""
    seen, cause = set(), error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ContextError):
            return cause
        details = getattr(cause, "details", None)
        nested = details.get("cause") if isinstance(details, dict) else None
        cause = nested or cause.__cause__ or cause.__context__
    code = getattr(error, "code", None) or getattr(error, "type", "")
    return ContextError(
        f"JSON-LD processing failed ({code}): {error.args[0] if error.args else ''}"
    )


def _walk_iris(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_iris(item)
    elif isinstance(node, dict):
        if "@value" in node:
            return
        for key, value in node.items():
            if key == "@type":
                for type_ in value if isinstance(value, list) else [value]:
                    yield key, type_
            elif key == "@id":
                yield key, value
            else:
                yield from _walk_iris(value)


def _is_absolute(iri: str) -> bool:
    if iri.startswith("_:"):
        return True
    scheme, colon, rest = iri.partition(":")
    return (
        bool(colon)
        and scheme[:1].isalpha()
        and all(c.isalnum() or c in "+-." for c in scheme)
        and not any(c.isspace() for c in rest)
    )
