"""The README's "Production" section, followed literally, on an empty database, to a first badge.

Each command of the section's shell block runs as written (the exported values replaced by this
test's own: a fresh PostgreSQL schema when DATABASE_URL is set, else SQLite; a loopback SMTP
server; gunicorn bound to a free loopback port; `sky-badges worker` left running beside
it). Then people take over in a real Chromium on a
390 px phone: the first admin opens the e-mailed invitation, chooses a password and lands on the
admin pages; invites a trainer by e-mail; the trainer accepts and issues a badge, which the
employer's page calls valid.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import (
    PHONE,
    Service,
    add_learner,
    evaluate_and_issue,
    gestures_of,
    new_page,
    open_session,
    postgres_schema,
    service_environment,
    wait_until_up,
)
from tests.helpers import SMTP_PASSWORD, free_port

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parents[2]
ADMIN_PASSWORD = "trois pommes vertes sur la table"
TRAINER_PASSWORD = "le vélo bleu du facteur"


def production_commands() -> list[list[str]]:
    """The shell block of the README's Production section, one argument list per line."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("### Production"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def _run(environment: dict, arguments: list[str]) -> str:
    command = [sys.executable, "-c", "import sys; from issuer.cli import main; sys.exit(main())",
               *arguments[1:]]
    done = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"{shlex.join(arguments)}:\n{done.stderr[-3000:]}"
    return done.stdout


def _mail_link(mailbox, count: int, base_url: str) -> str:
    deadline = time.monotonic() + 15
    while len(mailbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    message = mailbox.messages[count - 1][2]
    return re.search(re.escape(base_url) + r"(/account/invitation/\S+)",
                     message.get_content()).group(1)


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a 390px phone"


@pytest.fixture
def production(tmp_path, smtp_server):
    """The service set up by the README's commands; yields (Service, mailbox, printed text)."""
    controller, mailbox = smtp_server
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    drop = None
    if os.environ.get("DATABASE_URL"):
        database_url, drop = postgres_schema(os.environ["DATABASE_URL"])
    else:
        database_url = f"sqlite:///{tmp_path / 'sky.db'}"
    environment = service_environment(tmp_path / "instance", database_url, base_url)
    environment.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port),
                        "SMTP_FROM": "badges@agfe.example.org", "SMTP_STARTTLS": "0",
                        "SMTP_USER": "mailer", "SMTP_PASSWORD": SMTP_PASSWORD,
                        "WEB_CONCURRENCY": "2"})
    printed, server, workers = [], None, []
    log = (tmp_path / "gunicorn.log").open("w", encoding="utf-8")
    try:
        for arguments in production_commands():
            if arguments[0] == "export":  # the test's own values stand in for the examples
                names = {assignment.split("=", 1)[0] for assignment in arguments[1:]}
                assert names <= set(environment), names - set(environment)
            elif arguments[:2] == ["sky-badges", "worker"]:  # runs until stopped, as gunicorn
                workers.append(subprocess.Popen(
                    [sys.executable, "-c",
                     "import sys; from issuer.cli import main; sys.exit(main())",
                     *arguments[1:]], env=environment, cwd=ROOT, stdout=log,
                    stderr=subprocess.STDOUT))
            elif arguments[0] == "sky-badges":
                printed.append(_run(environment, arguments))
            elif arguments[0] == "gunicorn":
                bind = arguments.index("--bind") + 1
                arguments[bind] = f"127.0.0.1:{port}"
                server = subprocess.Popen([sys.executable, "-m", *arguments], env=environment,
                                          cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                wait_until_up(server, base_url, Path(log.name))
            else:
                pytest.fail(f"the Production section runs a command this test does not know: "
                            f"{arguments[0]}")
        assert server is not None, "the Production section starts no server"
        yield Service(base_url, database_url), mailbox, "".join(printed)
    finally:
        for running in ([server] if server is not None else []) + workers:
            running.terminate()
            running.wait(timeout=20)
        log.close()
        if drop is not None:
            drop()


def test_the_production_section_ends_with_a_partner_admin_signed_in_and_a_badge_issued(
        production, browser, request):
    service, mailbox, printed = production
    admin_link = _mail_link(mailbox, 1, service.base_url)
    assert service.url(admin_link) in printed  # also printed, for when the mail is lost

    admin = new_page(browser, request, service, viewport=PHONE, is_mobile=True, locale="fr-FR")
    admin.goto(admin_link)
    _fits_the_phone(admin)
    admin.fill("#name", "Aline Directrice")
    admin.fill("#password", ADMIN_PASSWORD)
    admin.fill("#confirm", ADMIN_PASSWORD)
    with admin.expect_navigation():
        admin.click("main form button[type=submit]")
    assert admin.url == service.url("/admin/")
    assert "Aline Directrice" in admin.inner_text("header")

    admin.goto("/admin/trainers")
    _fits_the_phone(admin)
    admin.fill("#name", "Théo Formateur")
    admin.fill("#email", "theo@agfe.example.org")
    admin.select_option("#role", "trainer")
    with admin.expect_navigation():
        admin.click("main form.stack button[type=submit]")
    assert admin.locator("code.one-time").count() == 1
    trainer_link = _mail_link(mailbox, 2, service.base_url)
    assert mailbox.messages[1][1] == ["theo@agfe.example.org"]

    trainer = new_page(browser, request, service, viewport=PHONE, is_mobile=True,
                       has_touch=True)
    trainer.goto(trainer_link)
    _fits_the_phone(trainer)
    trainer.fill("#password", TRAINER_PASSWORD)
    trainer.fill("#confirm", TRAINER_PASSWORD)
    with trainer.expect_navigation():
        trainer.click("main form button[type=submit]")
    assert trainer.url == service.url("/trainer/")

    session_id = open_session(trainer)
    add_learner(trainer, session_id, "Łucja Żółkiewska", "pl")
    evaluate_and_issue(trainer, {g: acquired for g, acquired, _ in gestures_of(service,
                                                                               session_id)})
    assert "/trainer/credentials/" in trainer.url
    short_url = trainer.inner_text("a.verify-link").strip()

    employer = new_page(browser, request, service, viewport=PHONE, locale="en-GB")
    employer.goto(short_url)
    assert employer.inner_text("#verdict-title").strip() == "Valid"
    assert "AGFE" in employer.inner_text("main")
