"""Extra JSON-LD contexts, registered by their exact bytes and pinned by their SHA-256.

The loader stays a closed world (`jsonld.make_loader`): nothing is fetched, and a bundled context
can never be replaced. Operators and library users add another context (a partner's extension,
`https://www.w3.org/ns/credentials/examples/v2`) by registering its bytes with the hash they
expect; a file whose bytes do not hash to the pin is refused, so a context cannot change under a
signature unnoticed.

    from issuer.core import extra_contexts
    extra_contexts.register(url, data, sha256="…")          # library users
    extra_contexts.register_index(Path("contexts/index.json"))  # the service: SKY_EXTRA_CONTEXTS

An index has the shape of the bundled `contexts/index.json`: `{url: {"file", "sha256"}}`, with
files relative to the index.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from functools import cache
from importlib import resources
from pathlib import Path

from .errors import ContextError

MAX_CONTEXT_BYTES = 256 * 1024
MAX_EXTRA_CONTEXTS = 200

_lock = threading.Lock()
_registered: dict[str, dict] = {}


def register(url: str, data: bytes, sha256: str) -> None:
    """Make `url` load as the JSON document `data`, which must hash to `sha256` (hex).

    Raises ContextError for a bundled URL, a hash mismatch, an oversized or non-JSON-LD file, or
    a URL already registered with other bytes.
    """
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ContextError(f"context URL {url!r} must be an http(s) URL")
    if url in _bundled():
        raise ContextError(f"{url} is bundled with the engine and cannot be replaced")
    if len(data) > MAX_CONTEXT_BYTES:
        raise ContextError(f"context {url} is larger than {MAX_CONTEXT_BYTES} bytes")
    digest = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(digest, str(sha256).lower()):
        raise ContextError(f"context {url}: its bytes hash to {digest}, not the pinned {sha256}")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ContextError(f"context {url} is not UTF-8 JSON") from None
    if not isinstance(document, dict) or "@context" not in document:
        raise ContextError(f"context {url} is not a JSON-LD context document")
    with _lock:
        known = _registered.get(url)
        if known is not None and known["sha256"] != digest:
            raise ContextError(f"context {url} is already registered with other bytes")
        if known is None and len(_registered) >= MAX_EXTRA_CONTEXTS:
            raise ContextError(f"at most {MAX_EXTRA_CONTEXTS} extra contexts can be registered")
        _registered[url] = {"sha256": digest, "document": document}


def register_index(index_path: Path) -> list[str]:
    """Register every context of an index file; return their URLs. Nothing is registered when
    one entry is wrong."""
    try:
        index = json.loads(Path(index_path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ContextError(f"cannot read the context index {index_path}: {error}") from None
    if not isinstance(index, dict):
        raise ContextError(f"context index {index_path} must map URLs to {{file, sha256}}")
    base = Path(index_path).resolve().parent
    entries = []
    for url, entry in index.items():
        if not isinstance(entry, dict) or not {"file", "sha256"} <= set(entry):
            raise ContextError(f"context index entry {url!r} needs 'file' and 'sha256'")
        path = (base / str(entry["file"])).resolve()
        if base not in path.parents:
            raise ContextError(f"context file {entry['file']!r} is outside {base}")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ContextError(f"cannot read context file {path}: {error.strerror}") from None
        if hashlib.sha256(data).hexdigest() != str(entry["sha256"]).lower():
            raise ContextError(f"context {url}: {path.name} does not hash to its pinned sha256")
        entries.append((url, data, entry["sha256"]))
    for url, data, sha256 in entries:
        register(url, data, sha256)
    return [url for url, _, _ in entries]


@cache
def _bundled() -> frozenset[str]:
    index = resources.files(__package__).joinpath("contexts", "index.json").read_text("utf-8")
    return frozenset(json.loads(index))


def lookup(url: str) -> dict | None:
    """The registered document of `url` (the caller copies it before handing it to pyld)."""
    entry = _registered.get(url)
    return entry["document"] if entry else None


def registered() -> dict[str, str]:
    """URL → sha256 of every extra context, for reports and the operator."""
    return {url: entry["sha256"] for url, entry in _registered.items()}


def unregister(url: str) -> None:
    """Forget `url` (tests, or a library user retracting a context)."""
    with _lock:
        _registered.pop(url, None)
