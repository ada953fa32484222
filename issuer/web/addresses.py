"""The site's former addresses (SKY_FORMER_BASE_URLS), after a change of domain.

Badges already out there name the old host: their issuer is the did:web on it, their status
list, achievement and evidence URLs are on it, and printed cards' QR codes open pages on it.
When the old host name still points at this service, its machine documents are answered there
as before (the DID document and status lists under the old did:web, see `services.urls`), and
every page for people is redirected, permanently, to the same path on the new address.
"""

from __future__ import annotations

import re

from flask import Flask, redirect, request

from issuer.services.urls import former_base

from .extensions import db, settings

# Documents a verifier dereferences from a badge's own URLs: answered on the former host too.
_DOCUMENTS = re.compile(r"^/(issuers/[^/]+/(did\.json|logo\.png)|status/[^/]+|credentials/[^/]+|"
                        r"achievements/.+|evidence/[^/]+|status/[^/]+/token|types/open-badge|"
                        r"\.well-known/jwt-vc-issuer/.+)$")


def init_app(app: Flask) -> None:
    app.before_request(_former_address)


def _former_address():
    if not settings().former_base_urls or former_base(db(), request.host) is None:
        return None
    if request.method in ("GET", "HEAD") and _DOCUMENTS.match(request.path):
        return None
    query = request.query_string.decode("ascii", "replace")
    target = settings().public_base_url + request.path + (f"?{query}" if query else "")
    return redirect(target, 301 if request.method in ("GET", "HEAD") else 308)
