"""What the service writes to logs: never a claim link's secret, never a learner's data.

Claim tokens, wallet exchange ids and OpenID4VCI offer ids are bearer secrets that sit in URL
paths; request lines reach the logs of Werkzeug (`sky-badges serve`), gunicorn's access log and
our own error log. A filter on those loggers replaces each secret segment with `…` before any
handler formats the record. SQL parameters (names, e-mail addresses) are kept out of database
errors by the engine itself (`issuer.store.db.make_engine`, hide_parameters), and the values
PostgreSQL quotes in a constraint error are cut from logged tracebacks.
"""

from __future__ import annotations

import logging
import re

SECRET_SEGMENTS = re.compile(
    r"(/claim/|/wallet/interactions/|/wallet/exchanges/|/oid4vci/offers/"
    r"|/account/invitation/|/account/reset/)[^/?#\s\"']+")
REDACTED = r"\1…"
# PostgreSQL names the values of a violated unique key in its error ("Key (email)=(…)").
KEY_VALUES = re.compile(r"(Key \([^)]*\)=\().*?(\) already exists|\) is not present)")
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "issuer", "flask.app")


def redact(value: object) -> object:
    """`value` with every secret path segment replaced (strings only; the rest as is)."""
    if not isinstance(value, str):
        return value
    return KEY_VALUES.sub(r"\1…\2", SECRET_SEGMENTS.sub(REDACTED, value))


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments (tuple or gunicorn's atoms dict) in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: redact(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(redact(value) for value in record.args)
        if record.exc_info and not record.exc_text:  # the traceback names the failed values
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install(app_logger: logging.Logger) -> None:
    """Put the filter on the request and error loggers (once each)."""
    for logger in {app_logger, *(logging.getLogger(name) for name in LOGGERS)}:
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
