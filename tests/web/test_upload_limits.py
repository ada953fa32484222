"""Uploaded pictures are judged by their header before anything decodes them: a small file that
decodes to gigabytes (a decompression bomb) is refused as a form error, never a 500, and never
takes a worker's memory."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from sqlalchemy import select

from issuer.core import limits
from issuer.store.models import EvidenceFile
from tests.helpers import count, submit
from tests.web.helpers import DIG, enrol, evaluate


def png_of_size(width: int, height: int) -> bytes:
    """A valid one-bit greyscale PNG of any size, all black: a few kB for gigapixels."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor, rows = zlib.compressobj(9), []
    block = row * 1000
    for start in range(0, height, 1000):
        rows.append(compressor.compress(block if height - start >= 1000
                                        else row * (height - start)))
    rows.append(compressor.flush())

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(rows))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [8_000, 20_000])  # 64 megapixels; 400 (Pillow's own bomb)
def test_an_evidence_photo_with_too_many_pixels_is_refused_unread(
        client, world, trainer, db, side):
    photo = png_of_size(side, side)
    assert len(photo) < 5 * 1024 * 1024
    response = evaluate(client, enrol(client, world), {DIG: "acquired"}, action="save",
                        **{f"photo_{DIG}": (io.BytesIO(photo), "photo.png")})
    assert response.status_code == 422
    assert "This picture is too large: at most 50 megapixels." in response.text
    assert count(db, EvidenceFile) == 0


def test_an_evidence_photo_within_the_limit_is_kept(client, world, trainer, db):
    response = evaluate(client, enrol(client, world), {DIG: "acquired"}, action="save",
                        **{f"photo_{DIG}": (io.BytesIO(png_of_size(3000, 2000)), "photo.png")})
    assert response.status_code == 302
    assert db.scalar(select(EvidenceFile)).media_type == "image/png"


@pytest.mark.parametrize("side", [5_000, 20_000])
def test_a_logo_with_too_many_pixels_is_refused(client, world, admin, db, side):
    assert side * side > limits.MAX_LOGO_PIXELS
    response = submit(client, "/admin/organisation", {
        "name": "AGFE", "country_code": "FR", "default_language": "fr",
        "logo": (io.BytesIO(png_of_size(side, side)), "logo.png")},
        content_type="multipart/form-data")
    assert response.status_code < 500
    assert "This picture is too large: at most 16 megapixels." in response.text
    db.expire_all()
    assert db.get(type(world.org), world.org.id).logo_png is None
