"""The learner's claim page: no account, the learner's language, every way to keep the badge."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from issuer.services import unit_of_work
from issuer.services.catalogue import template_name
from issuer.services.claims import bind_to_holder, claim_url, wallet_copies
from issuer.services.consent import Consent, record
from issuer.services.revocation import revoke
from issuer.services.urls import verify_url
from issuer.store.wallet_models import CredentialOffer, WalletExchange
from tests.helpers import count, document, issue, open_claim

BASE = "https://badges.example.org"


def _page(client, badge, suffix="", **headers):
    response = client.get(f"/claim/{badge.claim_token}{suffix}", headers=headers)
    return response, response.get_data(as_text=True)


def _links(page: str) -> list[str]:
    return [html.unescape(link) for link in re.findall(r'href="([^"]+)"', page)]


def test_claim_url_is_on_the_public_base(badge):
    assert claim_url(badge, badge.claim_token) == f"{BASE}/claim/{badge.claim_token}"


def test_claim_page_opens_without_an_account(client, badge):
    response, page = _page(client, badge)
    assert response.status_code == 200
    assert html.escape(document(badge)["credentialSubject"]["achievement"]["name"]) in page


def test_claim_page_is_in_the_learners_language_not_the_browsers(client, badge):
    response, _page_text = _page(client, badge, **{"Accept-Language": "pl"})
    assert response.headers["Content-Language"] == "fr"


def test_language_switch_on_the_claim_page(client, badge):
    response = client.get(f"/claim/{badge.claim_token}?lang=nl")
    assert response.headers["Content-Language"] == "nl"


def test_claim_page_is_private_and_never_cached(client, badge):
    response, _ = _page(client, badge)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_claim_page_offers_the_baked_png_and_the_json(client, badge):
    _, page = _page(client, badge)
    links = _links(page)
    assert f"/credentials/{badge.uuid}.png" in links
    assert f"/credentials/{badge.uuid}.json" in links


def test_linkedin_link_names_the_certification_and_the_public_page(client, badge):
    _, page = _page(client, badge)
    link = next(link for link in _links(page) if link.startswith("https://www.linkedin.com/"))
    parts = urlsplit(link)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    issued = badge.valid_from
    assert (parts.netloc, parts.path) == ("www.linkedin.com", "/profile/add")
    assert query == {
        "startTask": "CERTIFICATION_NAME",
        "name": document(badge)["credentialSubject"]["achievement"]["name"],
        "organizationName": "AGFE",
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "expirationYear": str(badge.valid_until.year),
        "expirationMonth": str(badge.valid_until.month),
        "certUrl": f"{BASE}/v/{badge.short_id}",
        "certId": badge.short_id,
    }


def test_unknown_claim_token_is_not_found(client, badge):
    assert client.get("/claim/not-a-real-token").status_code == 404


def test_wallet_step_shows_fresh_invitations_as_inline_svg_qr_codes(client, db, badge):
    response, page = _page(client, badge, "/wallet")
    assert response.status_code == 200
    assert len(re.findall(r"<svg [^>]*class=\"qr\" role=\"img\"", page)) == 2
    assert "<script" not in page
    assert (count(db, WalletExchange), count(db, CredentialOffer)) == (1, 1)


def test_wallet_step_links_to_lcw_and_to_an_openid_offer_by_reference(client, badge):
    _, page = _page(client, badge, "/wallet")
    links = _links(page)
    lcw = next(link for link in links if link.startswith("https://lcw.app/request?request="))
    offer = next(link for link in links if link.startswith("openid-credential-offer://"))
    interaction = next(link for link in links if link.startswith("interaction:"))
    assert parse_qs(urlsplit(lcw).query)["request"][0].startswith('{"credentialRequestOrigin"')
    assert unquote(offer).startswith(
        f"openid-credential-offer://?credential_offer_uri={BASE}/oid4vci/offers/")
    assert interaction.startswith(f"interaction:{BASE}/wallet/interactions/")
    assert interaction.endswith("?iuv=1")


def test_revoked_badge_offers_no_wallet(client, db, world, badge):
    with unit_of_work(db):
        revoke(db, badge, "issued by mistake", world.admin)
    _, page = _page(client, badge)
    response, _ = _page(client, badge, "/wallet")
    assert "linkedin.com" not in page
    assert response.status_code == 410
    assert count(db, WalletExchange) == 0


def test_a_withdrawn_badge_says_so_and_offers_nothing_that_shows_it_off(client, db, world, badge):
    with unit_of_work(db):
        revoke(db, badge, "issued by mistake", world.admin)
    _, page = _page(client, badge, "?lang=en")
    assert "This badge no longer counts" in page
    assert "AGFE withdrew it on" in page
    assert "If you think this is a mistake, ask AGFE." in page
    assert 'href="mailto:contact@agfe.example.org"' in page
    assert "issued by mistake" not in page  # the reason stays private unless published
    for offer in ("Show it to an employer", "Print a certificate", "Print my card again",
                  "Download the picture"):
        assert offer not in page
    for suffix in ("/certificate.pdf", "/card.pdf"):
        assert _page(client, badge, suffix)[0].status_code == 410


def test_binding_keeps_the_original_valid_and_makes_a_copy(db, world, badge):
    holder = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    with unit_of_work(db):
        copy = bind_to_holder(db, badge, holder)
    signed = document(copy)
    assert signed["credentialSubject"]["id"] == holder
    assert (copy.supersedes_id, badge.revoked_at) == (badge.id, None)
    assert signed["id"] == f"{BASE}/credentials/{copy.uuid}" != document(badge)["id"]
    assert (copy.status_list_id, copy.status_index) != (badge.status_list_id, badge.status_index)
    assert signed["credentialSubject"]["result"] == document(badge)["credentialSubject"]["result"]


def test_binding_twice_to_one_did_gives_the_same_copy(db, world, badge):
    holder = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    with unit_of_work(db):
        first = bind_to_holder(db, badge, holder)
        second = bind_to_holder(db, badge, holder)
    assert first.id == second.id
    assert [c.id for c in wallet_copies(db, badge)] == [first.id]


def test_claim_page_shows_the_skill_and_what_is_left(client, db, world):
    from issuer.services.catalogue import training_of
    from tests.helpers import ONLINE, import_sample_catalogue, issue_part

    templates = import_sample_catalogue(db)
    first = issue_part(db, templates, world.trainer, world.learners[0], ONLINE[0])
    open_claim(client, first.claim_token)
    page = client.get(f"/claim/{first.claim_token}?lang=en").get_data(as_text=True)
    names = [html.escape(training_of(templates[part]).name_in("en")) for part in ONLINE]
    skill = re.search(r"Your next step: ([^<]+)</h2>.*?</section>", page, re.S)
    assert skill, "the claim page shows no skill"
    assert "You have 1 of 3 badges." in skill.group(0)
    done = re.findall(r"&#10004;</span> Done</span> ([^<]+)</li>", skill.group(0))
    left = re.findall(r"&#9675;</span> Still to do</span> ([^<]+)</li>", skill.group(0))
    assert (done, left) == (names[:1], names[1:])


# --- the learner record ------------------------------------------------------------------------


def _verify_here(db, credential: dict):
    from issuer.core.resolver import KeyResolver
    from issuer.core.verify import verify_credential
    from issuer.services.verification import local_fetch_json

    fetch_json = local_fetch_json(db)
    return verify_credential(credential, resolver=KeyResolver(fetch_json), fetch_json=fetch_json)


def test_claim_page_links_to_the_record_file_and_its_printable_summary(client, badge):
    _, page = _page(client, badge, "?lang=en")
    links = _links(page)
    assert f"/claim/{badge.claim_token}/record.json" in links
    assert f"/claim/{badge.claim_token}/record.pdf?lang=en" in links
    assert "Download all my badges in one file (for a training centre)" in page
    assert "Print a summary of my badges" in page


def test_learner_downloads_a_record_that_verifies_and_fits_the_clr_schema(client, db, badge):
    from issuer.core import schema

    response = client.get(f"/claim/{badge.claim_token}/record.json")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+ld+json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    record = response.get_json(force=True)
    assert schema.errors(record, "clrcredential") == []
    assert _verify_here(db, record).verdict == "valid"
    assert record["credentialSubject"]["verifiableCredential"] == [document(badge)]


def test_learner_prints_a_summary_whose_qr_codes_open_their_badges(client, db, world, badge):
    import io

    import pypdfium2
    import zxingcpp

    response = client.get(f"/claim/{badge.claim_token}/record.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    [page] = pypdfium2.PdfDocument(io.BytesIO(response.data))
    decoded = [r.text for r in zxingcpp.read_barcodes(page.render(scale=200 / 72).to_pil())]
    assert decoded == [f"{BASE}/v/{badge.short_id}"]


def test_record_of_an_unknown_claim_token_is_not_found(client, badge):
    assert client.get("/claim/not-a-token/record.json").status_code == 404
    assert client.get("/claim/not-a-token/record.pdf").status_code == 404


@pytest.mark.parametrize(("path", "pages"), [("card.pdf", 1), ("certificate.pdf", 1)])
def test_learner_prints_their_card_or_certificate_whose_qr_opens_the_badge(client, badge, path,
                                                                            pages):
    import io

    import pypdfium2
    import zxingcpp

    response = client.get(f"/claim/{badge.claim_token}/{path}")
    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    document = pypdfium2.PdfDocument(io.BytesIO(response.data))
    assert len(document) == pages
    decoded = [r.text for r in zxingcpp.read_barcodes(document[0].render(scale=300 / 72).to_pil())]
    # Only the public verification QR: a shared card must not hand over the claim link.
    assert decoded == [f"{BASE}/v/{badge.short_id}"]


def test_claim_page_links_to_the_card_and_the_certificate(client, badge):
    page = client.get(f"/claim/{badge.claim_token}").get_data(as_text=True)
    assert f"/claim/{badge.claim_token}/card.pdf" in page
    assert f"/claim/{badge.claim_token}/certificate.pdf" in page


def app_client(client):
    """Another browser on the same service."""
    return client.application.test_client()


def _badge_of_another_organisation(db):
    from tests.helpers import issue, make_world

    other = make_world(db, slug="cec", learner_names=("Zoé Lefèvre",))
    return issue(db, other)


def test_a_learner_adds_another_card_and_their_record_shows_both(client, db, badge):
    theirs = _badge_of_another_organisation(db)
    open_claim(client, theirs.claim_token)  # the other card, opened with its own code
    before = client.get(f"/claim/{badge.claim_token}/record.json").get_json(force=True)
    assert len(before["credentialSubject"]["verifiableCredential"]) == 1
    response = client.post(f"/claim/{badge.claim_token}/link?lang=en",
                           data={"other": f"  {BASE}/claim/{theirs.claim_token}  "},
                           follow_redirects=True)
    assert "the badges of both cards are now shown together" in response.get_data(as_text=True)
    after = client.get(f"/claim/{badge.claim_token}/record.json").get_json(force=True)
    ids = {c["id"] for c in after["credentialSubject"]["verifiableCredential"]}
    assert ids == {document(badge)["id"], document(theirs)["id"]}


def test_a_wrong_code_links_nothing_and_says_so(client, db, badge):
    theirs = _badge_of_another_organisation(db)
    response = client.post(f"/claim/{badge.claim_token}/link?lang=en",
                           data={"other": theirs.claim_token[:-2] + "xx"},
                           follow_redirects=True)
    assert "First open the link on the back of the other card" in response.get_data(
        as_text=True)
    db.expire_all()
    assert badge.learner.person_uuid is None


def test_the_back_of_someone_elses_card_alone_cannot_join_their_badges_to_mine(
        client, db, world, badge):
    """An employer handed a learner's card holds its back: with their own claim link they
    still cannot pull that learner's badges into their own record."""
    learners = issue(db, world, world.learners[1])  # opened by its learner elsewhere
    assert open_claim(app_client(client), learners.claim_token).status_code == 302
    response = client.post(f"/claim/{badge.claim_token}/link?lang=en",
                           data={"other": f"{BASE}/claim/{learners.claim_token}"},
                           follow_redirects=True)
    assert "First open the link on the back of the other card" in response.get_data(
        as_text=True)
    record = client.get(f"/claim/{badge.claim_token}/record.json").get_json(force=True)
    assert [c["id"] for c in record["credentialSubject"]["verifiableCredential"]] == [
        document(badge)["id"]]


