"""What a browser or proxy may keep (ASVS 8.2.1): pages with personal data or secrets are never
stored; public documents keep the cache policy their views choose."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/admin/", "/trainer/"])
def test_staff_pages_are_never_stored(client, login, world, path):
    login(world.admin)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_claim_page_and_the_api_are_never_stored(client, badge, headers):
    assert client.get(f"/claim/{badge.claim_token}").headers["Cache-Control"] == "no-store"
    answer = client.get(f"/api/v1/credentials/{badge.uuid}", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"


def test_public_documents_keep_their_own_cache_policy(client, badge):
    document = client.get(f"/credentials/{badge.uuid}")
    assert "public" in document.headers["Cache-Control"]
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
