"""The public side, driven through the test client as a browser or another verifier would."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from issuer.core import baking
from issuer.core import status_list as bitstring
from issuer.rendering import images
from issuer.store.models import AchievementTemplate, EvidenceFile

VECTORS = Path(__file__).parent.parent / "vectors"
ACQUIRED = {"dig-hole": "acquired", "stake-and-water": "acquired"}

SKILL = """
id = "community-gardener"
version = "1"
award = "one-click"
cross_organisation = true
parts = ["tree-planting", "composting"]

[name]
en = "Community gardener"
fr = "Jardinier de quartier"

[description]
en = "Looks after a shared garden."
fr = "Entretient un jardin partagé."
"""


@pytest.fixture
def catalogue_image(overrides, tmp_path):
    """A catalogue folder holding a red 400×200 PNG; requested before `client` so the app
    is created with it as SKY_CATALOGUE_PATH."""
    (tmp_path / "catalogue" / "trainings").mkdir(parents=True)
    Image.new("RGB", (400, 200), (255, 0, 0)).save(tmp_path / "catalogue/trainings/tree.png")
    overrides["SKY_CATALOGUE_PATH"] = str(tmp_path / "catalogue")


def issue(db, world, now=None, photo=False, evidence_public=None, levels=None):
    """Evaluate the world's first learner and issue the badge; returns the Credential.

    With `photo`, the learner agreed to publish the evidence unless `evidence_public` says no.
    """
    from issuer.services import issuing, unit_of_work

    with unit_of_work(db):
        assessment = issuing.save_assessment(
            db, world.session.id, world.learners[0].id, levels or ACQUIRED,
            {"dig-hole": "Dug a perfect hole."}, "Keen and careful.", None,
            evidence_public=photo if evidence_public is None else evidence_public)
        if photo:
            db.add(EvidenceFile(uuid="0b7e4c1e-2f5d-4e59-9f1e-6b1d2a3c4d5e",
                                assessment_id=assessment.id, gesture_id="dig-hole",
                                filename="hole.png", media_type="image/png",
                                data=b"\x89PNG photo", sha256="ab" * 32))
            db.flush()
        return issuing.issue_for_assessment(db, assessment.id, None, now=now)


def revoke(db, credential, reason="Issued to the wrong person"):
    from issuer.services import unit_of_work
    from issuer.services.revocation import revoke as revoke_credential

    with unit_of_work(db):
        revoke_credential(db, credential, reason, None)


def path_of(url: str) -> str:
    return urlsplit(url).path


# --- /v/<short_id> ----------------------------------------------------------------------------


def test_verification_page_says_valid_for_an_issued_badge(client, db, world):
    credential = issue(db, world)
    response = client.get(f"/v/{credential.short_id}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="verdict valid"' in html
    assert '<h1 id="verdict-title">Valid</h1>' in html
    assert "Zoé Lefèvre" in html
    assert "Dig the planting hole" in html and "Acquired" in html
    assert "did:web:badges.example.org:issuers:agfe" in html


def test_verification_page_has_no_javascript_and_stays_small(client, db, world):
    credential = issue(db, world)
    html = client.get(f"/v/{credential.short_id}").get_data()
    css = b""
    for name in ("public.css", "sky.css"):
        with client.get(f"/static/{name}") as response:
            css += response.get_data()
    assert b"<script" not in html
    assert len(html) + len(css) < 30 * 1024


def test_verification_page_says_revoked_without_the_private_reason(client, db, world):
    credential = issue(db, world)
    revoke(db, credential, "Issued to the wrong person")
    html = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    assert 'class="verdict revoked"' in html
    assert "Revoked by the issuer." in html
    assert "wrong person" not in html


def test_verification_page_says_expired_when_the_validity_has_ended(client, db, world):
    credential = issue(db, world, now=datetime(2022, 1, 10, tzinfo=UTC))  # valid 24 months
    html = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    assert 'class="verdict expired"' in html
    assert '<h1 id="verdict-title">Expired</h1>' in html


def test_an_unknown_code_is_a_typing_question_not_a_verdict(client):
    response = client.get("/v/NSCH2345X?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "No badge has the code “NSCH2345X”" in html
    assert 'value="NSCH2345X"' in html  # the box keeps what was typed
    assert "Not genuine" not in html and "verdict" not in html


@pytest.mark.parametrize("typed", [
    "{code}", "{code_lower}", "{spaced}", "badges.example.org/v/{code}",
    "https://badges.example.org/v/{code_lower}?lang=fr", "  /v/{spaced}/ "])
def test_the_code_the_printed_line_or_the_url_find_the_badge(client, badge, typed):
    code = badge.short_id
    spaced = f"{code[:3]} {code[3:6]}-{code[6:]}"
    text = typed.format(code=code, code_lower=code.lower(), spaced=spaced)
    response = client.get("/v", query_string={"code": text, "lang": "en"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/v/{code}?lang=en")


def test_a_typed_code_with_one_wrong_letter_keeps_what_was_typed(client, badge):
    wrong = ("Z" if badge.short_id[0] != "Z" else "Y") + badge.short_id[1:]
    response = client.get("/v", query_string={"code": wrong.lower(), "lang": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert f'value="{wrong.lower()}"' in html
    assert "Check it against the card" in html


def test_a_badge_address_typed_in_lower_case_leads_to_the_badge(client, badge):
    response = client.get(f"/v/{badge.short_id.lower()}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/v/{badge.short_id}")


def test_the_public_page_lists_only_the_gestures_the_learner_acquired(client, db, world):
    from issuer.services import unit_of_work

    with unit_of_work(db):  # one gesture of two validates this version of the training
        world.template.source_toml = world.template.source_toml.replace(
            'validation = "all-acquired"', 'validation = "at-least:1"')
    credential = issue(db, world, levels={"dig-hole": "acquired", "stake-and-water": "not-yet"})
    html = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    assert "What the trainer validated" in html
    assert "Dig the planting hole" in html
    assert "Stake and water the tree" not in html


def test_verification_page_answers_json_with_the_report(client, db, world):
    credential = issue(db, world)
    response = client.get(f"/v/{credential.short_id}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json["verdict"] == "valid"
    assert {check["name"] for check in response.json["checks"]} >= {"proof", "status"}


def test_verification_page_answers_vc_json_with_the_credential(client, db, world):
    credential = issue(db, world)
    response = client.get(f"/v/{credential.short_id}",
                          headers={"Accept": "application/vc+ld+json"})
    assert response.get_data(as_text=True) == credential.signed_json


def test_verification_page_is_in_the_issued_language_by_default(client, db, world):
    credential = issue(db, world)  # the learner reads French
    html = client.get(f"/v/{credential.short_id}").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Planter un jeune arbre" in html


def test_verification_page_follows_lang_then_accept_language(client, db, world):
    credential = issue(db, world)
    by_query = client.get(f"/v/{credential.short_id}?lang=en",
                          headers={"Accept-Language": "fr"}).get_data(as_text=True)
    by_header = client.get(f"/v/{credential.short_id}",
                           headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in by_query
    assert "Planting a young tree" in by_query and "Stake and water the tree" in by_query
    assert "Planting a young tree" in by_header


def test_verification_page_offers_every_language_as_a_plain_link(client, db, world):
    credential = issue(db, world)
    html = client.get(f"/v/{credential.short_id}?lang=fr").get_data(as_text=True)
    for code, name in (("en", "English"), ("nl", "Nederlands"), ("pl", "Polski")):
        link = f'href="/v/{credential.short_id}?lang={code}" lang="{code}" hreflang="{code}"'
        assert f"{link}>{name}</a>" in html


def test_verification_page_names_the_skill_it_stacks_into(client, db, world):
    db.add(AchievementTemplate(template_id="community-gardener", version="1", kind="skill",
                               source_toml=SKILL, current=True))
    db.commit()
    credential = issue(db, world)
    html = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    assert "Part of the skill: Community gardener" in html


# --- credentials and baked images ---------------------------------------------------------


def test_credential_url_serves_the_stored_bytes(client, db, world):
    credential = issue(db, world)
    response = client.get(path_of(json.loads(credential.signed_json)["id"]))
    assert response.status_code == 200
    assert response.mimetype == "application/vc+ld+json"
    assert response.get_data(as_text=True) == credential.signed_json


def test_credential_url_answers_304_to_its_etag(client, db, world):
    credential = issue(db, world)
    first = client.get(f"/credentials/{credential.uuid}")
    again = client.get(f"/credentials/{credential.uuid}",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_json_download_is_an_attachment(client, db, world):
    credential = issue(db, world)
    response = client.get(f"/credentials/{credential.uuid}.json")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="badge-{credential.uuid}.json"')
    assert response.get_data(as_text=True) == credential.signed_json


def test_baked_png_holds_the_credential(client, db, world):
    credential = issue(db, world)
    response = client.get(f"/credentials/{credential.uuid}.png")
    assert response.mimetype == "image/png"
    assert baking.extract(response.get_data()) == json.loads(credential.signed_json)


def test_baked_svg_holds_the_credential(client, db, world):
    credential = issue(db, world)
    response = client.get(f"/credentials/{credential.uuid}.svg")
    assert response.mimetype == "image/svg+xml"
    assert baking.extract(response.get_data()) == json.loads(credential.signed_json)


def thumbnail_urls(html: str) -> tuple[str, str]:
    """The 1x and 2x addresses in the badge picture's srcset."""
    srcset = html.split('srcset="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    one, two = (item.rsplit(" ", 1) for item in srcset.split(", "))
    assert (one[1], two[1]) == ("1x", "2x")
    return one[0], two[0]


def test_verification_page_shows_a_small_unbaked_picture_and_links_the_baked_png(
        client, db, world):
    credential = issue(db, world)
    html = client.get(f"/v/{credential.short_id}").get_data(as_text=True)
    segment = f"tree-planting--1.0--{credential.language}"
    assert thumbnail_urls(html) == (f"/achievements/{segment}/image.png?size=96",
                                    f"/achievements/{segment}/image.png?size=192")
    assert f'<img src="/achievements/{segment}/image.png?size=96"' in html
    assert f'<a href="/credentials/{credential.uuid}.png" download>' in html


def test_achievement_picture_is_drawn_at_each_size_without_the_credential(client, db, world):
    credential = issue(db, world)
    one, two = thumbnail_urls(client.get(f"/v/{credential.short_id}").get_data(as_text=True))
    for url, size in ((one, 96), (two, 192)):
        response = client.get(url)
        assert response.mimetype == "image/png"
        with Image.open(io.BytesIO(response.get_data())) as picture:
            assert picture.size == (size, size)
        assert b"openbadgecredential" not in response.get_data()  # not baked
        assert b"iTXt" not in response.get_data()


def test_achievement_picture_is_cacheable_and_answers_304(client, db, world):
    credential = issue(db, world)
    one, _two = thumbnail_urls(client.get(f"/v/{credential.short_id}").get_data(as_text=True))
    first = client.get(one)
    assert first.headers["Cache-Control"] == "public, max-age=3600"
    again = client.get(one, headers={"If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.get_data()) == (304, b"")


def test_achievement_picture_refuses_sizes_the_page_does_not_use(client, world):
    assert client.get("/achievements/tree-planting/image.png?size=4000").status_code == 404


def test_achievement_picture_of_an_unknown_achievement_is_404(client, world):
    assert client.get("/achievements/no-such--1.0--en/image.png").status_code == 404


def test_achievement_picture_is_the_catalogue_image_when_it_has_one(
        catalogue_image, client, db, world):
    template = db.scalar(select(AchievementTemplate).where(
        AchievementTemplate.template_id == "tree-planting"))
    template.source_toml = 'image = "tree.png"\n' + template.source_toml
    db.commit()
    response = client.get("/achievements/tree-planting--1.0--en/image.png?size=192")
    with Image.open(io.BytesIO(response.get_data())) as picture:
        assert picture.size == (192, 96)  # the catalogue's 400×200 image, fitted
        assert picture.convert("RGBA").getpixel((96, 48)) == (255, 0, 0, 255)


def test_evidence_photo_is_served_from_its_url(client, db, world):
    credential = issue(db, world, photo=True)
    evidence = json.loads(credential.signed_json)["evidence"]
    response = client.get(path_of(next(item["id"] for item in evidence if "id" in item)))
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.get_data() == b"\x89PNG photo"


def test_an_unpublished_evidence_photo_is_not_served_to_anyone(client, db, world):
    credential = issue(db, world, photo=True, evidence_public=False)
    assert "evidence" not in json.loads(credential.signed_json)
    assert client.get("/evidence/0b7e4c1e-2f5d-4e59-9f1e-6b1d2a3c4d5e").status_code == 404
    page = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    assert "Dug a perfect hole." not in page and "Keen and careful." not in page


def test_unknown_credential_is_404(client):
    assert client.get("/credentials/00000000-0000-4000-8000-000000000000").status_code == 404


# --- issuers, achievements, status lists --------------------------------------------------


def test_did_document_lists_every_key_version_after_rotation(client, db, world):
    from issuer.services import unit_of_work
    from issuer.services.keys import active_key, rotate_key

    first, _key = active_key(db, world.org)
    with unit_of_work(db):
        second = rotate_key(db, world.org, None)
    response = client.get("/issuers/agfe/did.json")
    assert response.status_code == 200
    assert response.mimetype == "application/did+json"
    methods = response.json["verificationMethod"]
    assert [m["publicKeyMultibase"] for m in methods if m["type"] == "Multikey"] == [
        first.public_multibase, second.public_multibase]
    assert response.json["assertionMethod"] == [m["id"] for m in methods]


def test_badge_signed_before_a_rotation_still_verifies(client, db, world):
    from issuer.services import unit_of_work
    from issuer.services.keys import rotate_key

    credential = issue(db, world)
    with unit_of_work(db):
        rotate_key(db, world.org, None)
    response = client.get(f"/v/{credential.short_id}", headers={"Accept": "application/json"})
    assert response.json["verdict"] == "valid"


def test_issuer_profile_is_json_for_machines(client, world):
    response = client.get("/issuers/agfe", headers={"Accept": "application/json"})
    assert response.json["id"] == "did:web:badges.example.org:issuers:agfe"
    assert response.json["type"] == ["Profile"]


def test_issuer_profile_page_has_open_graph_tags(client, world):
    html = client.get("/issuers/agfe").get_data(as_text=True)
    assert '<meta property="og:title" content="AGFE">' in html


def test_achievement_id_of_a_credential_dereferences_to_that_achievement(client, db, world):
    credential = issue(db, world)
    embedded = json.loads(credential.signed_json)["credentialSubject"]["achievement"]
    response = client.get(path_of(embedded["id"]), headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert {k: v for k, v in response.json.items() if k != "@context"} == embedded


def test_achievement_by_template_id_and_language(client, world):
    response = client.get("/achievements/tree-planting/en",
                          headers={"Accept": "application/json"})
    assert response.json["name"] == "Planting a young tree"
    assert response.json["inLanguage"] == "en"


def test_status_list_has_the_revoked_bit_set(client, db, world):
    credential = issue(db, world)
    entry = json.loads(credential.signed_json)["credentialStatus"]
    revoke(db, credential)
    response = client.get(path_of(entry["statusListCredential"]))
    assert response.status_code == 200
    bits = bitstring.decode_list(response.json["credentialSubject"]["encodedList"])
    assert bitstring.get_status(bits, int(entry["statusListIndex"])) == 1


def test_status_list_is_cached_for_sixty_seconds_by_revision(client, db, world):
    credential = issue(db, world)
    url = path_of(json.loads(credential.signed_json)["credentialStatus"]["statusListCredential"])
    before = client.get(url)
    revoke(db, credential)
    after = client.get(url)
    assert before.headers["Cache-Control"] == "public, max-age=60"
    assert before.headers["ETag"] != after.headers["ETag"]


UNCHECKED = "Genuine, but we could not check whether the issuer revoked it. Try again later."


def hide_status_list(db, credential):
    """Move the credential's status list to another address: its own URL no longer answers."""
    from issuer.services import publishing

    url = json.loads(credential.signed_json)["credentialStatus"]["statusListCredential"]
    found = publishing.status_list_by_uuid(db, path_of(url).rsplit("/", 1)[1])
    found.uuid = "00000000-0000-4000-8000-00000000dead"
    db.commit()


def test_verification_page_says_when_the_revocation_status_could_not_be_checked(
        client, db, world):
    credential = issue(db, world)
    hide_status_list(db, credential)
    html = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    # Revocation must not fail open: no plain green "Valid" when the status was not read.
    assert 'class="verdict status-unchecked"' in html
    assert '<h1 id="verdict-title">Could not be checked</h1>' in html
    assert f"<p>{UNCHECKED}" in html
    assert '<h1 id="verdict-title">Valid</h1>' not in html


def test_verification_report_json_says_status_not_checked(client, db, world):
    credential = issue(db, world)
    hide_status_list(db, credential)
    report = client.get(f"/v/{credential.short_id}", headers={"Accept": "application/json"}).json
    assert (report["verdict"], report["statusChecked"]) == ("valid", False)


def test_verification_page_with_a_checked_status_has_no_caveat(client, db, world):
    credential = issue(db, world)
    html = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    assert '<h1 id="verdict-title">Valid</h1>' in html
    assert UNCHECKED not in html


# --- /verify --------------------------------------------------------------------------------


def test_verify_accepts_our_credential_pasted_as_json(client, db, world):
    credential = issue(db, world)
    response = client.post("/verify?lang=en", data={"credential": credential.signed_json})
    assert response.status_code == 200
    assert 'class="verdict valid"' in response.get_data(as_text=True)


def test_verify_accepts_our_credential_uploaded_as_baked_png(client, db, world):
    credential = issue(db, world)
    png = client.get(f"/credentials/{credential.uuid}.png").get_data()
    response = client.post("/verify", data={"file": (io.BytesIO(png), "badge.png")},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json["verdict"] == "valid"


def test_verify_says_could_not_be_checked_for_an_unreachable_issuer(client):
    vector = (VECTORS / "ob-v3p0-ldp" / "signed-credential.json").read_text("utf-8")
    response = client.post("/verify?lang=en", data={"credential": vector})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="verdict unresolved"' in html
    assert "Could not be checked" in html


def test_verify_says_when_a_status_list_on_an_unreachable_host_was_not_checked(
        client, db, world):
    from issuer.core import proofs
    from issuer.core.keys import PrivateKey

    key = PrivateKey.generate()
    document = json.loads(issue(db, world).signed_json)
    del document["proof"]
    document["issuer"]["id"] = key.public_key.did_key
    document["credentialStatus"]["statusListCredential"] = "https://status.invalid/lists/1"
    document["credentialStatus"]["id"] = "https://status.invalid/lists/1#7"
    signed = proofs.sign(document, key, key.public_key.did_key_vm)
    response = client.post("/verify?lang=en", data={"credential": json.dumps(signed)})
    html = response.get_data(as_text=True)
    assert 'class="verdict unknown-issuer"' in html
    assert f'<span aria-hidden="true">&#9888;</span> {UNCHECKED}' in html


def squatted(db, world, key):
    """Our badge re-signed by `key` as a self-declared did:key issuer still calling itself AGFE."""
    from issuer.core import proofs

    document = json.loads(issue(db, world).signed_json)
    del document["proof"]
    document["issuer"]["id"] = key.public_key.did_key
    return proofs.sign(document, key, key.public_key.did_key_vm)


def test_verify_never_shows_a_self_declared_issuer_as_the_partner_it_names(client, db, world):
    from issuer.core.keys import PrivateKey

    signed = squatted(db, world, PrivateKey.generate())
    assert signed["issuer"]["name"] == "AGFE"
    html = client.post("/verify?lang=en", data={"credential": json.dumps(signed)}).get_data(
        as_text=True)
    assert 'class="verdict unknown-issuer"' in html
    assert '<h1 id="verdict-title">Genuine signature, unknown issuer</h1>' in html
    assert "but by an unknown, self-declared issuer: the name AGFE is only its own claim" in html
    assert "It was issued by AGFE" not in html


@pytest.mark.parametrize("issuer_id, domain", [
    ("did:web:other.example:issuers:x", "other.example"),
    ("did:web:other.example%3A8443", "other.example:8443"),
    ("https://other.example/issuers/x", "other.example"),
    ("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", None),
    ("http://other.example/issuers/x", None),
    (None, None),
])
def test_the_page_names_the_domain_that_answers_for_an_issuer(issuer_id, domain):
    from issuer.services.publishing import signer_domain

    assert signer_domain(issuer_id) == domain


@pytest.mark.parametrize("report, state", [
    ({"verdict": "valid", "issuerTrusted": True, "statusChecked": True}, "valid"),
    ({"verdict": "valid", "issuerTrusted": False, "statusChecked": True}, "unknown-issuer"),
    ({"verdict": "valid", "issuerTrusted": False, "statusChecked": False}, "unknown-issuer"),
    ({"verdict": "valid", "issuerTrusted": True, "statusChecked": False}, "status-unchecked"),
    ({"verdict": "revoked", "issuerTrusted": False}, "revoked"),
])
def test_only_a_known_issuer_with_a_checked_status_is_plainly_valid(report, state):
    from issuer.services.publishing import verdict_of

    assert verdict_of(report) == state


def test_verify_gives_our_own_partner_the_plain_valid(client, db, world):
    credential = issue(db, world)
    response = client.post("/verify?lang=en", data={"credential": credential.signed_json})
    html = response.get_data(as_text=True)
    assert '<h1 id="verdict-title">Valid</h1>' in html
    assert "It was issued by AGFE" in html


def test_verify_refuses_garbage_with_a_message(client):
    response = client.post("/verify?lang=en",
                           data={"file": (io.BytesIO(b"\xff\xd8\xff\xe0 JFIF photo"), "x.json")})
    assert response.status_code == 400
    assert "not a JSON credential, a JWT, or a PNG or SVG" in response.get_data(as_text=True)


def test_verify_refuses_an_image_without_a_credential(client):
    plain = images.badge_png("Not baked", "green-jobs")
    response = client.post("/verify", data={"file": (io.BytesIO(plain), "x.png")},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["message"].startswith("This image holds no credential")


def test_verify_refuses_invalid_json_with_its_position(client):
    response = client.post("/verify", data={"credential": '{"a": }'},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["message"].startswith("This is not valid JSON (line 1, column 7")


def test_verify_refuses_an_oversize_upload_with_413(client):
    # A hand-made multipart body: the test client would spool a big one to an unclosed file.
    head = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.json"\r\n'
            b"Content-Type: application/json\r\n\r\n")
    body = head + b"{" + b" " * (2 * 1024 * 1024) + b"}\r\n--b--\r\n"
    response = client.post("/verify?lang=en", data=body,
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert "larger than 2 MB" in response.get_data(as_text=True)


def test_verify_is_rate_limited_per_client(app, client):
    app.config["PUBLIC_VERIFY_RATE_LIMIT"] = 2
    statuses = [client.post("/verify", data={"credential": "{}"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]



def test_verification_page_has_open_graph_tags_on_the_public_host(client, db, world):
    credential = issue(db, world)
    html = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    url = f"https://badges.example.org/v/{credential.short_id}"
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:title" content="Planting a young tree · AGFE">' in html


def test_verify_accepts_a_json_body_from_an_api_client(client, db, world):
    credential = issue(db, world)
    response = client.post("/verify", data=credential.signed_json,
                           content_type="application/json",
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json["verdict"] == "valid"


def test_verify_rate_limit_counts_each_client_address_apart(app, client):
    app.config["PUBLIC_VERIFY_RATE_LIMIT"] = 1
    first = client.post("/verify", data={"credential": "{}"},
                        environ_base={"REMOTE_ADDR": "192.0.2.1"})
    other = client.post("/verify", data={"credential": "{}"},
                        environ_base={"REMOTE_ADDR": "192.0.2.2"})
    again = client.post("/verify", data={"credential": "{}"},
                        environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert [first.status_code, other.status_code, again.status_code] == [200, 200, 429]


def test_baked_png_answers_304_to_its_etag(client, db, world):
    credential = issue(db, world)
    first = client.get(f"/credentials/{credential.uuid}.png")
    again = client.get(f"/credentials/{credential.uuid}.png",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_erased_learner_badge_shows_revoked_without_personal_data(client, db, world):
    from issuer.services import unit_of_work
    from issuer.services.learners import erase_learner

    credential = issue(db, world)
    with unit_of_work(db):
        erase_learner(db, world.learners[0], None)
    page = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    assert 'class="verdict revoked"' in page
    assert "Zoé" not in page
    gone = client.get(f"/credentials/{credential.uuid}")
    assert gone.status_code == 410
    assert gone.json["error"]["message"].startswith("This badge is no longer published")


def test_page_in_a_language_the_catalogue_lacks_keeps_the_issued_texts_marked(client, db, world):
    credential = issue(db, world)  # issued in French; the catalogue has en and fr only
    html = client.get(f"/v/{credential.short_id}?lang=pl").get_data(as_text=True)
    assert '<html lang="pl">' in html
    assert '<h2 lang="fr">Planter un jeune arbre</h2>' in html
    assert "Le trou est deux fois plus large que la motte et aussi profond." in html


def test_home_page_offers_the_card_code_form_and_sign_in(client):
    page = client.get("/?lang=fr")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'action="/v"' in text and "/auth/login" in text


def test_a_typed_card_code_leads_to_its_verification_page(client, db, world):
    from tests.helpers import issue

    credential = issue(db, world)
    typed = " ".join(credential.short_id.lower()[i:i + 3] for i in range(0, 9, 3))
    response = client.get("/v", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/v/{credential.short_id}")


# --- stacks, endorsements and learner records ----------------------------------------------------


def test_verification_page_of_a_part_names_the_skill_but_not_the_learners_other_badges(
        client, db, world):
    import html as html_module
    import re

    from issuer.services.catalogue import training_of
    from tests.helpers import ONLINE, import_sample_catalogue, issue_part

    templates = import_sample_catalogue(db)
    issue_part(db, templates, world.trainer, world.learners[0], ONLINE[0])
    second = issue_part(db, templates, world.trainer, world.learners[0], ONLINE[1])
    page = client.get(f"/v/{second.short_id}?lang=en").get_data(as_text=True)
    skill = re.search(r'<section class="skill">.*?</section>', page, re.S).group(0)
    names = [html_module.escape(training_of(templates[part]).name_in("en")) for part in ONLINE]
    assert "The skill is made of these micro-trainings:" in skill
    assert re.findall(r"<li>([^<]+)</li>", skill)[:3] == names
    assert "micro-trainings done" not in skill and "Done" not in skill and "Missing" not in skill
    assert "It opens the way to:" in skill


def test_published_achievement_carries_the_endorsements_new_badges_embed(client, db, world):
    from issuer.services import unit_of_work
    from issuer.services.endorsements import endorse
    from tests.helpers import make_organisation

    with unit_of_work(db):
        endorser = make_organisation(db, slug="barka", name="BARKA Foundation", country="PL")
        endorse(db, endorser, world.template, "Seen and approved.", None)
    credential = issue(db, world)
    embedded = json.loads(credential.signed_json)["credentialSubject"]["achievement"]
    response = client.get(path_of(embedded["id"]), headers={"Accept": "application/json"})
    published = {k: v for k, v in response.json.items() if k != "@context"}
    assert published == embedded
    assert [e["issuer"]["name"] for e in published["endorsement"]] == ["BARKA Foundation"]


def test_verify_lists_each_badge_of_a_learner_record_and_marks_the_tampered_one(
        client, db, world):
    import re

    from issuer.services import unit_of_work
    from issuer.services.learner_record import clr_document
    from tests.helpers import ONLINE, import_sample_catalogue, issue_part

    templates = import_sample_catalogue(db)
    for part in ONLINE[:2]:
        issue_part(db, templates, world.trainer, world.learners[0], part)
    with unit_of_work(db):
        record = clr_document(db, world.learners[0])
    inner = record["credentialSubject"]["verifiableCredential"]
    inner[1]["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    page = client.post("/verify?lang=en", data={"credential": json.dumps(record)}).get_data(
        as_text=True)
    listed = re.search(r"Badges in this record</h2>.*?</ul>", page, re.S).group(0)
    assert re.findall(r"<strong>([^<]+)</strong>", listed)[1] == "Brain surgery"
    assert re.findall(r'verdict-([a-z-]+)"', listed) == ["valid", "not-genuine"]


def test_verify_shows_each_endorsements_verdict(client, db, world):
    import re

    from issuer.services import unit_of_work
    from issuer.services.endorsements import endorse
    from tests.helpers import make_organisation

    with unit_of_work(db):
        endorser = make_organisation(db, slug="barka", name="BARKA Foundation", country="PL")
        endorse(db, endorser, world.template, "Seen and approved.", None)
    credential = issue(db, world)
    page = client.post("/verify?lang=en", data={"credential": credential.signed_json}).get_data(
        as_text=True)
    listed = re.search(r"Endorsed by</h2>.*?</ul>", page, re.S).group(0)
    assert "<strong>BARKA Foundation</strong>" in listed
    assert re.findall(r'verdict-([a-z-]+)"', listed) == ["valid"]
    assert "<p>Seen and approved.</p>" in listed


def test_verify_gives_the_technical_details_in_the_readers_language(client, db, world):
    from markupsafe import escape

    from issuer.languages import catalogue

    document = json.loads(issue(db, world).signed_json)
    document["credentialSubject"]["achievement"]["name"] = "Forged"
    html = client.post("/verify?lang=fr", data={"credential": json.dumps(document)}
                       ).get_data(as_text=True)
    english = "the signature does not match the document"
    french = catalogue("fr").gettext(english)
    assert french != english
    assert escape(french) in html
    assert english not in html


def test_the_first_screen_names_the_issuer_and_its_domain_and_the_did_waits_in_details(
        client, db, world):
    credential = issue(db, world)
    html = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    verdict = html[html.index('class="verdict valid"'):html.index("</section>")]
    assert "issued by AGFE (badges.example.org)" in verdict
    details = html[html.index('<details class="technical">'):]
    assert "did:web:badges.example.org:issuers:agfe" in details
    assert "did:web:" not in html[:html.index('<details class="technical">')].split("<main")[1]
