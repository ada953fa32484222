"""The fast path to RDFC-1.0 canonical N-Quads for the documents the engine signs and verifies.

pyld expands, converts to RDF and canonicalises in pure Python, processing the Open Badges
contexts again for every document; that is ~95 % of a signature. This path walks the compacted
document once and writes its quads directly, with active contexts that pyld processed once and
that are kept (the contexts are a closed, bundled set), then labels its blank nodes as RDFC-1.0
does. A credential is a tree whose blank nodes nearly always differ in their first-degree hashes
(RDFC-1.0 §4.6), which settle the labels at once; when two do not, Oxigraph's RDFC-1.0 (Rust)
runs the whole algorithm.

It follows pyld's expansion step for step, for the part of JSON-LD credentials use: node objects,
`@id`/`@type` and their aliases, type- and property-scoped contexts, `@set` arrays, `@graph`
containers (proofs), literals typed by the context, IRIs coerced by `@id`/`@vocab`. Anything
else (a term that would be dropped, a relative IRI, `@list`, `@reverse`, language and index
maps, inline contexts and value objects, blank node identifiers, control characters, nulls...)
makes `walk` return None: the caller then runs the full pyld algorithm, which handles it or
reports the error. Differential tests hold the two paths to the same output
(tests/core/test_rdfc.py).

What a walk learns about a term in an active context (its IRI, container, scoped context,
literal type) is kept as a plan beside that context, so a term met again costs a dict look-up.
"""

from __future__ import annotations

import hashlib
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
XSD_DOUBLE = XSD + "double"
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")  # pyld's test, verbatim
_KEYWORD_FORM = re.compile(r"^@[a-zA-Z]+$")
# Control characters in a string: pyld decides, except the line breaks of every multi-line
# criteria narrative, which canonical N-Quads escape as "\n" and "\r" (as the fast path does).
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
_DOUBLE_EXPONENT = re.compile(r"(\d)0*E\+?(-)?0*(\d)")
_CACHED_CONTEXTS = 512
_REMEMBERED_PLANS = 8192
KEYWORDS = frozenset(PYLD_KEYWORDS)
_RDF_TYPE_TERM = f"<{RDF_TYPE}>"
_UNPLANNED = object()


class _Unsupported(Exception):
    """The document uses something this path does not handle: run the full algorithm."""


class Walk:
    """The quads of one document, and where each of its top-level properties wrote its own.

    A document's canonical form less one top-level property (a credential less its `proof`)
    comes from the same walk: JSON-LD expands each property of a node on its own, and the
    canonical form does not depend on how blank nodes were numbered.
    """

    def __init__(self, document: dict, loader: Any, quads: list[tuple], spans: dict):
        self.document = document
        self.loader = loader
        self.quads = quads  # (subject, predicate, object, graph) N-Quads terms; graph "" default
        self.spans = spans  # top-level key → (first quad, end quad)
        self._canonical: dict[str | None, str | None] = {}

    def canonical(self, without: str | None = None) -> str | None:
        """RDFC-1.0 N-Quads of the document, less the top-level property `without`; None when
        the full algorithm must decide (text or IRIs Oxigraph will not read)."""
        if without not in self._canonical:
            quads = self.quads
            if without in self.spans:
                first, end = self.spans[without]
                quads = quads[:first] + quads[end:]
            self._canonical[without] = _canonicalize(list(dict.fromkeys(quads)))
        return self._canonical[without]


def _canonicalize(quads: list[tuple]) -> str | None:
    """RDFC-1.0 N-Quads of a set of quads, sorted as pyld sorts them."""
    try:
        labels = _first_degree_labels(quads)
    except UnicodeEncodeError:
        return None  # a lone surrogate: pyld decides
    if labels is not None:
        get = labels.get
        return "".join(sorted([_line(get(s, s), p, get(o, o), get(g, g)) for s, p, o, g in quads]))
    try:
        dataset = pyoxigraph.Dataset(pyoxigraph.parse(
            "".join(_line(*quad) for quad in quads).encode("utf-8"),
            format=pyoxigraph.RdfFormat.N_QUADS))
    except (SyntaxError, UnicodeEncodeError):
        return None  # an IRI or text pyld would write as is: let it
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0)
    text = pyoxigraph.serialize(dataset, format=pyoxigraph.RdfFormat.N_QUADS).decode("utf-8")
    # Split at "\n" only, as text may hold U+2028 and other line breaks.
    return "".join(sorted(line + "\n" for line in text.split("\n")[:-1]))


