"""The named errors of the credential engine.

The web and CLI shells turn every one of these into a 4xx response or a one-line message;
anything else escaping the core is a bug.
"""


class BadgeError(Exception):
    """Base of every error the engine raises on purpose."""


class ContextError(BadgeError):
    """A JSON-LD context is unknown to the closed-world loader or malformed."""


class SafeModeError(BadgeError):
    """JSON-LD expansion would drop a term or leave a relative IRI: signing it would be unsafe."""

    def __init__(self, message: str, term: str | None = None):
        super().__init__(message)
        self.term = term


class KeyFormatError(BadgeError):
    """A key, multibase value, JWK or PEM cannot be read."""


class SigningError(BadgeError):
    """A credential cannot be signed as asked."""


class SchemaError(BadgeError):
    """A document does not validate against its 1EdTech JSON schema."""

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.errors = errors or []


class VerificationError(BadgeError):
    """A proof, key reference or status check failed."""


class ResolutionError(VerificationError):
    """A DID, verification method or status list could not be retrieved."""


class GoneError(ResolutionError):
    """The server answered 410 Gone: how an Open Badges 2.0 host says an assertion is revoked."""


class StatusListError(BadgeError):
    """A status list cannot be encoded, decoded or read at an index."""


class BakingError(BadgeError):
    """An image cannot be baked or holds no credential."""


class TemplateError(BadgeError):
    """A micro-training or skill file in the catalogue is invalid."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


class BuildError(BadgeError):
    """A credential, achievement or profile cannot be built from the values given."""


class CardError(BadgeError):
    """A printable card or certificate cannot be drawn from the data given."""


class LimitError(BadgeError, ValueError):
    """An input exceeds a work limit of `issuer.core.limits` (too deep, too large, too many).

    Also a ValueError, so code that refuses malformed JSON refuses oversized JSON the same way.
    """
