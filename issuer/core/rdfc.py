"""The fast path to RDFC-1.0 canonical N-Quads for the documents the engine signs and verifies.

pyld expands, converts to RDF and canonicalises in pure Python, processing the Open Badges
contexts again for every document; that is ~95 % of a signature. This path walks the compacted
document once and writes its quads directly, with active contexts that pyld processed once and
that are kept (the contexts are a closed, bundled set), then canonicalises with Oxigraph's
RDFC-1.0 (Rust).

It follows pyld's expansion step for step, for the part of JSON-LD credentials use: node objects,
`@id`/`@type` and their aliases, type- and property-scoped contexts, `@set` arrays, `@graph`
containers (proofs), literals typed by the context, IRIs coerced by `@id`/`@vocab`. Anything
else (a term that would be dropped, a relative IRI, `@list`, `@reverse`, language and index
maps, inline contexts and value objects, blank node identifiers, control characters, nulls...)
makes `canonical_nquads` return None: the caller then runs the full pyld algorithm, which
handles it or reports the error. Differential tests hold the two paths to the same output
(tests/core/test_rdfc.py).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

import pyoxigraph
from pyld.jsonld import KEYWORDS as PYLD_KEYWORDS
from pyld.jsonld import JsonLdError, JsonLdProcessor

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")  # pyld's test, verbatim
_KEYWORD_FORM = re.compile(r"^@[a-zA-Z]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DOUBLE_EXPONENT = re.compile(r"(\d)0*E\+?(-)?0*(\d)")
_CACHED_CONTEXTS = 512
KEYWORDS = frozenset(PYLD_KEYWORDS)


class _Unsupported(Exception):
    """The document uses something this path does not handle: run the full algorithm."""


def canonical_nquads(document: dict, options: dict) -> str | None:
    """RDFC-1.0 N-Quads of `document`, or None when the full algorithm must decide.

    `options` are pyld's context-processing options for the document's edition of the contexts
    (its loader and resolver). A result is also proof that safe-mode expansion passes.
    """
    nquads = dataset_nquads(document, options)
    if nquads is None:
        return None
    try:
        dataset = pyoxigraph.Dataset(
            pyoxigraph.parse(nquads.encode("utf-8"), format=pyoxigraph.RdfFormat.N_QUADS)
        )
    except (SyntaxError, UnicodeEncodeError):
        return None  # an IRI or text pyld would write as is: let it
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0)
    text = pyoxigraph.serialize(dataset, format=pyoxigraph.RdfFormat.N_QUADS).decode("utf-8")
    # Sorted as pyld sorts; split at "\n" only, as text may hold U+2028 and other line breaks.
    return "".join(sorted(line + "\n" for line in text.split("\n")[:-1]))


def dataset_nquads(document: dict, options: dict) -> str | None:
    """The quads of `document` as N-Quads, not canonical; None when the full algorithm must
    decide (a result is proof that safe-mode expansion passes)."""
    try:
        writer = _QuadWriter(options)
        writer.node(writer.top_context(document), None, document)
    except (_Unsupported, JsonLdError, ValueError):
        # ValueError: pyld's IRI resolver on a context that is not an IRI ("a string"); the
        # full algorithm turns it into the named error the callers expect.
        return None
    return "".join(writer.quads)


class _QuadWriter:
    """One document's walk: blank node labels and the quads written so far."""

    def __init__(self, options: dict):
        self.options = options
        self.cache = _context_cache(options)
        self.quads: list[str] = []
        self.blank_nodes = 0
        self.graph = " "  # the current graph's name between subject-object and ".": default

    def blank_node(self) -> str:
        self.blank_nodes += 1
        return f"_:b{self.blank_nodes}"

    def top_context(self, document: dict) -> dict:
        urls = document.get("@context")
        urls = urls if isinstance(urls, list) else [urls]
        if not urls or not all(isinstance(url, str) for url in urls):
            raise _Unsupported("inline context")
        key = ("top", tuple(urls))
        return self.cache.get(key) or self.cache.put(key, self._process(_initial(), urls))

    def scoped(self, active: dict, local: Any, propagate: bool) -> dict:
        """`active` with a scoped context applied; the cache holds both, so ids stay valid."""
        key = (id(active), id(local), propagate)
        hit = self.cache.get(key)
        if hit is not None:
            return hit[0]
        result = self._process(active, local, propagate=propagate, override_protected=propagate)
        self.cache.put(key, (result, active, local))
        return result

    def _process(self, active: dict, local: Any, **flags) -> dict:
        return JsonLdProcessor()._process_context(active, local, self.options, **flags)

    def node(self, active: dict, active_property: str | None, element: dict) -> str:
        """Write the quads of a node object; return its N-Quads term."""
        if "@context" in element and active_property is not None:
            raise _Unsupported("embedded context")
        if active_property is not None:
            active = self._enter(active, active_property, element)
        type_key, types, active = self._types(active, element)
        subject = None
        properties = []
        for key in sorted(element):
            if key == "@context" or key == type_key:
                continue
            expanded = _expand_iri(active, key, vocab=True)
            if expanded == "@id":
                if subject is not None or not isinstance(element[key], str):
                    raise _Unsupported("@id")
                subject = _iri_term(_expand_iri(active, element[key], vocab=False))
            elif (
                expanded is None
                or expanded.startswith(("@", "_:"))
                or not _ABSOLUTE_IRI.match(expanded)
            ):
                raise _Unsupported(f"keyword or dropped term {key!r}")
            else:
                properties.append((key, expanded))
        subject = subject or self.blank_node()
        graph = self.graph
        for type_ in types:
            self.quads.append(f"{subject} <{RDF_TYPE}> {type_}{graph}.\n")
        for key, predicate in properties:
            for value in self._values(active, key, element[key]):
                self.quads.append(f"{subject} <{predicate}> {value}{graph}.\n")
        return subject

    def graph_node(self, active: dict, key: str, element: dict) -> str:
        """A node in a `@graph` container (a proof): its own graph, named by a blank node."""
        outer, name = self.graph, self.blank_node()
        self.graph = f" {name} "
        self.node(active, key, element)
        self.graph = outer
        return name

    def _enter(self, active: dict, active_property: str, element: dict) -> dict:
        """pyld's context switch on entering a nested node: revert, then property scope."""
        property_scoped = _mapping(active, active_property).get("@context")
        previous = active.get("previousContext")
        if previous is not None and not (len(element) == 1 and _only_id(active, element)):
            active = previous
        if property_scoped is not None:
            active = self.scoped(active, property_scoped, True)
        return active

    def _types(self, active: dict, element: dict) -> tuple[str | None, list[str], dict]:
        """The node's `@type` key, its expanded types and the context they scope."""
        type_scoped = active
        type_key, types = None, []
        for key in sorted(element):
            if _expand_iri(active, key, vocab=True) != "@type":
                continue
            if type_key is not None:
                raise _Unsupported("two @type keys")
            type_key = key
            value = element[key]
            types = value if isinstance(value, list) else [value]
            if not all(isinstance(t, str) for t in types):
                raise _Unsupported("@type value")
            for type_ in sorted(types):
                local = _mapping(type_scoped, type_).get("@context")
                if local is not None and local is not False:
                    active = self.scoped(active, local, False)
        expanded = [_iri_term(_expand_iri(type_scoped, t, vocab=True)) for t in types]
        return type_key, expanded, active

    def _values(self, active: dict, key: str, value: Any) -> list[str]:
        """The N-Quads object terms of one property's value."""
        mapping = _mapping(active, key)
        container = mapping.get("@container") or []
        in_graph = "@graph" in container
        if (
            any(c not in ("@set", "@graph") for c in container)
            or mapping.get("reverse")
            or mapping.get("@type") == "@json"
        ):
            raise _Unsupported(f"container or reverse or @json on {key!r}")
        term_active = active
        if "@context" in mapping:
            term_active = self.scoped(active, mapping["@context"], True)
        items = value if isinstance(value, list) else [value]
        terms = []
        for item in items:
            if isinstance(item, dict) and item and in_graph:
                terms.append(self.graph_node(term_active, key, item))
            elif isinstance(item, dict) and item:
                terms.append(self.node(term_active, key, item))
            elif isinstance(item, dict | list) or item is None:
                raise _Unsupported("nested array, empty object or null")
            elif in_graph:
                raise _Unsupported("a scalar in a @graph container")
            else:
                terms.append(_literal(term_active, key, item))
        return terms


