"""The verifier's slots (issuer/web/capacity.py): when every slot of a worker process is held by
a verification, the next one is refused at once with 503 and Retry-After, pages still answer, and
a freed slot serves again."""

from __future__ import annotations

import pytest

from issuer.web.capacity import RETRY_AFTER_SECONDS, verification_slot


@pytest.fixture
def one_slot(app):
    app.config["SETTINGS"] = app.config["SETTINGS"].with_changes(verify_slots=1)


def test_a_held_slot_refuses_the_next_verification_with_503(client, badge, one_slot):
    with verification_slot(1) as taken:  # a slow verification holds the only slot
        assert taken
        page = client.post("/verify?lang=en", data={"credential": badge.signed_json})
        as_json = client.post("/verify", data={"credential": badge.signed_json},
                              headers={"Accept": "application/json"})
        home = client.get("/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "The verifier is busy" in page.get_data(as_text=True)
    assert (as_json.status_code, as_json.json["error"]["code"]) == (503, "busy")
    assert home.status_code == 200
    freed = client.post("/verify", data={"credential": badge.signed_json},
                        headers={"Accept": "application/json"})
    assert (freed.status_code, freed.json["verdict"]) == (200, "valid")


def test_the_api_verifier_shares_the_slots(client, badge, headers, one_slot):
    with verification_slot(1):
        busy = client.post("/api/v1/verify", data=badge.signed_json, headers=headers,
                           content_type="application/json")
    assert (busy.status_code, busy.json["error"]["code"]) == (503, "busy")
    assert busy.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    done = client.post("/api/v1/verify", data=badge.signed_json, headers=headers,
                       content_type="application/json")
    assert done.status_code == 200


def test_slots_are_counted_per_setting_and_released_after_an_error():
    with verification_slot(2) as first, verification_slot(2) as second:
        with verification_slot(2) as third:
            assert (first, second, third) == (True, True, False)
    with pytest.raises(RuntimeError), verification_slot(1) as taken:
        assert taken
        raise RuntimeError("a verification crashed")
    with verification_slot(1) as again:
        assert again
