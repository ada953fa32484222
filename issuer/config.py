"""Settings, read once from the environment (twelve-factor), with an instance folder for secrets.

The embedded default needs nothing set: SQLite in `./instance`, a secret key and a key passphrase
generated into that folder (mode 600) on first start. Production sets `DATABASE_URL`,
`SECRET_KEY`, `SKY_KEY_PASSPHRASE` and `PUBLIC_BASE_URL` (whose host becomes the did:web host).

There is no global: the shells hand settings in. `create_app` keeps them in
`app.config["SETTINGS"]` (pages read them through `issuer.web.extensions.settings()`), the CLI
builds its own, and both open database sessions that carry them
(`issuer.store.db.make_sessionmaker`), where the services read them
(`issuer.services.base.settings_of`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_BASE_URL = "http://127.0.0.1:5000"

# Environment name → Settings field, with the type used to parse it.
_ENVIRONMENT = {
    "DATABASE_URL": ("database_url", str),
    "SECRET_KEY": ("secret_key", str),
    "PUBLIC_BASE_URL": ("public_base_url", str),
    "SKY_FORMER_BASE_URLS": ("former_base_urls", str),
    "SKY_KEY_PASSPHRASE": ("key_passphrase", str),
    "SESSION_LIFETIME_MINUTES": ("session_lifetime_minutes", int),
    "SESSION_MAX_HOURS": ("session_max_hours", int),
    "SKY_CATALOGUE_PATH": ("catalogue_path", str),
    "SKY_ALLOW_HTTP_LOOPBACK": ("allow_http_loopback", bool),
    "SKY_LOGIN_MAX_FAILURES": ("login_max_failures", int),
    "SKY_LOGIN_LOCKOUT_MINUTES": ("login_lockout_minutes", int),
    "SKY_PASSWORD_TIME_COST": ("password_time_cost", int),
    "SKY_PASSWORD_MEMORY_COST": ("password_memory_cost", int),
    "SKY_TRUSTED_PROXIES": ("trusted_proxies", int),
    "SKY_KEY_KDF_ITERATIONS": ("key_kdf_iterations", int),
    "SKY_VERIFY_SLOTS": ("verify_slots", int),
    "SKY_EXTRA_CONTEXTS": ("extra_contexts", str),
    "SMTP_HOST": ("smtp_host", str),
    "SMTP_PORT": ("smtp_port", int),
    "SMTP_USER": ("smtp_user", str),
    "SMTP_PASSWORD": ("smtp_password", str),
    "SMTP_FROM": ("smtp_from", str),
    "SMTP_STARTTLS": ("smtp_starttls", bool),
}


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about its deployment."""

    instance_path: Path
    database_url: str
    secret_key: str
    public_base_url: str
    key_passphrase: str
    session_lifetime_minutes: int = 480
    # However active, a session ends after this many hours: sign in again (ASVS 3.3.2).
    session_max_hours: int = 12
    catalogue_path: str = "badge_templates"
    allow_http_loopback: bool = False
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    # argon2id costs (RFC 9106 "second recommended" defaults); tests lower them.
    password_time_cost: int = 3
    password_memory_cost: int = 65536
    # PBKDF2 rounds protecting private keys at rest (issuer.core.pkcs8); tests lower them.
    key_kdf_iterations: int = 600_000
    # How many reverse proxies in front of the service append to X-Forwarded-For (0: none).
    trusted_proxies: int = 0
    # Verifications of submitted credentials one worker process runs at once (issuer.web.capacity).
    verify_slots: int = 2
    # The site's earlier addresses, comma-separated: their did:web documents, status lists and
    # credentials are still answered there, their pages redirect to public_base_url.
    former_base_urls: str = ""
    # An index.json of extra JSON-LD contexts, hash-pinned (issuer.core.extra_contexts); "" none.
    extra_contexts: str = ""
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = None
    smtp_starttls: bool = True

    def __repr__(self) -> str:  # secrets never reach a log through a repr
        return (f"Settings(database_url={_redact_url(self.database_url)!r}, "
                f"public_base_url={self.public_base_url!r}, instance_path={self.instance_path})")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, overrides: Mapping[str, Any] | None = None,
                 environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment, then `overrides` (environment names, e.g. for tests).

        `INSTANCE_PATH` (override or `SKY_INSTANCE_PATH`) defaults to `./instance`.
        """
        environ = os.environ if environ is None else environ
        overrides = dict(overrides or {})
        instance = Path(overrides.pop("INSTANCE_PATH", None)
                        or environ.get("SKY_INSTANCE_PATH") or "instance").resolve()
        values: dict[str, Any] = {}
        for name, (field, kind) in _ENVIRONMENT.items():
            if name in overrides:
                values[field] = overrides[name]
            elif environ.get(name):
                values[field] = _parse(environ[name], kind, name)
        # Other keys (Flask's own, like TESTING) are not settings and are left to the caller.
        known = {f.name for f in fields(cls)} - {"instance_path"}
        values.update({k.lower(): v for k, v in overrides.items() if k.lower() in known})
        values.setdefault("database_url", f"sqlite:///{instance / 'sky-badges.db'}")
        values.setdefault("public_base_url", DEFAULT_BASE_URL)
        values.setdefault("catalogue_path", str(_default_catalogue()))
        values["public_base_url"] = values["public_base_url"].rstrip("/")
        if "secret_key" not in values:
            values["secret_key"] = _instance_secret(instance, "secret_key")
        if "key_passphrase" not in values:
            values["key_passphrase"] = _instance_secret(instance, "key_passphrase")
        return cls(instance_path=instance, **values)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _default_catalogue() -> Path:
    """`./badge_templates` when there is one, else the catalogue shipped beside the package."""
    here = Path("badge_templates")
    shipped = Path(__file__).resolve().parent.parent / "badge_templates"
    return here.resolve() if here.is_dir() or not shipped.is_dir() else shipped


def _parse(value: str, kind: type, name: str) -> Any:
    if kind is bool:
        return value.strip().lower() in ("1", "true", "yes", "on")
    if kind is int:
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    return value


def _instance_secret(instance: Path, name: str) -> str:
    """A random secret kept in the instance folder (mode 600), created on first use."""
    path = instance / name
    if path.exists():
        return path.read_text("utf-8").strip()
    instance.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret


def _redact_url(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
