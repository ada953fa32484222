"""The partner admin's pages driven as a browser would."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from issuer.services import audit, unit_of_work
from issuer.services.verification import verify_stored
from issuer.store.models import (
    AccountToken,
    AchievementTemplate,
    ApiToken,
    AuditEvent,
    Credential,
    SigningKey,
    User,
)
from tests.helpers import (
    TEST_CATALOGUE,
    TEST_PASSWORD,
    count,
    csrf_token,
    csv_rows,
    issue,
    make_world,
    settings_for,
    submit,
)

DIG, STAKE = "dig-hole", "stake-and-water"
BOTH = {DIG: "acquired", STAKE: "acquired"}


def png(width=20, height=10) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(out, format="PNG")
    return out.getvalue()


def test_trainer_cannot_open_admin_pages(client, world, login):
    login(world.trainer)
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/keys").status_code == 403


# --- revocation --------------------------------------------------------------------------------


def test_revoke_needs_an_explicit_confirmation(client, world, admin, db):
    credential = issue(db, world, world.learners[0])
    response = submit(client, f"/admin/credentials/{credential.uuid}/revoke",
                      {"reason": "Issued to the wrong person"})
    assert response.status_code == 422
    assert "Tick the box to confirm." in response.get_data(as_text=True)
    db.refresh(credential)
    assert credential.revoked_at is None


def test_revoke_with_reason_records_an_audit_event(client, world, admin, db):
    credential = issue(db, world, world.learners[0])
    response = submit(client, f"/admin/credentials/{credential.uuid}/revoke",
                      {"reason": "Issued to the wrong person", "confirm": "y"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Credential, credential.id).revocation_reason == "Issued to the wrong person"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "credential.revoke"))
    assert (event.user_id, event.subject, event.detail["reason"]) == (
        world.admin.id, credential.uuid, "Issued to the wrong person")


def test_revoked_badge_verifies_as_revoked(client, world, admin, db):
    credential = issue(db, world, world.learners[0])
    submit(client, f"/admin/credentials/{credential.uuid}/revoke",
           {"reason": "Issued to the wrong person", "confirm": "y"})
    db.expire_all()
    assert verify_stored(db, db.get(Credential, credential.id)).verdict == "revoked"


def test_admin_of_another_organisation_cannot_revoke(client, world, db, login):
    credential = issue(db, world, world.learners[0])
    other = make_world(db, slug="barka", learner_names=())
    login(other.admin)
    page = f"/admin/credentials/{credential.uuid}/revoke"
    assert client.get(page).status_code == 403


def test_credentials_search_finds_by_learner_name(client, world, admin, db):
    first = issue(db, world, world.learners[0])
    second = issue(db, world, world.learners[1])
    page = client.get("/admin/credentials?q=zoé").get_data(as_text=True)
    assert first.short_id in page
    assert second.short_id not in page


def test_credentials_list_names_trainings_groups_wallet_copies_and_filters_by_status(
        client, world, admin, db):
    from issuer.services.claims import bind_to_holder
    from issuer.services.revocation import revoke

    kept = issue(db, world, world.learners[0])
    withdrawn = issue(db, world, world.learners[1])
    with unit_of_work(db):
        copy = bind_to_holder(db, kept, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
        revoke(db, withdrawn, "wrong person", world.admin)
    page = client.get("/admin/credentials?lang=en").get_data(as_text=True)
    assert copy.short_id not in page  # a copy is not a second badge...
    assert "1 copy in a wallet app" in page  # ...it is listed under its original
    assert "2 badges" in page
    assert kept.template.template_id in page
    only_valid = client.get("/admin/credentials?status=valid").get_data(as_text=True)
    assert kept.short_id in only_valid and withdrawn.short_id not in only_valid
    only_revoked = client.get("/admin/credentials?status=revoked").get_data(as_text=True)
    assert withdrawn.short_id in only_revoked and kept.short_id not in only_revoked
    assert client.get("/admin/credentials?status=bogus").status_code == 200


def test_credentials_list_gives_the_listed_revocation_reason_in_the_readers_language(
        client, world, admin, db):
    from issuer.services.revocation import revoke

    withdrawn = issue(db, world, world.learners[0])
    with unit_of_work(db):
        revoke(db, withdrawn, "carte donnée à Zoé", world.admin, code="wrong-person")
    page = client.get("/admin/credentials?lang=fr").get_data(as_text=True)
    assert "révoqué</span>: Délivré à la mauvaise personne — carte donnée à Zoé" in page


# --- keys --------------------------------------------------------------------------------------


def test_key_page_lists_public_keys_and_never_private_material(client, world, admin, db):
    key = db.scalar(select(SigningKey))
    page = client.get("/admin/keys").get_data(as_text=True)
    assert key.public_multibase in page
    assert "PRIVATE" not in page and "ENCRYPTED" not in page


def test_rotation_without_confirmation_changes_nothing(client, world, admin, db):
    response = submit(client, "/admin/keys", {})
    assert response.status_code == 422
    assert count(db, SigningKey) == 1


def test_rotation_adds_a_version_and_earlier_badges_stay_verifiable(client, world, admin, db):
    credential = issue(db, world, world.learners[0])
    response = submit(client, "/admin/keys", {"confirm": "y"})
    assert response.status_code == 302
    db.expire_all()
    versions = db.scalars(select(SigningKey).order_by(SigningKey.version)).all()
    assert [(k.version, k.active, k.retired_at is not None) for k in versions] == [
        (1, False, True), (2, True, False)]
    assert verify_stored(db, db.get(Credential, credential.id)).verdict == "valid"
    page = client.get("/admin/keys").get_data(as_text=True)
    assert versions[0].public_multibase in page and versions[1].public_multibase in page


# --- trainers ----------------------------------------------------------------------------------


def _invite(client, email="nora@agfe.example.org", **fields):
    return submit(client, "/admin/trainers", {"name": "Nora Neuve", "email": email,
                                              "role": "trainer", "language": "fr", **fields})


def test_an_invited_trainer_chooses_a_password_from_the_link_shown_once(client, world, admin,
                                                                       db, login):
    response = _invite(client)
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    link = re.search(r'<code class="one-time">([^<]+)</code>', page).group(1)
    assert "No e-mail was sent" in page  # no SMTP in this test
    token = link.rsplit("/", 1)[1]
    account = db.scalar(select(User).where(User.email == "nora@agfe.example.org"))
    assert account.password_hash == "" and "invited" in client.get("/admin/trainers").text
    assert token not in db.scalar(select(AccountToken.token_sha256))
    client.post("/auth/logout", data={"csrf_token": csrf_token(page)})
    path = link.removeprefix("https://badges.example.org")
    response = submit(client, path, {"name": "Nora Neuve", "password": "une phrase de passe",
                                     "confirm": "une phrase de passe"})
    assert response.status_code == 302 and response.location == "/trainer/"
    assert login("nora@agfe.example.org", "une phrase de passe").status_code == 302


def test_the_invitation_link_is_not_shown_again(client, world, admin):
    _invite(client)
    assert "one-time" not in client.get("/admin/trainers").get_data(as_text=True)


def test_an_invitation_is_e_mailed_when_smtp_is_set(smtp_server, overrides, world):
    from issuer.web import create_app
    from tests.helpers import TEST_PASSWORD, smtp_overrides

    controller, mailbox = smtp_server
    app = create_app({**overrides, **smtp_overrides(controller)})
    client = app.test_client()
    submit(client, "/auth/login", {"email": world.admin.email, "password": TEST_PASSWORD})
    page = _invite(client, language="pl").get_data(as_text=True)
    link = re.search(r'<code class="one-time">([^<]+)</code>', page).group(1)
    [(_sender, recipients, message)] = mailbox.messages
    assert recipients == ["nora@agfe.example.org"] and message["Content-Language"] == "pl"
    assert link in message.get_content() and "The invitation was sent by e-mail." in page
    app.extensions["sky_engine"].dispose()


def test_deactivated_trainer_can_no_longer_log_in(client, world, admin, db, login):
    page = "/admin/trainers"
    response = submit(client, page, {}, action=f"/admin/trainers/{world.trainer.id}/deactivate")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(User, world.trainer.id).active is False
    client.post("/auth/logout", data={"csrf_token": csrf_token(client.get(page).text)})
    assert login(world.trainer).status_code == 401


def test_reactivated_trainer_can_log_in_again(client, world, admin, db, login):
    submit(client, "/admin/trainers", {}, action=f"/admin/trainers/{world.trainer.id}/deactivate")
    response = submit(client, "/admin/trainers", {},
                      action=f"/admin/trainers/{world.trainer.id}/reactivate")
    assert response.status_code == 302
    client.post("/auth/logout", data={"csrf_token": csrf_token(client.get("/admin/").text)})
    assert login(world.trainer).status_code == 302


# --- API tokens --------------------------------------------------------------------------------


TOKEN_FORM = {"name": "CRM sync", "read": "y", "issue": "y", "lifetime_days": "365"}


def test_api_token_is_shown_once_and_only_its_hash_is_stored(client, world, admin, db):
    response = submit(client, "/admin/tokens", TOKEN_FORM)
    token = re.search(r'<code class="one-time">([^<]+)</code>', response.text).group(1)
    record = db.scalar(select(ApiToken))
    assert record.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in client.get("/admin/tokens").text


def test_revoked_api_token_is_marked_revoked(client, world, admin, db):
    submit(client, "/admin/tokens", TOKEN_FORM)
    record = db.scalar(select(ApiToken))
    response = submit(client, "/admin/tokens", {}, action=f"/admin/tokens/{record.id}/revoke")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(ApiToken, record.id).revoked_at is not None


def test_api_token_gets_the_permissions_and_expiry_chosen(client, world, admin, db):
    submit(client, "/admin/tokens", {"name": "Read-only dashboard", "read": "y",
                                     "lifetime_days": "30"})
    record = db.scalar(select(ApiToken))
    assert record.scopes == "read"
    assert (record.expires_at - record.created_at).days == 30
    page = client.get("/admin/tokens").text
    assert "<code>read</code>" in page


def test_api_token_for_the_vc_api_status_update_is_a_choice_apart(client, world, admin, db):
    form = client.get("/admin/tokens").text
    assert 'name="status"' in form and "Revoke or suspend credentials signed through the " \
        "VC-API" in form
    submit(client, "/admin/tokens", {"name": "W3C suites", "sign": "y", "status": "y",
                                     "lifetime_days": "30"})
    assert db.scalar(select(ApiToken)).scopes == "sign status"


def test_api_token_without_any_permission_is_refused(client, world, admin, db):
    response = submit(client, "/admin/tokens", {"name": "Nothing", "lifetime_days": "30"})
    assert response.status_code == 422
    assert "Tick at least one thing the token may do." in response.text
    assert db.scalar(select(ApiToken)) is None


# --- organisation profile ----------------------------------------------------------------------


def test_profile_update_with_a_png_logo(client, world, admin, db):
    logo = png()
    response = submit(client, "/admin/organisation", {
        "name": "AGFE Lyon", "url": "https://agfe.example.org", "email": "", "description": "",
        "country_code": "fr", "region": "", "locality": "Lyon", "default_language": "fr",
        "logo": (io.BytesIO(logo), "logo.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    db.expire_all()
    org = db.get(type(world.org), world.org.id)
    assert (org.name, org.country_code, org.locality, org.logo_png) == (
        "AGFE Lyon", "FR", "Lyon", logo)


def test_a_logo_that_is_not_a_png_is_refused(client, world, admin, db):
    jpeg = io.BytesIO()
    Image.new("RGB", (5, 5)).save(jpeg, format="JPEG")
    response = submit(client, "/admin/organisation", {
        "name": "AGFE", "country_code": "FR", "default_language": "fr",
        "logo": (io.BytesIO(jpeg.getvalue()), "logo.png")}, content_type="multipart/form-data")
    assert "This file is not a PNG image." in response.text
    db.expire_all()
    assert db.get(type(world.org), world.org.id).logo_png is None


# --- catalogue ---------------------------------------------------------------------------------


BAD_TRAINING = (TEST_CATALOGUE / "trainings" / "tree-planting.toml").read_text("utf-8").replace(
    'id = "tree-planting"', 'id = "hedge-laying"').replace("duration_hours = 3",
                                                             "duration_hours = 30")


def test_uploaded_template_errors_name_the_file_and_the_field(client, world, admin, db):
    response = submit(client, "/admin/catalogue", {
        "file": (io.BytesIO(BAD_TRAINING.encode()), "hedge.toml")},
        action="/admin/catalogue/upload", content_type="multipart/form-data")
    assert response.status_code == 422
    assert "hedge.toml: duration_hours: 30 is outside 1.5–24 hours" in response.text
    assert count(db, AchievementTemplate, AchievementTemplate.template_id == "hedge-laying") == 0


def test_uploaded_valid_template_is_imported(client, world, admin, db):
    good = BAD_TRAINING.replace("duration_hours = 30", "duration_hours = 4")
    response = submit(client, "/admin/catalogue", {
        "file": (io.BytesIO(good.encode()), "hedge.toml")},
        action="/admin/catalogue/upload", content_type="multipart/form-data")
    assert response.status_code == 302
    assert count(db, AchievementTemplate, AchievementTemplate.template_id == "hedge-laying") == 1


HEDGE = BAD_TRAINING.replace("duration_hours = 30", "duration_hours = 4")


def upload(client, text: str, name: str = "hedge.toml"):
    return submit(client, "/admin/catalogue", {"file": (io.BytesIO(text.encode()), name)},
                  action="/admin/catalogue/upload", content_type="multipart/form-data")


def test_a_partner_cannot_publish_a_version_of_another_organisations_training(
        app, client, db, world, admin):
    assert upload(client, HEDGE).status_code == 302  # AGFE publishes hedge-laying 1.0
    other = make_world(db, slug="barka")
    rival = app.test_client()
    submit(rival, "/auth/login", {"email": other.admin.email, "password": TEST_PASSWORD})
    changed = HEDGE.replace('version = "1.0"', 'version = "1.1"').replace(
        "Planting a young tree", "Anything BARKA wants AGFE to sign")
    response = upload(rival, changed)
    assert response.status_code == 422
    assert "is published by another organisation" in response.text
    template = db.scalar(select(AchievementTemplate).where(
        AchievementTemplate.template_id == "hedge-laying"))
    assert (template.version, template.owner_id) == ("1.0", world.org.id)
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "catalogue.import")).all()
    assert [e.organisation_id for e in events if "hedge" in str(e.detail)] == [world.org.id]


def test_a_partners_training_is_issued_only_after_adoption_and_at_the_adopted_version(
        client, db, world, admin):
    from issuer.services import catalogue

    other = make_world(db, slug="barka")
    assert upload(client, HEDGE).status_code == 302
    hedge = db.scalar(select(AchievementTemplate).where(
        AchievementTemplate.template_id == "hedge-laying"))
    assert catalogue.issuable_template(db, other.org, "hedge-laying") is None
    with unit_of_work(db):
        catalogue.adopt(db, other.org, hedge, other.admin)
    assert catalogue.issuable_template(db, other.org, "hedge-laying").id == hedge.id
    newer = HEDGE.replace('version = "1.0"', 'version = "1.1"')
    assert upload(client, newer).status_code == 302
    db.expire_all()
    assert catalogue.issuable_template(db, world.org, "hedge-laying").version == "1.1"
    assert catalogue.issuable_template(db, other.org, "hedge-laying").version == "1.0"


def test_the_catalogue_page_offers_a_partners_training_for_adoption(client, db, world, admin):
    from issuer.services import catalogue

    other = make_world(db, slug="barka")
    with unit_of_work(db):
        other.org.name = "BARKA"
        catalogue.import_catalogue(db, _folder_with(HEDGE), other.admin, owner=other.org)
    hedge = db.scalar(select(AchievementTemplate).where(
        AchievementTemplate.template_id == "hedge-laying"))
    page = client.get("/admin/catalogue").text
    row = page.split("<code>hedge-laying</code>")[1].split("</tr>")[0]
    assert "<td>BARKA</td>" in row and "Issue version 1.0" in row
    response = submit(client, "/admin/catalogue", {},
                      action=f"/admin/catalogue/{hedge.id}/adopt", follow_redirects=True)
    assert "Your organisation now issues version 1.0 of this training." in response.text
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "catalogue.adopt")) is not None


def _folder_with(text: str):
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp())
    for extra in TEST_CATALOGUE.glob("*.toml"):
        shutil.copy(extra, root / extra.name)
    (root / "trainings").mkdir()
    (root / "trainings" / "hedge-laying.toml").write_text(text, "utf-8")
    return root


@pytest.fixture
def overrides(database_url, tmp_path) -> dict:
    """This module's instance: the test catalogue is the bundled folder."""
    return settings_for(tmp_path / "instance", database_url, AUTO_MIGRATE=False,
                        SKY_CATALOGUE_PATH=str(TEST_CATALOGUE))


