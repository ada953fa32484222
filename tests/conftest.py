"""Shared fixtures. Official vectors are under tests/vectors (copied from the spec folder)."""

import json
from pathlib import Path

import pytest

VECTORS = Path(__file__).parent / "vectors"


def load_vector(*parts: str):
    path = VECTORS.joinpath(*parts)
    return (
        json.loads(path.read_text("utf-8")) if path.suffix == ".json" else path.read_text("utf-8")
    )


@pytest.fixture
def vector():
    return load_vector