def _only_id(active: dict, element: dict) -> bool:
    (key,) = element
    return _expand_iri(active, key, vocab=True) == "@id"


def _literal(active: dict, key: str, value: Any) -> str:
    """pyld's value expansion and RDF conversion of a scalar, as one N-Quads term."""
    mapping = _mapping(active, key)
    type_ = mapping.get("@type")
    if isinstance(value, str) and type_ in ("@id", "@vocab"):
        return _iri_term(_expand_iri(active, value, vocab=type_ == "@vocab"))
    if type_ in (None, "@id", "@vocab", "@none"):
        type_ = None
        if isinstance(value, str) and (
            _language_or_direction(active, mapping, "@language") is not None
            or _language_or_direction(active, mapping, "@direction") is not None
        ):
            raise _Unsupported("language-tagged string")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # as pyld and JavaScript: 5.0 is the integer 5
    if isinstance(value, bool):
        lexical, default = ("true" if value else "false"), XSD + "boolean"
    elif isinstance(value, float):
        lexical, default = _canonical_double(value), XSD + "double"
    elif isinstance(value, int):
        if abs(value) >= 10**21:
            raise _Unsupported("big integer")
        lexical, default = str(value), XSD + "integer"
    elif isinstance(value, str):
        if type_ == XSD + "double" or _CONTROL.search(value):
            raise _Unsupported("string pyld rewrites or escapes differently")
        lexical, default = value, XSD_STRING
    else:
        raise _Unsupported("not a JSON scalar")
    datatype = type_ or default
    if not _ABSOLUTE_IRI.match(datatype) or datatype.startswith("_:"):
        raise _Unsupported("datatype")
    literal = '"' + lexical.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return literal if datatype == XSD_STRING else f"{literal}^^<{datatype}>"


