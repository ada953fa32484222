"""The issued/revoked announcements: receivers in a fixed order, connected whatever comes first."""

from __future__ import annotations

import subprocess
import sys

import pytest

from issuer.services.events import Event


def test_receivers_run_in_the_order_they_were_connected_and_once_each():
    event, heard = Event("test"), []

    def first(db, credential, actor, now):
        heard.append(("first", credential))

    def second(db, credential, actor, now):
        heard.append(("second", credential))

    event.connect(first)
    event.connect(second)
    event.connect(first)
    event.send(None, "badge", None, None)
    assert heard == [("first", "badge"), ("second", "badge")]


def test_a_receivers_error_reaches_the_announcer():
    event = Event("test")

    def refuse(db, credential, actor, now):
        raise ValueError("no")

    event.connect(refuse)
    with pytest.raises(ValueError):
        event.send(None, "badge", None, None)


def test_importing_any_service_connects_the_listeners_in_order():
    # A fresh interpreter that imports only revocation: the package root wires the listeners.
    script = (
        "import issuer.services.revocation\n"
        "from issuer.services import events\n"
        "for event in (events.issued, events.revoked):\n"
        "    print(event.name, [f'{r.__module__}.{r.__name__}' for r in event.receivers])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == [
        "issued ['issuer.services.stacking.on_credential_issued']",
        "revoked ['issuer.services.claims.revoke_wallet_copies', "
        "'issuer.services.stacking.on_credential_revoked']",
    ]