def test_bundled_catalogue_import_adds_nothing_twice(client, world, admin, db):
    response = submit(client, "/admin/catalogue", {}, action="/admin/catalogue/import",
                      follow_redirects=True)
    assert "0 new template version(s) imported." in response.text


# --- audit log and statistics ------------------------------------------------------------------


def test_audit_log_shows_the_organisations_events(client, world, admin, db):
    credential = issue(db, world, world.learners[0])
    page = client.get("/admin/audit").text
    assert "credential.issue" in page and credential.uuid in page


def test_audit_log_is_paginated_newest_first(client, world, admin, db):
    with unit_of_work(db):
        for number in range(60):
            audit(db, "test.event", None, world.org, f"event-{number:02d}")
    first = client.get("/admin/audit").text
    second = client.get("/admin/audit?page=2").text
    assert "event-59" in first and "event-10" in first and "event-09" not in first
    assert "event-09" in second and "event-59" not in second
    assert 'href="/admin/audit?page=2"' in first


def test_statistics_csv_export_has_headers_and_counts(client, world, admin, db):
    issue(db, world, world.learners[0])
    response = client.get("/admin/stats/micro_training.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows == [["micro_training", "name", "assessed", "issued", "revoked",
                     "not_yet_acquired"],
                    ["tree-planting", "Planting a young tree", "1", "1", "0", "0"]]


