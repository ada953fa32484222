"""Shared fixtures. Official vectors are under tests/vectors (copied from the spec folder).

`smtp_server` is a real SMTP server (aiosmtpd) on loopback that keeps what it receives; the
service and web tests of claim e-mails both deliver to it.
"""

import email
import json
import socket
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

VECTORS = Path(__file__).parent / "vectors"


def load_vector(*parts: str):
    path = VECTORS.joinpath(*parts)
    return (
        json.loads(path.read_text("utf-8")) if path.suffix == ".json" else path.read_text("utf-8")
    )


@pytest.fixture
def vector():
    return load_vector


@pytest.fixture(autouse=True)
def english_terminal(monkeypatch):
    """The CLI speaks the terminal's language; tests start from an English one."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


SMTP_PASSWORD = "s3cret-smtp-passw0rd"


class Mailbox:
    """An aiosmtpd handler keeping every delivered message."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, parsed))
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == SMTP_PASSWORD.encode()
    # handled=False: aiosmtpd then answers a refusal with 535; by default (handled=True) it
    # answers nothing and the client waits for its whole timeout.
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A loopback SMTP server requiring SMTP_PASSWORD: yields (controller, mailbox)."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port(),
                            authenticator=_authenticator, auth_require_tls=False)
    controller.start()
    yield controller, mailbox
    controller.stop()


def smtp_overrides(controller) -> dict:
    """create_app settings sending through the loopback `smtp_server`."""
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port, "SMTP_STARTTLS": False,
            "SMTP_FROM": "badges@agfe.example.org", "SMTP_USER": "mailer",
            "SMTP_PASSWORD": SMTP_PASSWORD}