def test_wallet_step_says_what_to_install_first_in_plain_words(client, badge):
    _, page = _page(client, badge, "/wallet?lang=en")
    links = _links(page)
    assert "https://play.google.com/store/apps/details?id=app.lcw" in links
    assert any(link.startswith("https://apps.apple.com/") for link in links)
    assert page.index("No wallet app yet?") < page.index("Open in the Learner Credential Wallet")
    visible = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1])
    for jargon in ("VC-API", "OpenID", "OID4VCI", "DID"):
        assert jargon not in visible


# --- my badges ---------------------------------------------------------------------------------


def _held(page: str) -> list[str]:
    listed = re.search(r'<ul class="held-badges">(.*?)</ul>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split())
            for item in re.findall(r"<li>(.*?)</li>", listed.group(1), re.S)] if listed else []


def test_the_claim_page_lists_every_badge_of_the_learner_and_only_theirs(client, db, world,
                                                                         badge):
    from tests.helpers import ONLINE, import_sample_catalogue, issue_part

    templates = import_sample_catalogue(db)  # the same learner, another training's badge
    second = issue_part(db, templates, world.trainer, badge.learner, ONLINE[0])
    with unit_of_work(db):
        revoke(db, second, reason="typed in error", actor=world.admin)
    issue(db, world, world.learners[1])  # someone else's: never on this page
    _, page = _page(client, badge, "?lang=en")
    held = _held(page)
    assert len(held) == 2, held
    assert sum("withdrawn" in item for item in held) == 1
    assert all("AGFE" in item for item in held)
    for credential in (badge, second):  # each named in words, in the page's language
        assert sum(template_name(credential.template, "en") in item for item in held) == 1
    links = _links(page)
    assert verify_url(second) in links and verify_url(badge) in links


