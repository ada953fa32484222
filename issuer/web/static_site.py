"""The web application as the static export's source: each public document built by its route.

`export-static` (services/static_export.py) asks for each document here, in the same process,
through Flask's WSGI client: no server listens, and no second way of building a document exists.
The application it is given is made for the export (`export_app`): the public pages' rate
limit does not apply to it, its page views are not counted, and the /v/ pages say they are a
copy of the given day.
"""

from __future__ import annotations

from datetime import date

from flask import Flask

from issuer.services.static_export import Fetched

EXPORT_CONFIG = "SKY_STATIC_EXPORT"  # the day of the copy, on the application made for it


def export_app(overrides: dict | None = None, day: date | None = None) -> Flask:
    """An application to build the copy from (not to serve): see the module."""
    from issuer.web import create_app

    app = create_app({**(overrides or {}), "PUBLIC_PAGE_RATE_LIMIT": 10**9})
    app.config[EXPORT_CONFIG] = day or date.today()
    return app


def fetcher(app: Flask):
    """`fetch(path, accept, etag)` for `static_export.export_static`, answered by `app`."""
    client = app.test_client()

    def fetch(path: str, accept: str, etag: str | None) -> Fetched:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        response = client.get(path, headers=headers)
        return Fetched(status=response.status_code, content_type=response.mimetype or "",
                       body=response.get_data(), etag=response.headers.get("ETag"))

    return fetch
