"""The Open Badges 3.0 / Verifiable Credentials engine: build, sign, verify, bake, status lists.

Pure Python: no web framework, no database, no network (contexts and schemas are bundled and
loaded from a closed map; keys, status lists and the clock are injected). It knows nothing of
SKY's micro-trainings, which live in `issuer.domain`.

The names below are the engine's public face, enough to issue and check a badge:

    from issuer.core import KeyResolver, PrivateKey, builders, sign, verify_credential

Everything else stays importable from its module (`issuer.core.jsonld`, `issuer.core.did`, …)
for callers who need a lower layer.
"""

from . import builders
from .baking import bake_png, bake_svg, extract
from .errors import (
    BadgeError,
    BakingError,
    BuildError,
    ContextError,
    KeyFormatError,
    ResolutionError,
    SafeModeError,
    SchemaError,
    SigningError,
    StatusListError,
    VerificationError,
)
from .jwt import sign_jwt, verify_jwt
from .keys import PrivateKey, PublicKey
from .proofs import sign, verify_proof
from .resolver import KeyResolver
from .status_list import (
    check_status,
    encode_list,
    new_bitstring,
    set_status,
    status_entry,
    status_list_credential,
)
from .verify import VerificationReport, verify_credential

__all__ = [
    # build
    "builders",
    # keys
    "PrivateKey",
    "PublicKey",
    "KeyResolver",
    # sign
    "sign",
    "sign_jwt",
    # verify
    "verify_credential",
    "VerificationReport",
    "verify_proof",
    "verify_jwt",
    # bake
    "bake_png",
    "bake_svg",
    "extract",
    # status lists
    "new_bitstring",
    "set_status",
    "encode_list",
    "status_entry",
    "status_list_credential",
    "check_status",
    # errors
    "BadgeError",
    "BakingError",
    "BuildError",
    "ContextError",
    "KeyFormatError",
    "ResolutionError",
    "SafeModeError",
    "SchemaError",
    "SigningError",
    "StatusListError",
    "VerificationError",
]
