"""/verify with Open Badges 2.0 badges: hosted URL, JSON, signed JWS, baked PNG and SVG, served
by a real HTTP server on loopback; the page says which version was checked, in six languages."""

from __future__ import annotations

import io

import pytest

from issuer.core import baking
from tests.helpers import issue, png_with_itxt, settings_for


@pytest.fixture
def overrides(database_url, tmp_path) -> dict:
    """This instance may fetch from http://127.0.0.1 (the test's OB 2.0 issuer)."""
    return settings_for(tmp_path / "instance", database_url, AUTO_MIGRATE=False,
                        SKY_ALLOW_HTTP_LOOPBACK=True)


def post_json(client, **data):
    return client.post("/verify", data=data, headers={"Accept": "application/json"})


def test_a_pasted_hosted_assertion_url_is_verified_as_ob2(client, ob2):
    ob2.assertion("a1")
    response = post_json(client, credential=f"{ob2.base}/assertions/a1")
    assert response.status_code == 200
    assert (response.json["verdict"], response.json["standard"]) == ("valid", "Open Badges 2.0")


def test_the_page_names_the_badge_its_issuer_and_the_version_checked(client, ob2):
    ob2.assertion("a1")
    html = client.post("/verify?lang=en", data={"credential": f"{ob2.base}/assertions/a1"}
                       ).get_data(as_text=True)
    assert "Checked as an Open Badges 2.0 badge (an assertion hosted by its issuer)." in html
    assert "Soudure à l&#39;arc — niveau 1" in html
    assert "Ancien Organisme de Formation" in html
    # Not an issuer this service knows: never the plain green "valid".
    assert 'class="verdict unknown-issuer"' in html


@pytest.mark.parametrize("language, words", [
    ("fr", "Vérifié comme un badge Open Badges 2.0"),
    ("nl", "Gecontroleerd als een Open Badges 2.0-badge"),
    ("es", "Verificado como una insignia Open Badges 2.0"),
    ("it", "Verificato come un badge Open Badges 2.0"),
    ("pl", "Sprawdzono jako odznakę Open Badges 2.0"),
])
def test_the_version_checked_is_said_in_each_language(client, ob2, language, words):
    token = ob2.signed()
    html = client.post(f"/verify?lang={language}", data={"credential": token}
                       ).get_data(as_text=True)
    assert words in html


def test_an_uploaded_baked_png_is_verified_as_ob2(client, ob2):
    ob2.assertion("a1")
    png = png_with_itxt(f"{ob2.base}/assertions/a1".encode(), compressed=False,
                        keyword=baking.OB2_KEYWORD)
    response = client.post("/verify", data={"file": (io.BytesIO(png), "old.png")},
                           headers={"Accept": "application/json"})
    assert (response.json["verdict"], response.json["standard"]) == ("valid", "Open Badges 2.0")


def test_an_uploaded_baked_svg_with_a_forged_signature_is_not_genuine(client, ob2):
    from issuer.core.keys import RSA, PrivateKey
    token = ob2.signed(key=PrivateKey.generate(RSA))
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           f'<openbadges:assertion verify="{token}"/></svg>').encode()
    response = client.post("/verify", data={"file": (io.BytesIO(svg), "old.svg")},
                           headers={"Accept": "application/json"})
    assert response.json["verdict"] == "invalid"
    assert response.json["standard"] == "Open Badges 2.0"


def test_a_revoked_hosted_assertion_reads_revoked(client, ob2):
    ob2.put("/assertions/gone", {"revoked": True}, status=410)
    html = client.post("/verify?lang=en", data={"credential": f"{ob2.base}/assertions/gone"}
                       ).get_data(as_text=True)
    assert 'class="verdict revoked"' in html


def test_our_own_ob3_badge_says_ob3_was_checked(client, db, world):
    credential = issue(db, world)
    html = client.post("/verify?lang=en", data={"credential": credential.signed_json}
                       ).get_data(as_text=True)
    assert "Checked as an Open Badges 3.0 credential." in html


def test_a_private_address_is_never_fetched(client):
    response = post_json(client, credential="https://10.0.0.1/assertions/1")
    assert response.status_code == 200
    assert response.json["verdict"] == "invalid"
    assert "not a public address" in " ".join(c["message"] for c in response.json["checks"])