def _language_or_direction(active: dict, mapping: dict, keyword: str) -> Any:
    return mapping[keyword] if keyword in mapping else active.get(keyword)


def _canonical_double(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise _Unsupported("not a finite number")
    return _DOUBLE_EXPONENT.sub(r"\1E\2\3", f"{value:1.15E}")


def _mapping(active: dict, term: str) -> dict:
    mapping = active["mappings"].get(term)
    return mapping if mapping is not None else {}


def _expand_iri(active: dict, value: str, vocab: bool) -> str | None:
    """pyld's IRI expansion, less the document base: a relative IRI stays relative."""
    if value in KEYWORDS:
        return value
    if value.startswith("@") and _KEYWORD_FORM.match(value):
        raise _Unsupported("keyword")
    mappings = active["mappings"]
    if vocab and value in mappings:
        mapping = mappings[value]
        return None if mapping is None else mapping["@id"]
    prefix, colon, suffix = value.partition(":")
    if colon and prefix:
        if prefix == "_" or suffix.startswith("//"):
            return value
        mapping = mappings.get(prefix)
        if mapping and mapping["_prefix"]:
            return mapping["@id"] + suffix
        if _ABSOLUTE_IRI.match(value):
            return value
    if vocab and "@vocab" in active:
        return active["@vocab"] + value
    return value


def _iri_term(iri: str | None) -> str:
    if iri is None or iri.startswith(("@", "_:")) or not _ABSOLUTE_IRI.match(iri):
        raise _Unsupported("relative IRI, keyword or blank node identifier")
    return f"<{iri}>"


def _initial() -> dict:
    return JsonLdProcessor()._get_initial_context({"processingMode": "json-ld-1.1"})


class _LRU:
    """Processed contexts by key, the least recently used dropped beyond a bound."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self.entries: OrderedDict = OrderedDict()

    def get(self, key):
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key, value):
        self.entries[key] = value
        if len(self.entries) > self.maxsize:
            self.entries.popitem(last=False)
        return value


_thread_caches = threading.local()


def _context_cache(options: dict) -> _LRU:
    """One cache per thread and loader: pyld's context processing is not thread-safe."""
    caches = getattr(_thread_caches, "by_loader", None)
    if caches is None:
        caches = _thread_caches.by_loader = {}
    loader = options["documentLoader"]
    if id(loader) not in caches:
        caches[id(loader)] = (_LRU(_CACHED_CONTEXTS), loader)
    return caches[id(loader)][0]