def _first_degree_labels(quads: list[tuple]) -> dict[str, str] | None:
    """Canonical labels of the blank nodes when their first-degree hashes all differ
    (RDFC-1.0 §4.4 steps 3–5; §4.6); None when two are equal and the n-degree hashes decide."""
    mentions: dict[str, list[tuple]] = {}
    for quad in quads:
        subject, _, object_, graph = quad
        for term in (subject, object_, graph):
            if term[:2] == "_:":
                listed = mentions.get(term)
                if listed is None:
                    mentions[term] = [quad]
                elif listed[-1] is not quad:
                    listed.append(quad)
    if len(mentions) < 2:  # nothing to order: a lone blank node is _:c14n0
        return {node: "_:c14n0" for node in mentions}
    by_hash = {}
    for node, listed in mentions.items():
        lines = []
        for subject, predicate, object_, graph in listed:
            if subject[:2] == "_:":
                subject = "_:a" if subject == node else "_:z"
            if object_[:2] == "_:":
                object_ = "_:a" if object_ == node else "_:z"
            if graph[:2] == "_:":
                graph = "_:a" if graph == node else "_:z"
            lines.append(_line(subject, predicate, object_, graph))
        lines.sort()
        digest = hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
        if digest in by_hash:
            return None
        by_hash[digest] = node
    return {by_hash[digest]: f"_:c14n{n}" for n, digest in enumerate(sorted(by_hash))}


def _line(subject: str, predicate: str, object_: str, graph: str) -> str:
    if graph:
        return f"{subject} {predicate} {object_} {graph} .\n"
    return f"{subject} {predicate} {object_} .\n"


def walk(document: dict, options: dict) -> Walk | None:
    """The quads of `document`, not canonical; None when the full algorithm must decide.

    `options` are pyld's context-processing options for the document's edition of the contexts
    (its loader and resolver). A result is also proof that safe-mode expansion passes.
    """
    try:
        writer = _QuadWriter(options)
        writer.node(writer.top_context(document), None, document)
    except (_Unsupported, JsonLdError, ValueError, KeyError, TypeError, AttributeError):
        # Malformed contexts ("a string", {"@vocab": null}) make pyld raise raw errors: the
        # full algorithm turns them into the named error the callers expect.
        return None
    return Walk(document, options["documentLoader"], writer.quads, writer.spans)


def canonical_nquads(document: dict, options: dict) -> str | None:
    """RDFC-1.0 N-Quads of `document`, or None when the full algorithm must decide."""
    walked = walk(document, options)
    return None if walked is None else walked.canonical()


class _Plan:
    """What one term means in one active context, for the values of a node's property."""

    __slots__ = ("predicate", "in_graph", "active", "coerce", "datatype", "string_suffix")

    def __init__(self, predicate, in_graph, active, coerce, datatype, tagged):
        self.predicate = predicate  # the property's IRI, as an N-Quads term
        self.in_graph = in_graph  # a @graph container: each node is a named graph
        self.active = active  # the context its values expand in (property-scoped)
        self.coerce = coerce  # "@id" / "@vocab": strings are IRIs
        self.datatype = datatype  # the literal type the context gives, or None
        # What follows a string literal's closing quote; None: pyld must write it (a language
        # or direction applies, or it would rewrite an xsd:double string).
        self.string_suffix = None
        if not tagged and datatype != XSD_DOUBLE:
            try:
                self.string_suffix = _typed("", datatype or XSD_STRING)
            except _Unsupported:
                pass