def test_a_learner_with_one_badge_sees_no_list_of_one(client, badge):
    _, page = _page(client, badge, "?lang=en")
    assert _held(page) == []


def test_linked_cards_list_the_badges_of_both_organisations(client, db, badge):
    theirs = _badge_of_another_organisation(db)
    open_claim(client, theirs.claim_token)
    client.post(f"/claim/{badge.claim_token}/link?lang=en",
                data={"other": theirs.claim_token})
    _, page = _page(client, badge, "?lang=en")
    held = _held(page)
    assert len(held) == 2, held
    assert verify_url(theirs) in _links(page)


def _agreed_section(page: str) -> str:
    section = re.search(r'<section aria-labelledby="agreed">(.*?)</section>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(section.group(1))))


def test_claim_page_says_what_the_learner_agreed_to_and_whom_to_ask(client, badge):
    _response, page = _page(client, badge, "?lang=en")
    text = _agreed_section(page)
    assert "What you agreed to" in text
    assert "Your name is written on your badges." in text
    assert "The link to your badge may be sent to you by e-mail." in text
    assert "Photos of your work may be taken and shown with your badge." in text
    assert "You are counted, without your name, in the statistics of the SKY project." in text
    assert "To change your answers, ask your trainer or write to contact@agfe.example.org." \
        in text
    assert "/issuers/agfe/privacy?lang=en" in _links(page)


def test_claim_page_shows_an_answer_changed_by_the_organisation(client, db, world, badge):
    with unit_of_work(db):
        record(db, badge.learner, Consent(name=True), world.admin)
    text = _agreed_section(_page(client, badge, "?lang=en")[1])
    assert "Your name is written on your badges." in text
    assert "No e-mail is sent to you." in text
    assert "No photos of your work are taken." in text
    assert "You are not counted in the statistics of the SKY project." in text


def test_claim_page_says_what_the_learner_agreed_to_in_their_language(client, badge):
    text = _agreed_section(_page(client, badge)[1])
    assert "What you agreed to" not in text and "Votre nom" in text
