"""Helpers the web tests share: the trainer's forms, driven as a browser would."""

from __future__ import annotations

from tests.helpers import submit

DIG, STAKE = "dig-hole", "stake-and-water"


def enrol(client, world, name="Inès Moreau", **extra):
    """Quick-add a learner to the world's session; return the evaluation page's path."""
    session_page = f"/trainer/sessions/{world.session.id}"
    response = submit(client, session_page, {"name": name, **extra},
                      action=f"{session_page}/learners")
    assert response.status_code == 302
    return response.headers["Location"]


def evaluate(client, page, levels, action="issue", **extra):
    """Submit the evaluation form of `page` with gesture levels and an action button."""
    data = {f"level_{gesture}": level for gesture, level in levels.items()}
    return submit(client, page, {**data, "action": action, **extra},
                  content_type="multipart/form-data")