class _QuadWriter:
    """One document's walk: blank node labels and the quads written so far."""

    def __init__(self, options: dict):
        self.options = options
        self.cache = _context_cache(options)
        self.quads: list[tuple[str, str, str, str]] = []
        self.spans: dict[str, tuple[int, int]] = {}
        self.blank_nodes = 0
        self.graph = ""  # the current graph's name: the default graph

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

    def term(self, active: dict, key: str) -> str | None:
        """A key or type expanded in `active`, remembered: a few hundred terms come back."""
        plans = self.cache.plans(active)
        try:
            return plans["term", key]
        except KeyError:
            return self.cache.remember(plans, ("term", key), _expand_iri(active, key, vocab=True))

    def node(self, active: dict, active_property: str | None, element: dict) -> str:
        """Write the quads of a node object; return its N-Quads term."""
        if active_property is not None:
            if "@context" in element:
                raise _Unsupported("embedded context")
            active = self._enter(active, active_property, element)
        keys = tuple(sorted(element))
        plans = self.cache.plans(active)
        type_key = plans.get(("type key", keys), _UNPLANNED)
        if type_key is _UNPLANNED:
            type_key = self._type_key(active, keys)
        types: list[str] = []
        if type_key is not None:
            types, active = self._types(active, element[type_key])
            plans = self.cache.plans(active)
        layout = plans.get(("layout", keys, type_key))
        id_key, properties = layout or self._layout(active, keys, type_key)
        if id_key is None:
            subject = self.blank_node()
        elif isinstance(element[id_key], str):
            subject = _iri_term(_expand_iri(active, element[id_key], vocab=False))
        else:
            raise _Unsupported("@id")
        graph, quads = self.graph, self.quads
        for type_ in types:
            quads.append((subject, _RDF_TYPE_TERM, type_, graph))
        for key, plan in properties:
            first, predicate = len(quads), plan.predicate
            for value in self._values(plan, key, element[key]):
                quads.append((subject, predicate, value, graph))
            if active_property is None:
                self.spans[key] = (first, len(quads))
        return subject

    def graph_node(self, active: dict, key: str, element: dict) -> str:
        """A node in a `@graph` container (a proof): its own graph, named by a blank node."""
        outer, name = self.graph, self.blank_node()
        self.graph = name
        self.node(active, key, element)
        self.graph = outer
        return name

    def _enter(self, active: dict, active_property: str, element: dict) -> dict:
        """pyld's context switch on entering a nested node: revert, then property scope."""
        only_id = len(element) == 1 and self.term(active, next(iter(element))) == "@id"
        plans = self.cache.plans(active)
        key = ("enter", active_property, only_id)
        entered = plans.get(key)
        if entered is None:
            entered = active
            property_scoped = _mapping(active, active_property).get("@context")
            previous = active.get("previousContext")
            if previous is not None and not only_id:
                entered = previous
            if property_scoped is not None:
                entered = self.scoped(entered, property_scoped, True)
            self.cache.remember(plans, key, entered)
        return entered

    def _type_key(self, active: dict, keys: tuple) -> str | None:
        """The one key of a node with these keys that is `@type` or an alias of it."""
        plans = self.cache.plans(active)
        found = [key for key in keys if self.term(active, key) == "@type"]
        if len(found) > 1:
            raise _Unsupported("two @type keys")
        return self.cache.remember(plans, ("type key", keys), found[0] if found else None)

    def _types(self, active: dict, value: Any) -> tuple[list[str], dict]:
        """A node's types as N-Quads terms, and the context they scope."""
        types = tuple(value) if isinstance(value, list) else (value,)
        plans = self.cache.plans(active)
        try:
            known = plans.get(("types", types))  # only strings are ever planned
        except TypeError:
            raise _Unsupported("@type value") from None
        if known is None:
            if not all(isinstance(t, str) for t in types):
                raise _Unsupported("@type value")
            scoped = active
            for type_ in sorted(types):
                local = _mapping(active, type_).get("@context")
                if local is not None and local is not False:
                    scoped = self.scoped(scoped, local, False)
            known = ([_iri_term(self.term(active, t)) for t in types], scoped)
            self.cache.remember(plans, ("types", types), known)
        return known

    def _layout(self, active: dict, keys: tuple, type_key: str | None) -> tuple:
        """A node's `@id` key (or None) and the plan of each of its other properties."""
        plans = self.cache.plans(active)
        id_key, properties = None, []
        for key in keys:
            if key == "@context" or key == type_key:
                continue
            if self.term(active, key) == "@id":
                if id_key is not None:
                    raise _Unsupported("@id")
                id_key = key
            else:
                properties.append((key, self._plan(active, key)))
        return self.cache.remember(plans, ("layout", keys, type_key), (id_key, properties))

    def _plan(self, active: dict, key: str) -> _Plan:
        plans = self.cache.plans(active)
        plan = plans.get(("plan", key))
        if plan is None:
            plan = self.cache.remember(plans, ("plan", key), self._new_plan(active, key))
        return plan

    def _new_plan(self, active: dict, key: str) -> _Plan:
        expanded = self.term(active, key)
        if (
            expanded is None
            or expanded.startswith(("@", "_:"))
            or not _ABSOLUTE_IRI.match(expanded)
        ):
            raise _Unsupported(f"keyword or dropped term {key!r}")
        mapping = _mapping(active, key)
        container = mapping.get("@container") or []
        if (
            any(c not in ("@set", "@graph") for c in container)
            or mapping.get("reverse")
            or mapping.get("@type") == "@json"
        ):
            raise _Unsupported(f"container or reverse or @json on {key!r}")
        term_active = active
        if "@context" in mapping:
            term_active = self.scoped(active, mapping["@context"], True)
        # The literal's rules come from the term in the context its values expand in.
        term_mapping = _mapping(term_active, key)
        type_ = term_mapping.get("@type")
        coerce = type_ if type_ in ("@id", "@vocab") else None
        datatype = None if type_ in (None, "@id", "@vocab", "@none") else type_
        tagged = datatype is None and (
            _language_or_direction(term_active, term_mapping, "@language") is not None
            or _language_or_direction(term_active, term_mapping, "@direction") is not None
        )
        return _Plan(f"<{expanded}>", "@graph" in container, term_active, coerce, datatype,
                     tagged)

    def _values(self, plan: _Plan, key: str, value: Any) -> list[str]:
        """The N-Quads object terms of one property's value."""
        items = value if isinstance(value, list) else (value,)
        terms = []
        for item in items:
            if type(item) is str:
                terms.append(_string(plan, item))
            elif isinstance(item, dict) and item:
                if plan.in_graph:
                    terms.append(self.graph_node(plan.active, key, item))
                else:
                    terms.append(self.node(plan.active, key, item))
            elif isinstance(item, dict | list) or item is None:
                raise _Unsupported("nested array, empty object or null")
            elif plan.in_graph:
                raise _Unsupported("a scalar in a @graph container")
            else:
                terms.append(_literal(plan, item))
        return terms


