"""Baking and extraction against the 1EdTech baked fixtures, Pillow and an XML parser."""

import io
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest
from PIL import Image

from issuer.core import baking, proofs
from issuer.core.errors import BakingError
from issuer.core.keys import PublicKey
from tests.helpers import VECTORS

CREDENTIAL = {
    "id": "urn:uuid:2b1f5c1e-9f0a-4b8e-8a51-0c4f3a1d2e77",
    "name": "Café de l'été — łódź, señor, à bientôt, ĳsvogel",
    "note": "a CDATA end ]]> inside the text",
}
JWS = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6d2ViOmV4YW1wbGUifQ.c2lnbmF0dXJl"
SVG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">\n'
    '  <title>Badge é</title><rect width="10" height="10" fill="#036"/>\n'
    "</svg>\n"
)


def fixture(name):
    return (VECTORS / "baking" / name).read_bytes()


def small_png():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_chunks(png):
    chunks, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        chunks.append((png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return chunks


def credential_chunks(png):
    prefix = b"openbadgecredential\0"
    return [d for k, d in png_chunks(png) if k == b"iTXt" and d.startswith(prefix)]


def with_chunk(png, kind, data):
    chunk = struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return png[:-12] + chunk + png[-12:]


def key_from_vm_fragment(vm, purpose):
    return PublicKey.from_multibase(vm.split("#")[1]), vm.split("#")[0]


@pytest.mark.parametrize("name", ["simple-json.png", "simple-json.svg"])
def test_json_fixture_gives_a_credential_whose_proof_verifies(name):
    credential = baking.extract(fixture(name))
    assert credential["id"] == "http://example.com/credentials/3527"
    [proof] = proofs.proofs_of(credential)
    result = proofs.verify_proof(credential, proof, key_from_vm_fragment)
    assert result.valid, result.message


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-jwt.svg"])
def test_jwt_fixture_gives_a_compact_jws(name):
    token = baking.extract(fixture(name))
    assert isinstance(token, str)
    assert len(token.split(".")) == 3
    assert token.startswith("eyJhbGciOiJSUzI1NiIs")


def test_png_round_trip_keeps_non_ascii_text():
    baked = baking.bake_png(small_png(), CREDENTIAL)
    assert baking.extract(baked) == CREDENTIAL


def test_png_round_trip_of_a_jws():
    assert baking.extract_png(baking.bake_png(small_png(), JWS)) == JWS


def test_png_itxt_chunk_is_uncompressed_utf8_json_just_before_iend():
    baked = baking.bake_png(small_png(), CREDENTIAL)
    kinds = [k for k, _ in png_chunks(baked)]
    assert kinds[-2:] == [b"iTXt", b"IEND"]
    [data] = credential_chunks(baked)
    header, text = data[:24], data[24:]
    assert header == b"openbadgecredential\0\0\0\0\0"
    assert "łódź".encode() in text
    assert b"\\u" not in text


def test_png_pixels_and_other_chunks_are_unchanged():
    original = small_png()
    baked = baking.bake_png(original, CREDENTIAL)
    assert [c for c in png_chunks(baked) if c[0] != b"iTXt"] == png_chunks(original)


def test_pillow_opens_the_baked_png_and_sees_the_credential():
    baked = baking.bake_png(small_png(), JWS)
    with Image.open(io.BytesIO(baked)) as image:
        image.load()
        assert image.size == (4, 3)
        assert image.getpixel((0, 0)) == (200, 30, 90)
        assert image.info["openbadgecredential"] == JWS


def test_rebaking_a_png_replaces_the_credential():
    once = baking.bake_png(small_png(), CREDENTIAL)
    twice = baking.bake_png(once, JWS)
    assert len(credential_chunks(twice)) == 1
    assert baking.extract(twice) == JWS


def test_rebaking_the_fixture_png_leaves_one_credential_chunk():
    rebaked = baking.bake_png(fixture("simple-json.png"), JWS)
    assert len(credential_chunks(rebaked)) == 1
    assert baking.extract(rebaked) == JWS


def test_compressed_itxt_is_still_read():
    text = zlib.compress(JWS.encode())
    png = with_chunk(small_png(), b"iTXt", b"openbadgecredential\0\x01\x00\0\0" + text)
    assert baking.extract(png) == JWS


def test_png_with_a_bad_crc_is_refused():
    png = bytearray(small_png())
    png[-20] ^= 0xFF  # inside the last IDAT data
    with pytest.raises(BakingError, match="bad CRC"):
        baking.bake_png(bytes(png), CREDENTIAL)


def test_truncated_png_is_refused():
    with pytest.raises(BakingError, match="truncated"):
        baking.extract_png(small_png()[:-6])


def test_non_png_bytes_are_refused_by_bake_png():
    with pytest.raises(BakingError, match="not a PNG"):
        baking.bake_png(b"GIF89a....", CREDENTIAL)


def test_png_without_a_credential_is_refused():
    with pytest.raises(BakingError, match="no baked credential"):
        baking.extract(small_png())


@pytest.mark.parametrize("kind", [b"iTXt", b"tEXt"])
def test_ob2_png_is_reported_as_unsupported(kind):
    data = b"openbadges\0" + (b"\0\0\0\0" if kind == b"iTXt" else b"") + b"https://x.example/a"
    with pytest.raises(BakingError, match="OB 2.0 baked badge, not supported"):
        baking.extract(with_chunk(small_png(), kind, data))


def test_svg_round_trip_keeps_non_ascii_text_and_cdata_end():
    baked = baking.bake_svg(SVG, CREDENTIAL)
    assert baking.extract(baked) == CREDENTIAL


def test_svg_round_trip_of_a_jws():
    assert baking.extract_svg(baking.bake_svg(SVG.encode(), JWS)) == JWS


def test_baked_svg_is_well_formed_with_the_credential_as_first_child():
    baked = baking.bake_svg(SVG, JWS)
    root = ET.fromstring(baked)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root[0].tag == "{https://purl.imsglobal.org/ob/v3p0}credential"
    assert root[0].get("verify") == JWS
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked
    assert root[1].text == "Badge é"


def test_baked_svg_keeps_the_rest_of_the_file_byte_for_byte():
    baked = baking.bake_svg(SVG, JWS).decode()
    element = f'<openbadges:credential verify="{JWS}"></openbadges:credential>'
    start_tag = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"'
    namespace = ' xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
    assert baked == SVG.replace(start_tag + ">", start_tag + namespace + element)


def test_rebaking_an_svg_replaces_the_credential():
    twice = baking.bake_svg(baking.bake_svg(SVG, CREDENTIAL), JWS)
    root = ET.fromstring(twice)
    assert len(list(root.iter("{https://purl.imsglobal.org/ob/v3p0}credential"))) == 1
    assert twice.count(b"xmlns:openbadges=") == 1
    assert baking.extract(twice) == JWS


def test_rebaking_the_fixture_svg_replaces_its_credential():
    original = fixture("simple-json.svg")
    rebaked = baking.bake_svg(original, JWS)
    assert rebaked.count(b"openbadges:credential") == 2  # one start tag, one end tag
    assert rebaked.startswith(original[: original.index(b"<svg")])  # declaration and DOCTYPE
    assert baking.extract(rebaked) == JWS


def test_self_closing_svg_root_is_baked():
    baked = baking.bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', CREDENTIAL)
    assert baked.endswith(b"</openbadges:credential></svg>")
    assert baking.extract(baked) == CREDENTIAL


def test_prefixed_svg_root_is_baked():
    svg = '<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:g/></s:svg>'
    baked = baking.bake_svg(svg, JWS)
    assert ET.fromstring(baked)[1].tag == "{http://www.w3.org/2000/svg}g"
    assert baking.extract(baked) == JWS


def test_svg_binding_openbadges_to_another_namespace_is_refused():
    svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"/>'
    with pytest.raises(BakingError, match="already binds the prefix"):
        baking.bake_svg(svg, JWS)


def test_svg_with_entity_declarations_is_refused():
    svg = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&lol;</text></svg>'
    )
    with pytest.raises(BakingError, match="unsafe SVG refused"):
        baking.extract(svg.encode())


def test_svg_without_a_credential_is_refused():
    with pytest.raises(BakingError, match="no baked credential"):
        baking.extract(SVG.encode())


def test_ob2_svg_is_reported_as_unsupported():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        '<openbadges:assertion verify="https://x.example/a"/></svg>'
    )
    with pytest.raises(BakingError, match="OB 2.0 baked badge, not supported"):
        baking.extract(svg.encode())


def test_non_svg_xml_is_refused():
    with pytest.raises(BakingError, match="root element must be svg"):
        baking.bake_svg("<html/>", JWS)


def test_a_url_is_not_a_bakeable_payload():
    with pytest.raises(BakingError, match="compact JWS"):
        baking.bake_png(small_png(), "https://badges.example/credentials/1")


def test_other_image_formats_are_refused():
    with pytest.raises(BakingError, match="only PNG and SVG"):
        baking.extract(b"\xff\xd8\xff\xe0 a JPEG")


def test_non_utf8_svg_is_refused_for_baking():
    svg = '<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(BakingError, match="only UTF-8 SVG"):
        baking.bake_svg(svg.encode("latin-1"), JWS)
