"""Builders for who issues, creates or endorses: Profile, its Image, Address and identifiers."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BuildError
from .common import (
    COUNTRY_CODE,
    IDENTIFIER_TYPES,
    compact,
    freeze_sequences,
    json_list,
    require_enum,
    require_text,
    require_uri,
)


@dataclass(frozen=True)
class Image:
    """An image by URL or `data:` URI; the schema forbids any property but id, type, caption."""

    id: str
    caption: str | None = None

    def __post_init__(self):
        require_uri(self.id, "Image id")

    def to_json(self) -> dict:
        return compact({"id": self.id, "type": "Image", "caption": self.caption})


@dataclass(frozen=True)
class Address:
    """A postal address; `address_country_code` is ISO 3166-1 alpha-2 (EU element: country)."""

    address_country: str | None = None
    address_country_code: str | None = None
    address_region: str | None = None
    address_locality: str | None = None
    postal_code: str | None = None
    street_address: str | None = None

    def __post_init__(self):
        code = self.address_country_code
        if code is not None and not COUNTRY_CODE.match(code):
            raise BuildError(
                f"addressCountryCode {code!r} must be an ISO 3166-1 alpha-2 code such as 'BE'"
            )

    def to_json(self) -> dict:
        return compact(
            {
                "type": ["Address"],
                "addressCountry": self.address_country,
                "addressCountryCode": self.address_country_code,
                "addressRegion": self.address_region,
                "addressLocality": self.address_locality,
                "postalCode": self.postal_code,
                "streetAddress": self.street_address,
            }
        )


@dataclass(frozen=True)
class IdentifierEntry:
    """Another identifier of a Profile or Achievement (a registry number, a course code…)."""

    identifier: str
    identifier_type: str

    def __post_init__(self):
        require_text(self.identifier, "IdentifierEntry identifier")
        require_enum(self.identifier_type, IDENTIFIER_TYPES, "identifierType")

    def to_json(self) -> dict:
        # The schema wants `type` as the plain string here, not an array.
        return {
            "type": "IdentifierEntry",
            "identifier": self.identifier,
            "identifierType": self.identifier_type,
        }


@dataclass(frozen=True)
class Profile:
    """An issuer, creator, endorser or source organisation."""

    id: str
    name: str
    url: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    image: Image | None = None
    address: Address | None = None
    other_identifiers: tuple[IdentifierEntry, ...] = ()
    official: str | None = None
    parent_org: Profile | None = None

    def __post_init__(self):
        freeze_sequences(self)
        require_uri(self.id, "Profile id")
        require_text(self.name, "Profile name")
        require_uri(self.url, "Profile url", optional=True)

    def to_json(self) -> dict:
        return compact(
            {
                "id": self.id,
                "type": ["Profile"],
                "name": self.name,
                "url": self.url,
                "email": self.email,
                "phone": self.phone,
                "description": self.description,
                "image": self.image and self.image.to_json(),
                "address": self.address and self.address.to_json(),
                "otherIdentifier": json_list(self.other_identifiers),
                "official": self.official,
                "parentOrg": self.parent_org and self.parent_org.to_json(),
            }
        )
