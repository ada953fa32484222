"""jsonschema-rs, which says whether a document is valid, agrees with jsonschema, which words why.

schema.errors trusts the fast validator's "valid" and asks jsonschema only otherwise, so the two
must agree on every document: our credentials, the official vectors, a generated corpus with
dates and times written every way.
"""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.core import schema
from tests.core.helpers import EXAMPLES, credentials
from tests.helpers import rich_credential

VECTORS = Path(__file__).parents[1] / "vectors"


def assert_agree(document, name, strict=False):
    slow = not any(True for _ in schema._validator(name, strict).iter_errors(document))
    assert schema._is_valid(document, name, strict) == slow
    return slow


@pytest.mark.parametrize("path", sorted(VECTORS.rglob("*credential*.json")), ids=str)
def test_official_vectors(path):
    document = json.loads(path.read_text("utf-8"))
    if "StatusList" in str(document.get("type")):
        pytest.skip("no bundled schema for status lists")
    assert_agree(document, schema.schema_for(document))


@pytest.mark.parametrize("strict", [False, True])
def test_our_credential_is_valid_to_both_and_a_broken_one_to_neither(strict):
    document = rich_credential("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    assert assert_agree(document, "achievementcredential", strict)
    document["credentialSubject"]["achievement"]["criteria"] = "not an object"
    assert not assert_agree(document, "achievementcredential", strict)
    assert schema.errors(document, strict=strict)[0].startswith("credentialSubject.achievement")


dates = st.one_of(
    st.text(alphabet="0123456789-:TtZz+.", max_size=26),
    st.sampled_from(["2026-11-29T10:00:00Z", "2026-11-29t10:00:00z", "2026-02-30T10:00:00Z",
                     "2026-11-29T23:59:60Z", "2026-11-29T10:00:00+01:00", "2026-11-29",
                     "2026-11-29T10:00:00.123456789Z", "2026-11-29T10:00Z", "٢٠٢٦-11-29",
                     "0000-01-01T00:00:00Z", "0000-01-01"]),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(credentials(), dates, st.sampled_from(["validFrom", "validUntil", "awardedDate"]),
       st.booleans())
def test_generated_credentials(document, date, field, strict):
    document.pop("proof", None)
    document[field] = date
    assert_agree(document, "achievementcredential", strict)