def test_statistics_page_shows_each_table(client, world, admin, db):
    issue(db, world, world.learners[0])
    page = client.get("/admin/stats").text
    for heading in ("Per partner", "Per theme", "Per micro-training", "Per gesture"):
        assert heading in page
    assert "AGFE" in page and "Dig the planting hole" in page


def test_statistics_csv_follows_the_filters_of_the_page(client, world, admin, db):
    issue(db, world, world.learners[0])
    assert "tree-planting" in client.get("/admin/stats/micro_training.csv?language=fr").text
    rows = csv_rows(client.get("/admin/stats/micro_training.csv?language=pl"))
    assert rows == [["micro_training", "name", "assessed", "issued", "revoked",
                     "not_yet_acquired"]]
    page = client.get("/admin/stats?language=pl").text
    assert 'href="/admin/stats/partner.csv?partner=agfe&amp;language=pl"' in page


def test_a_bad_statistics_filter_is_a_form_error(client, world, admin):
    response = client.get("/admin/stats?from=yesterday")
    assert response.status_code == 422
    assert "“yesterday” is not a date (YYYY-MM-DD) for “from”." in response.text
    assert client.get("/admin/stats/partner.csv?trainer=abc").status_code == 422


def test_a_partner_admin_never_sees_another_partners_statistics(client, world, admin, db):
    other = make_world(db, slug="barka", learner_names=("Jan Kowalski",))
    issue(db, other, other.learners[0])
    assert client.get("/admin/stats?partner=barka").status_code == 403
    assert client.get("/admin/stats/partner.csv?partner=barka").status_code == 403
    assert "barka" not in client.get("/admin/stats/partner.csv").text


