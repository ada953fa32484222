"""Open Badges 3.0 baking: one signed credential inside a PNG (iTXt) or an SVG element.

What is baked is the whole signed credential: its JSON for Data Integrity proofs, or the compact
JWS for VC-JWT. Baking edits the image bytes minimally (the pixels and every other chunk or
element stay as they were) and replaces an earlier credential, so an image never holds two.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from xml.etree.ElementTree import ParseError
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from . import limits
from .errors import BakingError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"
OB2_KEYWORD = b"openbadges"
OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
OB2_NAMESPACE = "http://openbadges.org"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_OB2_MESSAGE = "OB 2.0 baked badge, not supported: only Open Badges 3.0 credentials can be read"

Payload = dict | str


def bake_png(png: bytes, payload: Payload) -> bytes:
    """Return the PNG with one `openbadgecredential` iTXt chunk just before IEND."""
    text = _payload_text(payload)
    chunks = [c for c in _png_chunks(png) if _itxt_keyword(c) != PNG_KEYWORD]
    data = PNG_KEYWORD + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    chunks.insert(len(chunks) - 1, (b"iTXt", data))
    return PNG_SIGNATURE + b"".join(_png_chunk(kind, body) for kind, body in chunks)


def bake_svg(svg: bytes | str, payload: Payload) -> bytes:
    """Return the SVG with one `<openbadges:credential>` directly after the `<svg>` start tag."""
    text = _payload_text(payload)
    source = _require_utf8(_svg_bytes(svg))
    _parse_svg(source)
    layout = _svg_layout(source)
    if layout.ob_prefix_uri not in (None, OB_NAMESPACE):
        raise BakingError(
            f"the SVG already binds the prefix 'openbadges' to {layout.ob_prefix_uri!r}"
        )
    body = source
    for start, end in reversed(layout.credentials):
        body = body[:start] + body[end:]
    baked = _insert_credential(body, layout, _credential_element(payload, text))
    _parse_svg(baked)  # the result must still be well-formed XML
    return baked


def extract(image: bytes) -> Payload:
    """The baked credential of a PNG or SVG: a dict (JSON) or a compact JWS string."""
    if image.startswith(PNG_SIGNATURE):
        return extract_png(image)
    if image.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return extract_svg(image)
    raise BakingError("only PNG and SVG images can hold a baked credential")


def extract_png(png: bytes) -> Payload:
    """Read the first `openbadgecredential` iTXt chunk of a PNG."""
    chunks = _png_chunks(png)
    for chunk in chunks:
        if _itxt_keyword(chunk) == PNG_KEYWORD:
            return _parse_payload(_itxt_text(chunk[1]))
    if any(_itxt_keyword(c) == OB2_KEYWORD or _text_keyword(c) == OB2_KEYWORD for c in chunks):
        raise BakingError(_OB2_MESSAGE)
    raise BakingError("this PNG holds no baked credential (no 'openbadgecredential' iTXt chunk)")


def extract_svg(svg: bytes | str) -> Payload:
    """Read the first `openbadges:credential` element of an SVG (safe parser, no entities)."""
    root = _parse_svg(_svg_bytes(svg))
    element = next(root.iter(f"{{{OB_NAMESPACE}}}credential"), None)
    if element is None:
        if next(root.iter(f"{{{OB2_NAMESPACE}}}assertion"), None) is not None:
            raise BakingError(_OB2_MESSAGE)
        raise BakingError("this SVG holds no baked credential (no openbadges:credential element)")
    text = element.get("verify") if element.get("verify") is not None else element.text or ""
    if len(text) > limits.MAX_TEXT_BYTES:
        raise BakingError("the openbadges:credential element is too large")
    return _parse_payload(text)


def extract_ob2(image: bytes) -> Payload:
    """The Open Badges 2.0 payload of a baked PNG or SVG: an assertion URL, JSON or a JWS.

    PNG: the `openbadges` iTXt (or tEXt) chunk; SVG: the `openbadges:assertion` element, its
    `verify` attribute (a URL or JWS) or its text (the assertion's JSON).
    """
    if image.startswith(PNG_SIGNATURE):
        for chunk in _png_chunks(image):
            if _itxt_keyword(chunk) == OB2_KEYWORD:
                return _ob2_payload(_itxt_text(chunk[1]))
            if chunk[0] == b"tEXt" and _text_keyword(chunk) == OB2_KEYWORD:
                return _ob2_payload(chunk[1].split(b"\x00", 1)[1].decode("latin-1"))
        raise BakingError("this PNG holds no Open Badges 2.0 assertion (no 'openbadges' chunk)")
    if image.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        root = _parse_svg(image)
        element = next(root.iter(f"{{{OB2_NAMESPACE}}}assertion"), None)
        if element is None:
            raise BakingError("this SVG holds no Open Badges 2.0 assertion")
        text = element.get("verify") if element.get("verify") is not None else element.text or ""
        if len(text) > limits.MAX_TEXT_BYTES:
            raise BakingError("the openbadges:assertion element is too large")
        return _ob2_payload(text)
    raise BakingError("only PNG and SVG images can hold a baked credential")


def _ob2_payload(text: str) -> Payload:
    text = text.strip()
    if text.startswith(("https://", "http://")) and len(text) <= 2048 and " " not in text:
        return text
    return _parse_payload(text)


def is_ob2_image(image: bytes) -> bool:
    """Whether a PNG or SVG is baked with an Open Badges 2.0 assertion (and no 3.0 credential)."""
    try:
        extract(image)
    except BakingError as error:
        return str(error) == _OB2_MESSAGE
    return False


# --- payloads --------------------------------------------------------------------------------


def _payload_text(payload: Payload) -> str:
    if isinstance(payload, dict):
        return json.dumps(payload, ensure_ascii=False)
    if isinstance(payload, str) and _COMPACT_JWS.match(payload):
        return payload
    raise BakingError("bake a signed credential: a JSON object or a compact JWS string")


def _parse_payload(text: str) -> Payload:
    text = text.strip()
    if text.startswith("{"):
        try:
            credential = limits.parse_json(text)
        except json.JSONDecodeError as error:
            raise BakingError(f"the baked credential is not valid JSON: {error.msg}") from None
        if isinstance(credential, dict):
            return credential
    elif _COMPACT_JWS.match(text):
        return text
    raise BakingError("the baked data is neither a JSON credential nor a compact JWS")


# --- PNG -------------------------------------------------------------------------------------


def _png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG as (type, data), CRCs checked, ending with IEND."""
    if not isinstance(png, bytes | bytearray) or not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image (bad signature)")
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(png):
        if offset + 12 > len(png):
            raise BakingError("the PNG is truncated")
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = bytes(png[offset + 4 : offset + 8])
        data = bytes(png[offset + 8 : offset + 8 + length])
        end = offset + 12 + length
        if end > len(png):
            raise BakingError(f"the PNG is truncated inside a {kind!r} chunk")
        (crc,) = struct.unpack(">I", png[end - 4 : end])
        if zlib.crc32(kind + data) != crc:
            raise BakingError(f"the PNG is damaged: bad CRC in a {kind!r} chunk")
        chunks.append((kind, data))
        offset = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise BakingError("the PNG is damaged: it must start with IHDR and end with IEND")
    return chunks


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _itxt_keyword(chunk: tuple[bytes, bytes]) -> bytes | None:
    kind, data = chunk
    return data.split(b"\x00", 1)[0] if kind == b"iTXt" else None


def _text_keyword(chunk: tuple[bytes, bytes]) -> bytes | None:
    kind, data = chunk
    return data.split(b"\x00", 1)[0] if kind in (b"tEXt", b"zTXt") else None


def _itxt_text(data: bytes) -> str:
    """The text of an iTXt chunk: keyword\\0 flag method language\\0 translated\\0 text."""
    try:
        _, rest = data.split(b"\x00", 1)
        flag, method, rest = rest[0], rest[1], rest[2:]
        _, _, text = rest.split(b"\x00", 2)
    except (ValueError, IndexError):
        raise BakingError("the openbadgecredential iTXt chunk is malformed") from None
    if flag:  # OB 3.0 forbids compression, but reading it costs little
        if method != 0:
            raise BakingError("the openbadgecredential iTXt chunk uses an unknown compression")
        text = _inflate(text)
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError("the baked credential is not UTF-8 text") from None


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(data, limits.MAX_TEXT_BYTES + 1)
    except zlib.error:
        raise BakingError("the openbadgecredential iTXt chunk has bad compressed data") from None
    if len(text) > limits.MAX_TEXT_BYTES or not inflater.eof:
        raise BakingError("the openbadgecredential iTXt chunk is too large or truncated")
    return text


# --- SVG -------------------------------------------------------------------------------------


def _svg_bytes(svg: bytes | str) -> bytes:
    return svg.encode("utf-8") if isinstance(svg, str) else bytes(svg)


def _require_utf8(data: bytes) -> bytes:
    """Baking edits bytes in place, so the file must already be UTF-8 (or ASCII)."""
    declaration = re.match(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding=[\"']([^\"']+)", data)
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if utf16 or (declaration and declaration.group(1).lower() not in (b"utf-8", b"us-ascii")):
        raise BakingError("only UTF-8 SVG files can be baked; convert the file to UTF-8 first")
    return data


def _parse_svg(data: bytes):
    """Parse with defusedxml: entity declarations and external references are refused."""
    try:
        root = safe_fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise BakingError(f"unsafe SVG refused: {type(error).__name__}") from None
    except ParseError as error:
        raise BakingError(f"not a well-formed SVG: {error}") from None
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise BakingError("not an SVG image: the root element must be svg:svg")
    return root


class _Layout:
    """Byte positions found by one expat pass over a (known safe) SVG."""

    def __init__(self):
        self.root_start = None  # offset of '<' of the root start tag
        self.root_end = None  # offset just after the root start tag's '>'
        self.root_name = None  # qualified name of the root, e.g. 'svg' or 'svg:svg'
        self.root_empty = False  # <svg …/>
        self.ob_prefix_uri = None  # what 'openbadges' is bound to on the root, if anything
        self.credentials: list[tuple[int, int]] = []  # byte ranges of credential elements


def _svg_layout(data: bytes) -> _Layout:
    layout, depth, open_credential = _Layout(), [0], []
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.ordered_attributes = True
    pending_prefixes: dict[str | None, str] = {}

    def start_namespace(prefix, uri):
        if layout.root_start is None:
            pending_prefixes[prefix] = uri

    def start(name, _attributes):
        here = parser.CurrentByteIndex
        if depth[0] == 0:
            layout.root_start = here
            layout.root_end = _tag_end(data, here)
            layout.root_empty = data[layout.root_end - 2 : layout.root_end] == b"/>"
            layout.root_name = re.match(rb"<([^\s/>]+)", data[here:]).group(1).decode()
            layout.ob_prefix_uri = pending_prefixes.get("openbadges")
        elif name == f"{OB_NAMESPACE} credential" and not open_credential:
            tag_end = _tag_end(data, here)
            empty = data[tag_end - 2 : tag_end] == b"/>"
            open_credential.append((here, depth[0], tag_end if empty else None))
        depth[0] += 1

    def end(_name):
        depth[0] -= 1
        if open_credential and open_credential[-1][1] == depth[0]:
            begin, _, empty_end = open_credential.pop()
            # an empty-element tag <x/> has no end tag of its own
            end_offset = empty_end or _tag_end(data, parser.CurrentByteIndex)
            layout.credentials.append((begin, end_offset))

    parser.StartNamespaceDeclHandler = start_namespace
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return layout


def _tag_end(data: bytes, start: int) -> int:
    """Offset just after the '>' closing the tag that starts at `start` (quotes respected)."""
    quote = None
    for offset in range(start + 1, len(data)):
        byte = data[offset : offset + 1]
        if quote:
            quote = None if byte == quote else quote
        elif byte in (b'"', b"'"):
            quote = byte
        elif byte == b">":
            return offset + 1
    raise BakingError("not a well-formed SVG: unterminated tag")


def _credential_element(payload: Payload, text: str) -> bytes:
    if isinstance(payload, str):
        element = f"<openbadges:credential verify={quoteattr(text)}></openbadges:credential>"
    else:
        # ']]>' would end the CDATA section early: split it across two sections
        cdata = text.replace("]]>", "]]]]><![CDATA[>")
        element = f"<openbadges:credential><![CDATA[{cdata}]]></openbadges:credential>"
    try:
        return element.encode("utf-8")
    except UnicodeEncodeError:
        raise BakingError("the credential contains text that is not valid Unicode") from None


def _insert_credential(data: bytes, layout: _Layout, element: bytes) -> bytes:
    tag_end = layout.root_end
    close = 2 if layout.root_empty else 1
    declaration = b""
    if layout.ob_prefix_uri is None:
        declaration = f' xmlns:openbadges="{OB_NAMESPACE}"'.encode()
    start_tag = data[layout.root_start : tag_end - close].rstrip() + declaration + b">"
    tail = data[tag_end:]
    if layout.root_empty:
        tail = f"</{layout.root_name}>".encode() + tail
    return data[: layout.root_start] + start_tag + element + tail
