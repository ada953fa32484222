"""What the web shell refuses before a view runs: text no database can store, JSON too deep.

PostgreSQL refuses the NUL character in text and UTF-8 cannot encode a lone surrogate (JSON
can carry both as `\\u0000` and `\\ud800`), so either would reach the database and fail there
as a 500. They are refused at the edge with a 400: in the URL path and query, in form fields,
and in every JSON string, key or value, the app parses (`request.get_json`, the API's bodies).
JSON is parsed with the engine's limits (`issuer.core.limits.parse_json`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from issuer.core import limits

NUL_REFUSED = "the request contains a NUL character (\\u0000), which cannot be stored"
SURROGATE_REFUSED = ("the request contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is "
                     "not text")


class UnsafeText(ValueError):
    """A JSON string holds a NUL or a lone surrogate (a ValueError: malformed JSON to Flask)."""


def init_app(app: Flask) -> None:
    app.request_class = EdgeRequest
    app.json = EdgeJSONProvider(app)
    app.before_request(_refuse_unsafe_url)


def text_problem(value: Any) -> str | None:
    """Why the strings of a parsed JSON value cannot be stored, or None (iterative walk)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return NUL_REFUSED
            if not item.isascii() and _has_lone_surrogate(item):
                return SURROGATE_REFUSED
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


def parse_request_json(data: str | bytes) -> Any:
    """JSON from a client: engine limits, then no NUL or lone surrogate in any string."""
    value = limits.parse_json(data)
    problem = text_problem(value)
    if problem:
        raise UnsafeText(problem)
    return value


class EdgeJSONProvider(DefaultJSONProvider):
    """`request.get_json` parses with `parse_request_json`; refusals are malformed JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_request_json(s)


class EdgeRequest(Request):
    """A request whose form fields are checked for NUL as soon as a view reads them."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        fields = self.form.items(multi=True)
        if any("\x00" in key or "\x00" in value for key, value in fields):
            raise BadRequest(NUL_REFUSED)


def _refuse_unsafe_url() -> None:
    if "\x00" in request.path or any(
        "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)
    ):
        abort(400, description=NUL_REFUSED)


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