def test_statistics_page_shows_the_learners_path_and_the_progress_toward_targets(
        client, world, admin, db):
    issue(db, world, world.learners[0])
    page = client.get("/admin/stats").text
    assert "The learner's path" in page and "Progress toward the targets" in page
    rows = csv_rows(client.get("/admin/stats/funnel.csv"))
    assert rows[0][:7] == ["group", "key", "name", "enrolled", "enrolled_dropped", "evaluated",
                           "evaluated_dropped"]
    assert rows[1][:9] == ["all", "all", "", "1", "0", "1", "0", "1", "0"]
    targets = csv_rows(client.get("/admin/stats/targets.csv"))
    assert targets == [["partner", "name", "learners", "learners_target", "micro_trainings",
                        "micro_trainings_target"], ["agfe", "AGFE", "1", "", "1", ""]]


def test_statistics_download_suits_the_readers_spreadsheet(client, world, admin, db):
    issue(db, world, world.learners[0])
    rows = csv_rows(client.get("/admin/stats/partner.csv?lang=fr",
                               headers={"Accept-Language": "fr"}), delimiter=";")
    assert rows[1] == ["agfe", "AGFE", "1", "1", "0", "0"]
    response = client.get("/admin/stats/partner.xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert client.get("/admin/stats/partner.ods").status_code == 404


# --- bulk issuance -----------------------------------------------------------------------------


CSV_GOOD_AND_BAD = (
    "name;email;dig-hole;stake-and-water;comment\n"
    "Amélie Durand;amelie@example.org;acquired;acquired;Bravo\n"
    "Bastien Roy;;acquired;not-yet;\n"
    ";nobody@example.org;acquired;acquired;\n"
    "Chloé Martin;;acquired;maybe;\n"
)


def preview(client, world, text=CSV_GOOD_AND_BAD):
    return submit(client, "/admin/bulk", {
        "session": str(world.session.id),
        "file": (io.BytesIO(("\ufeff" + text).encode("utf-8")), "learners.csv")},
        content_type="multipart/form-data")


def verdicts(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr class="verdict-([\w-]+)">\s*<td>(\d+)</td>', page)


def test_bulk_dry_run_shows_a_verdict_per_row_and_issues_nothing(client, world, admin, db):
    response = preview(client, world)
    assert response.status_code == 200
    assert verdicts(response.text) == [("will-issue", "2"), ("not-yet", "3"), ("error", "4"),
                                       ("error", "5")]
    assert "name: is empty" in response.text
    assert "stake-and-water: &#39;maybe&#39; is not a level" in response.text
    assert "/admin/bulk/run" not in response.text  # a file with an error cannot be confirmed
    assert count(db, Credential) == 0


def test_bulk_file_with_an_unknown_column_is_refused_next_to_the_field(client, world, admin):
    response = preview(client, world, "name,dig-hole,stake-and-water,stake_and_water\nA,x,y,z\n")
    assert response.status_code == 422
    assert "unknown column(s) stake_and_water" in response.text


def test_bulk_template_csv_has_the_sessions_columns(client, world, admin):
    response = client.get(f"/admin/bulk/template/{world.session.id}.csv")
    assert response.mimetype == "text/csv"
    assert response.data.decode("utf-8") == (
        "\ufeffname,email,language,dig-hole,stake-and-water,comment,activity_start,"
        "activity_end,consent_name,consent_email,consent_photo,consent_statistics\r\n")


def test_bulk_help_lists_the_columns_for_the_chosen_session(client, world, admin):
    page = client.get(f"/admin/bulk?session={world.session.id}").text
    assert "name,email,language,dig-hole,stake-and-water,comment,activity_start,activity_end" \
        in page
    assert ("<code>dig-hole</code> — Creuser le trou de plantation:\n    "
            "<code>not-yet</code> (Pas encore acquis), <code>acquired</code> (Acquis)") in page


# --- learner records -------------------------------------------------------------------------


def test_admin_downloads_a_learners_record_that_verifies(client, world, admin, db):
    from issuer.core.resolver import KeyResolver
    from issuer.core.verify import verify_credential
    from issuer.services.verification import local_fetch_json

    credential = issue(db, world, world.learners[0])
    response = client.get(f"/admin/learners/{world.learners[0].id}/record.json")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+ld+json"
    record = response.get_json(force=True)
    fetch_json = local_fetch_json(db)
    report = verify_credential(record, resolver=KeyResolver(fetch_json), fetch_json=fetch_json)
    assert report.verdict == "valid"
    assert record["credentialSubject"]["verifiableCredential"] == [
        json.loads(credential.signed_json)]


def test_admin_prints_a_learners_summary(client, world, admin, db):
    issue(db, world, world.learners[0])
    response = client.get(f"/admin/learners/{world.learners[0].id}/record.pdf")
    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    assert response.data.startswith(b"%PDF-")


def test_credentials_list_links_to_the_learners_record(client, world, admin, db):
    issue(db, world, world.learners[0])
    page = client.get("/admin/credentials").get_data(as_text=True)
    assert f'href="/admin/learners/{world.learners[0].id}/record.json"' in page
    assert f'href="/admin/learners/{world.learners[0].id}/record.pdf"' in page


def test_admin_of_another_organisation_cannot_get_the_record(client, world, db, login):
    issue(db, world, world.learners[0])
    other = make_world(db, slug="barka", learner_names=())
    login(other.admin)
    assert client.get(f"/admin/learners/{world.learners[0].id}/record.json").status_code == 404
    assert client.get(f"/admin/learners/{world.learners[0].id}/record.pdf").status_code == 404
    assert client.get("/admin/learners/999999/record.json").status_code == 404


# --- endorsements ----------------------------------------------------------------------------

COMMENT = "We observed this micro-training: the gestures are those of the trade."


@pytest.fixture
def partner_admin(client, db, world, login):
    """The admin of a second organisation, logged in: the endorser."""
    other = make_world(db, slug="barka", learner_names=())
    with unit_of_work(db):
        other.org.name = "BARKA Foundation"
    login(other.admin)
    return other


def endorse_page(client, world, confirm="y"):
    data = {"template": str(world.template.id), "comment": COMMENT}
    if confirm:
        data["confirm"] = confirm
    return submit(client, "/admin/endorsements", data)


def test_endorsing_needs_an_explicit_confirmation(client, world, partner_admin, db):
    from issuer.store.stacking_models import Endorsement

    response = endorse_page(client, world, confirm=None)
    assert response.status_code == 422
    assert count(db, Endorsement) == 0


def test_a_badge_issued_after_an_endorsement_carries_it_and_shows_the_endorser(
        client, world, partner_admin, db):
    from issuer.services.keys import issuer_did

    response = endorse_page(client, world)
    assert response.status_code == 302
    credential = issue(db, world, world.learners[0])
    [embedded] = json.loads(credential.signed_json)["credentialSubject"]["achievement"][
        "endorsement"]
    assert embedded["issuer"]["id"] == issuer_did(partner_admin.org)
    page = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    endorsed = re.search(r'<section class="endorsements">.*?</section>', page, re.S).group(0)
    assert "<strong>BARKA Foundation</strong>" in endorsed
    assert "Endorsement verified" in endorsed
    assert f"<p>{COMMENT}</p>" in endorsed


def test_the_endorsements_page_lists_what_the_organisation_endorsed(
        client, world, partner_admin, db):
    endorse_page(client, world)
    page = client.get("/admin/endorsements").get_data(as_text=True)
    assert COMMENT in page
    assert f"{world.template.template_id}@{world.template.version}" in page


def test_a_withdrawn_endorsement_is_not_in_badges_issued_afterwards(
        client, world, partner_admin, db):
    from issuer.store.stacking_models import Endorsement

    endorse_page(client, world)
    first = db.scalar(select(Endorsement).order_by(Endorsement.id))
    response = submit(client, "/admin/endorsements", {},
                      action=f"/admin/endorsements/{first.id}/withdraw")
    assert response.status_code == 302
    assert count(db, Endorsement, Endorsement.withdrawn_at.is_(None)) == 0
    credential = issue(db, world, world.learners[0])
    achievement = json.loads(credential.signed_json)["credentialSubject"]["achievement"]
    assert "endorsement" not in achievement


def test_statistics_columns_use_the_plural_words_of_a_count(client, world, admin, db):
    page = client.get("/admin/stats?lang=pl").text
    assert "<th>Wydano</th>" in page and "<th>Unieważniono</th>" in page
    assert "<th>Nazwa</th>" in page
