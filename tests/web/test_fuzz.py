"""Hostile input gets a clear 4xx, never a 5xx: a fuzz campaign through Flask's test client.

Hypothesis drives the endpoints a stranger can reach with whatever it generates (JSON of any
shape, deep nesting, huge integers, NUL characters, lone surrogates, broken images, mutated
signed credentials); hand-made cases add the inputs that once produced server errors. Every
response must be below 500.

The budget is small by default (CI); `SKY_FUZZ_EXAMPLES=15000` runs that many examples per
fuzzed endpoint (docs/TESTING.md, "The fuzz campaign").
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
from dataclasses import dataclass
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from issuer.core import baking
from issuer.services import unit_of_work
from issuer.services.api_tokens import create_token
from issuer.web import create_app
from tests.helpers import issue, open_claim, png_with_itxt

EXAMPLES = int(os.environ.get("SKY_FUZZ_EXAMPLES", "30"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
UNLIMITED = {"PUBLIC_VERIFY_RATE_LIMIT": 10**9, "PUBLIC_PAGE_RATE_LIMIT": 10**9}


@dataclass
class Target:
    """A running app with one issued badge and the credentials a stranger could hold."""

    client: object
    headers: dict
    credential: dict
    short_id: str
    exchange: str
    access_token: str


@pytest.fixture
def target(overrides, db, world) -> Target:
    app = create_app({**overrides, **UNLIMITED})
    client = app.test_client()
    badge = issue(db, world)
    with unit_of_work(db):
        _record, plain = create_token(db, world.org, "fuzz")
    open_claim(client, badge.claim_token)
    page = html.unescape(client.get(f"/claim/{badge.claim_token}/wallet").get_data(as_text=True))
    exchange = re.search(r"/wallet/exchanges/[\w-]+", unquote(page)).group(0)
    offer = re.search(r"/oid4vci/offers/[\w-]+", unquote(page)).group(0)
    code = client.get(offer).get_json()["grants"][GRANT]["pre-authorized_code"]
    access = client.post("/oid4vci/token", data={"grant_type": GRANT,
                                                 "pre-authorized_code": code})
    yield Target(client, {"Authorization": f"Bearer {plain}"}, json.loads(badge.signed_json),
                 badge.short_id, exchange, access.get_json()["access_token"])
    app.extensions["sky_engine"].dispose()


def assert_no_server_error(response, what: str) -> None:
    assert response.status_code < 500, f"{response.status_code} for {what!r}"


# --- strategies ------------------------------------------------------------------------------

# Any code point, lone surrogates and NUL included: JSON can carry them all as escapes.
any_character = st.characters(codec=None, exclude_categories=())
hostile_text = st.text(any_character, max_size=40) | st.sampled_from([
    "\x00", "a\x00b", "\ud800", "x\udfffy", "%00", "../../etc/passwd", "did:web:127.0.0.1",
     "https://127.0.0.1:1/x", "did:key:z6Mk", "{", "<svg", "e" * 300])
# Integers too long for Python's int parsing are written into the JSON text by as_json_text.
BIG_NUMBERS = {"__BIG__": "9" * 5_000, "__LONG__": "-" + "1" * 700, "__EXP__": "1e99999"}
hostile_number = st.integers() | st.floats(allow_nan=False) | st.sampled_from(
    [*BIG_NUMBERS, 2**64, 1e308])
json_values = st.recursive(
    st.none() | st.booleans() | hostile_number | hostile_text,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=20)
CREDENTIAL_FIELDS = ["@context", "id", "type", "issuer", "validFrom", "validUntil", "name",
                     "credentialSubject", "credentialStatus", "proof", "endorsement",
                     "endorsementJwt", "evidence", "credentialSchema"]


def as_json_text(value) -> str:
    """JSON text of any generated value, lone surrogates escaped, big numbers written out."""
    text = json.dumps(value, ensure_ascii=True)
    for marker, digits in BIG_NUMBERS.items():
        text = text.replace(f'"{marker}"', digits)
    return text


@st.composite
def mutated_credential(draw, target_credential):
    credential = json.loads(json.dumps(target_credential))
    for _ in range(draw(st.integers(1, 3))):
        credential[draw(st.sampled_from(CREDENTIAL_FIELDS))] = draw(json_values)
    return credential


def header_text(text: str) -> str:
    """What an HTTP header can carry: Latin-1 without line breaks (the test client insists)."""
    return re.sub(r"[\r\n\x00]", " ", text).encode("latin-1", "replace").decode("latin-1")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def deep_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def jwt_of(header: str, payload: str) -> str:
    def part(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).rstrip(
            b"=").decode()
    return f"{part(header)}.{part(payload)}.c2ln"


HOSTILE_BODIES = [
    nested(100_000), deep_object(5_000), nested(65), deep_object(200),
    "1" * 5_000, '{"a": ' + "9" * 4_301 + "}", '{"a": -' + "9" * 10_000 + "}",
    '{"a": 1e999999}', '{"a": "\\u0000"}', '{"\\u0000": 1}', '{"a": "\\ud800"}',
    '{"a": ["\\udfff"]}', "\x00", '{"a":"b"}\x00', "\ufeff{}", "{" * 3, "null", "[]",
    json.dumps({"@context": [nested(10)], "proof": [{}] * 1000}),
    json.dumps({"name": "\ud800", "issuer": {"name": "x\udfff"}, "validFrom": "\ud800",
                "credentialSubject": {"achievement": {"name": "\udbff"}}}),
]
HOSTILE_PATHS = [
    "/v/%00", "/v/a%00b", "/v/%ED%A0%80", "/v/" + "A" * 5000, "/v?code=%00",
    "/v?code=" + "x" * 4000,
    "/?lang=%00", "/v/ABC?lang=%00", "/issuers/%00", "/issuers/%00/did.json",
    "/achievements/%00", "/achievements/a--b--%00", "/achievements/%00/image.png?size=96",
    "/status/00000000-0000-0000-0000-000000000000", "/claim/%00", "/claim/%00/record.json",
    "/wallet/interactions/%00", "/oid4vci/offers/%00", "/verify?%00=1", "/v/%FF%FE",
]


# --- /verify -----------------------------------------------------------------------------------


def test_hostile_json_on_every_endpoint_is_4xx_or_a_report(target):
    for body in HOSTILE_BODIES:
        hostile_json_is_not_a_server_error(target, body)


def hostile_json_is_not_a_server_error(target, body: str) -> None:
    client = target.client
    for response, what in [
        (client.post("/verify", data={"credential": body}), "form"),
        (client.post("/verify", data=body, content_type="application/json",
                     headers={"Accept": "application/json"}), "json"),
        (client.post("/api/v1/verify", data=body, content_type="application/json",
                     headers=target.headers), "api"),
        (client.post("/api/v1/credentials", data=body, content_type="application/json",
                     headers=target.headers), "api issue"),
        (client.post(target.exchange, data=body, content_type="application/json"), "exchange"),
        (client.post("/oid4vci/credential", data=body, content_type="application/json",
                     headers={"Authorization": f"Bearer {target.access_token}"}), "oid4vci"),
    ]:
        assert_no_server_error(response, f"{what}: {body[:80]}")


def test_hostile_urls_are_4xx(target):
    for path in HOSTILE_PATHS:
        assert_no_server_error(target.client.get(path), path)


HOSTILE_BAKED_TEXTS = [(b"{" + b" " * (5 * 1024 * 1024) + b"}", True), (b"[" * 100_000, True),
                       (nested(200).encode(), False), (b"\xff\xfe", False),
                       (b"9" * 5000, False)]


def test_hostile_baked_pngs_are_4xx_or_a_report(target):
    for text, compressed in HOSTILE_BAKED_TEXTS:
        png = png_with_itxt(text, compressed)
        for response in (
            target.client.post("/verify", data={"file": (io.BytesIO(png), "badge.png")}),
            target.client.post("/api/v1/verify", data=png, content_type="image/png",
                               headers=target.headers),
        ):
            assert_no_server_error(response, text[:40])


def test_hostile_jwts_are_4xx_or_a_report(target):
    header = '{"alg": "EdDSA", "kid": "did:key:z6Mk#z6Mk"}'
    for token in (jwt_of(header, nested(100_000)), jwt_of(nested(100_000), "{}"),
                  jwt_of(header, nested(500)), jwt_of(header, '{"vc": ' + "9" * 5_000 + "}"),
                  jwt_of('{"alg": "EdDSA", "jwk": ' + deep_object(500) + "}", "{}"),
                  jwt_of(header, '{"vc": {"name": "\\u0000\\ud800"}}')):
        for response in (
            target.client.post("/verify", data={"credential": token}),
            target.client.post("/api/v1/verify", data=token, content_type="text/plain",
                               headers=target.headers),
        ):
            assert_no_server_error(response, token[:80])


@FUZZ
@given(data=st.data())
def test_verify_never_answers_5xx(target, data):
    choice = data.draw(st.sampled_from(["json", "mutated", "jwt", "svg", "raw"]))
    if choice == "json":
        body = as_json_text(data.draw(json_values))
    elif choice == "mutated":
        body = as_json_text(data.draw(mutated_credential(target.credential)))
    elif choice == "jwt":
        body = jwt_of(as_json_text(data.draw(json_values)),
                      as_json_text(data.draw(mutated_credential(target.credential))))
    elif choice == "svg":
        inner = as_json_text(data.draw(json_values))
        body = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges='
                f'"https://purl.imsglobal.org/ob/v3p0"><openbadges:credential><![CDATA[{inner}'
                ']]></openbadges:credential></svg>')
    else:
        body = data.draw(st.text(st.characters(codec="utf-8"), max_size=200))
    how = data.draw(st.sampled_from(["form", "json", "file", "api"]))
    client = target.client
    if how == "form":
        response = client.post("/verify", data={"credential": body})
    elif how == "json":
        response = client.post("/verify", data=body.encode("utf-8", "surrogatepass"),
                               content_type="application/json",
                               headers={"Accept": "application/json"})
    elif how == "file":
        name = data.draw(st.sampled_from(["badge.json", "badge.svg", "badge.png", "x"]))
        raw = body.encode("utf-8", "surrogatepass")
        response = client.post("/verify", data={"file": (io.BytesIO(raw), name)})
    else:
        response = client.post("/api/v1/verify", data=body.encode("utf-8", "surrogatepass"),
                               content_type=data.draw(st.sampled_from(
                                   ["application/json", "text/plain", "image/svg+xml"])),
                               headers=target.headers)
    assert_no_server_error(response, f"{choice}/{how}: {body[:120]}")


@FUZZ
@given(image=st.binary(max_size=300), tail=json_values)
def test_verify_of_broken_images_never_answers_5xx(target, image, tail):
    png = png_with_itxt(as_json_text(tail).encode("utf-8", "surrogatepass"), bool(image[:1]))
    for body in (image, baking.PNG_SIGNATURE + image, png):
        response = target.client.post("/api/v1/verify", data=body, content_type="image/png",
                                      headers=target.headers)
        assert_no_server_error(response, body[:60])


# --- the API, the wallet protocols, the public pages -----------------------------------


@FUZZ
@given(body=json_values | st.dictionaries(
    st.sampled_from(["template_id", "learner", "results", "activity_start", "activity_end",
                     "session_id", "idempotency_key", "evidence", "narrative"]),
    json_values, max_size=6))
def test_api_issue_never_answers_5xx(target, body):
    response = target.client.post("/api/v1/credentials", data=as_json_text(body),
                                   content_type="application/json", headers=target.headers)
    assert_no_server_error(response, as_json_text(body)[:200])


@FUZZ
@given(learner=st.fixed_dictionaries({}, optional={
    "name": hostile_text, "email": hostile_text, "language": hostile_text,
    "external_id": hostile_text}))
def test_api_issue_with_hostile_learner_fields_never_answers_5xx(target, learner):
    body = {"template_id": "tree-planting", "learner": learner, "activity_start": "2026-03-02",
            "results": {"dig-hole": "acquired", "stake-and-water": "acquired"}}
    response = target.client.post("/api/v1/credentials", data=as_json_text(body),
                                  content_type="application/json", headers=target.headers)
    assert_no_server_error(response, as_json_text(body))


@FUZZ
@given(body=json_values, form=st.dictionaries(hostile_text, hostile_text, max_size=4))
def test_wallet_endpoints_never_answer_5xx(target, body, form):
    client = target.client
    text = as_json_text(body)
    presentation = as_json_text({"verifiablePresentation": body})
    bearer = {"Authorization": f"Bearer {target.access_token}"}
    for response in (
        client.post(target.exchange, data=text, content_type="application/json"),
        client.post(target.exchange, data=presentation, content_type="application/json"),
        client.post("/oid4vci/token", data={k.encode("utf-8", "surrogatepass").decode(
            "utf-8", "replace"): v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            for k, v in form.items()}),
        client.post("/oid4vci/credential", data=text, content_type="application/json",
                    headers=bearer),
        client.post("/oid4vci/credential", data=as_json_text(
            {"credential_configuration_id": "OpenBadgeCredential_ldp",
             "proof": {"proof_type": "jwt", "jwt": jwt_of(text, text)}}),
            content_type="application/json", headers=bearer),
    ):
        assert_no_server_error(response, text[:200])


@FUZZ
@given(code=st.text(st.characters(codec="utf-8"), max_size=60),
       lang=st.text(st.characters(codec="utf-8"), max_size=8))
def test_verification_pages_never_answer_5xx(target, code, lang):
    client = target.client
    for response in (
        client.get("/v/" + code.replace("/", "%2F").replace("?", "%3F").replace("#", "%23"),
                   query_string={"lang": lang}),
        client.get("/v", query_string={"code": code, "lang": lang}),
        client.get(f"/v/{target.short_id}", query_string={"lang": lang},
                   headers={"Accept-Language": header_text(lang), "Accept": header_text(code)}),
    ):
        assert_no_server_error(response, code)


def test_wallet_bodies_larger_than_a_presentation_are_refused_unread(target):
    padding = {"verifiablePresentation": {"padding": ["x" * 100] * 2_000}}  # about 200 kB
    response = target.client.post(target.exchange, data=json.dumps(padding),
                                  content_type="application/json")
    assert response.status_code == 413


def test_an_id_no_column_can_hold_is_not_found_on_every_route(app, client, admin):
    """PostgreSQL refuses integers past 2**31 - 1 with an error: the routes answer 404 first."""
    huge = str(2**31)
    routes = [rule for rule in app.url_map.iter_rules()
              if any(isinstance(conv, IntegerConverter) for conv in rule._converters.values())]
    assert len(routes) > 10
    for rule in routes:
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", huge).replace(f"<{name}>", "x")
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        assert response.status_code in (400, 403, 404, 405), (url, response.status_code)