def _string(plan: _Plan, value: str) -> str:
    """A string value as one N-Quads term: an IRI when coerced, else a literal."""
    if plan.in_graph:
        raise _Unsupported("a scalar in a @graph container")
    if plan.coerce is not None:
        return _iri_term(_expand_iri(plan.active, value, vocab=plan.coerce == "@vocab"))
    suffix = plan.string_suffix
    if suffix is None or _CONTROL.search(value):
        raise _Unsupported("language-tagged, xsd:double or control characters: pyld decides")
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    if "\n" in value or "\r" in value:
        value = value.replace("\n", "\\n").replace("\r", "\\r")
    return f'"{value}"{suffix}'


def _literal(plan: _Plan, value: Any) -> str:
    """pyld's value expansion and RDF conversion of a number or boolean, as one N-Quads term."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # as pyld and JavaScript: 5.0 is the integer 5
    if isinstance(value, bool):
        lexical, default = ("true" if value else "false"), XSD + "boolean"
    elif isinstance(value, float):
        lexical, default = _canonical_double(value), XSD_DOUBLE
    elif isinstance(value, int):
        if abs(value) >= 10**21:
            raise _Unsupported("big integer")
        lexical, default = str(value), XSD + "integer"
    else:
        raise _Unsupported("not a JSON scalar")
    return _typed(f'"{lexical}"', plan.datatype or default)


def _typed(literal: str, datatype: str) -> str:
    """A literal's lexical form (quoted) with its datatype, which xsd:string goes without."""
    if datatype == XSD_STRING:
        return literal
    if not _ABSOLUTE_IRI.match(datatype) or datatype.startswith("_:"):
        raise _Unsupported("datatype")
    return f"{literal}^^<{datatype}>"


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
    """Processed contexts by key, the least recently used dropped beyond a bound; and the plans
    made in each active context, kept with it (a plan is dropped when any context is)."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self.entries: OrderedDict = OrderedDict()
        # id(context) → (the context itself, so that its id stays its own; its plans)
        self.plans_by_context: dict[int, tuple[dict, dict]] = {}
        self.planned = 0

    def get(self, key):
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key, value):
        self.entries[key] = value
        if len(self.entries) > self.maxsize:
            self.entries.popitem(last=False)
            self.plans_by_context.clear()
            self.planned = 0
        return value

    def plans(self, active: dict) -> dict:
        """The plans made in `active`, by what they answer."""
        entry = self.plans_by_context.get(id(active))
        if entry is None:
            entry = self.plans_by_context[id(active)] = (active, {})
        return entry[1]

    def remember(self, plans: dict, key: tuple, value: Any) -> Any:
        """Add a plan; beyond a bound, every plan is forgotten first (documents are data)."""
        self.planned += 1
        if self.planned > _REMEMBERED_PLANS:
            self.plans_by_context.clear()
            self.planned = 1
        plans[key] = value
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
