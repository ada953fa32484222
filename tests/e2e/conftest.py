"""End-to-end fixtures: the real service under gunicorn on loopback, and a real headless Chromium.

One server per test session, on a free port of 127.0.0.1, on a fresh SQLite instance folder, or
on a fresh schema of the PostgreSQL database named by DATABASE_URL. It is seeded with the demo
data by the product's own `sky-badges demo` command, whose printed accounts the tests log in with.

Chromium is Debian's binary (/usr/bin/chromium, or CHROMIUM_PATH), driven by Playwright's own
driver; the test tool never downloads a browser. Where no Chromium binary is found the browser
tests are skipped, saying so; CI installs it. A failing browser test leaves a full-page screenshot
under $TEST_ARTIFACTS/e2e (default ./test-artifacts/e2e), beside the server's log.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pypdfium2
import pytest
import zxingcpp
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session as DatabaseSession

from issuer.services.catalogue import training_of
from issuer.store.db import normalise_url
from issuer.store.models import TrainingSession

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LANGUAGES = ("en", "fr", "nl", "it", "es", "pl")
PHONE = {"width": 390, "height": 844}
STARTUP_SECONDS = 60
_ACCOUNT_LINE = re.compile(r"^\s+.+?\s+(admin|trainer)\s+(\S+@\S+)\s+(\S+)\s*$")


def chromium_path() -> str | None:
    """Debian's Chromium: CHROMIUM_PATH, else `chromium` on PATH, else /usr/bin/chromium."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def artifacts_dir() -> Path:
    """Where screenshots of failures go: $TEST_ARTIFACTS/e2e (default ./test-artifacts/e2e)."""
    return (Path(os.environ.get("TEST_ARTIFACTS") or "test-artifacts") / "e2e").resolve()


@dataclass
class Account:
    organisation_slug: str
    role: str
    email: str
    password: str


@dataclass
class Service:
    """The running service: its base URL, its database and the demo accounts it was seeded with."""

    base_url: str
    database_url: str
    accounts: list[Account] = field(default_factory=list)

    def account(self, slug: str, role: str) -> Account:
        return next(a for a in self.accounts if a.organisation_slug == slug and a.role == role)

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_schema(base: str):
    """A fresh schema on DATABASE_URL, its URL (search_path) and a function dropping it."""
    schema = f"sky_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options={quote(f'-csearch_path={schema}')}"

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, drop


def _service_environment(instance: Path, database_url: str, base_url: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("SKY_", "SMTP_"))}
    environment.update({
        "SKY_INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": base_url,
        "SECRET_KEY": "e2e-secret-key",
        "SKY_KEY_PASSPHRASE": "e2e-key-passphrase",
        # Cheap password hashing: the demo seeds twelve accounts.
        "SKY_PASSWORD_TIME_COST": "1",
        "SKY_PASSWORD_MEMORY_COST": "64",
        "SKY_ALLOW_HTTP_LOOPBACK": "1",
    })
    return environment


def _run_cli(environment: dict[str, str], *arguments: str) -> str:
    command = [sys.executable, "-c", "import sys; from issuer.cli import main; sys.exit(main())",
               *arguments]
    result = subprocess.run(command, env=environment, capture_output=True, text=True,
                            timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"sky-badges {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def _accounts(printed: str) -> list[Account]:
    accounts = []
    for line in printed.splitlines():
        if match := _ACCOUNT_LINE.match(line):
            role, email, password = match.groups()
            slug = email.split("@", 1)[1].split(".", 1)[0]
            accounts.append(Account(slug, role, email, password))
    return accounts


def _wait_until_up(process: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text('utf-8')[-3000:]}")
        try:
            with urllib.request.urlopen(base_url + "/verify", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the service did not answer in time:\n{log.read_text('utf-8')[-3000:]}")


@pytest.fixture(scope="session")
def service(request, tmp_path_factory):
    """The real service under gunicorn on 127.0.0.1, seeded with the demo data."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    for stale in (*artifacts_dir().glob("*.png"), artifacts_dir() / "gunicorn.log",
                  artifacts_dir() / "worker.log"):
        stale.unlink(missing_ok=True)  # what is left there is from this run only
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    drop_schema = None
    if os.environ.get("DATABASE_URL"):
        database_url, drop_schema = _postgres_schema(os.environ["DATABASE_URL"])
    else:
        database_url = f"sqlite:///{instance / 'sky-badges.db'}"
    environment = _service_environment(instance, database_url, base_url)
    _run_cli(environment, "db", "upgrade")
    accounts = _accounts(_run_cli(environment, "demo"))
    log, worker_log = instance / "gunicorn.log", instance / "worker.log"
    with log.open("w", encoding="utf-8") as output, \
            worker_log.open("w", encoding="utf-8") as worker_output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--timeout", "120", "issuer.web:create_app()"],
            env=environment, stdout=output, stderr=subprocess.STDOUT)
        # As in production: background jobs (bulk issuance) run in a worker beside gunicorn.
        worker = subprocess.Popen(
            [sys.executable, "-c", "import sys; from issuer.cli import main; sys.exit(main())",
             "worker"], env=environment, stdout=worker_output, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(process, base_url, log)
        yield Service(base_url, database_url, accounts)
    finally:
        for running in (process, worker):
            running.terminate()
            try:
                running.wait(timeout=20)
            except subprocess.TimeoutExpired:
                running.kill()
        if request.session.testsfailed:  # the server's side of a failure
            artifacts_dir().mkdir(parents=True, exist_ok=True)
            shutil.copy(log, artifacts_dir() / "gunicorn.log")
            shutil.copy(worker_log, artifacts_dir() / "worker.log")
        if drop_schema is not None:
            drop_schema()


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, launched by Playwright with a fresh profile."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium binary not found (install Debian's chromium or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives each launch a new, empty --user-data-dir of its own.
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so `page` can tell a failure happened."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def _screenshot_on_failure(request, page, number: int) -> None:
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    folder = artifacts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-160:]
    try:
        page.screenshot(path=str(folder / f"{name}-page{number}.png"), full_page=True)
    except Exception as error:  # noqa: BLE001 — a broken page must not hide the real failure
        print(f"no screenshot for {request.node.nodeid}: {error}")


def new_page(browser, request, service, **options):
    """A page in a fresh browser context (own cookies); screenshot kept if the test fails.

    A test's pages are numbered in the order it opened them (`<test id>-page<n>.png`).
    """
    context = browser.new_context(base_url=service.base_url, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    number = getattr(request.node, "e2e_pages", 0) + 1
    request.node.e2e_pages = number
    request.addfinalizer(context.close)
    request.addfinalizer(lambda: _screenshot_on_failure(request, page, number))
    return page


@pytest.fixture
def page(browser, request, service):
    """A desktop-sized page of its own."""
    return new_page(browser, request, service, viewport={"width": 1280, "height": 900})


def gestures_of(service, session_id: int) -> list[tuple[str, str, str]]:
    """(gesture id, level acquired, level not yet) of the session's micro-training, from the
    catalogue as the service reads it."""
    engine = create_engine(normalise_url(service.database_url))
    with DatabaseSession(engine) as db:
        training = training_of(db.get(TrainingSession, session_id).template)
        gestures = [(g.id, g.required_level, g.levels[0].id) for g in training.gestures]
    engine.dispose()
    return gestures


def qr_texts(pdf: Path, page_index: int = 0) -> list[str]:
    """The QR codes printed on one page of a PDF, rasterised at 300 dpi."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        image = document[page_index].render(scale=300 / 72).to_pil()
    finally:
        document.close()
    return [code.text for code in zxingcpp.read_barcodes(image)
            if code.format == zxingcpp.BarcodeFormat.QRCode]


def download(page, click_target: str, folder: Path) -> Path:
    """Click `click_target` and keep the file the browser downloads."""
    with page.expect_download() as event:
        page.click(click_target)
    path = folder / event.value.suggested_filename
    event.value.save_as(str(path))
    return path


def opened_pdf(page, click_target: str, folder: Path) -> Path:
    """Click `click_target`, which opens a PDF inline, and keep the PDF.

    Chromium would show it in its viewer; the test answers the browser's own request with the
    server's response marked as an attachment, so the click ends in a download instead.
    """

    def as_attachment(route):
        response = route.fetch()
        headers = {**response.headers, "content-disposition": "attachment; filename=cards.pdf"}
        route.fulfill(response=response, headers=headers)

    page.route("**/*.pdf", as_attachment)
    try:
        return download(page, click_target, folder)
    finally:
        page.unroute("**/*.pdf", as_attachment)


def log_in(page, account: Account) -> None:
    """Log in through the real form and wait for the landing page."""
    page.goto("/auth/login")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert "/auth/login" not in page.url, f"log-in failed for {account.email}"


# --- the trainer's steps -----------------------------------------------------------------------


def open_session(page) -> int:
    page.goto("/trainer/")
    page.click("main a[href$='/trainer/sessions/new']")
    page.fill("#place", "Lyon")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    match = re.search(r"/trainer/sessions/(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def add_learner(page, session_id: int, name: str, language: str,
                agreed=("name", "email", "photo", "statistics")) -> None:
    """Quick-add a learner who agreed to `agreed` (the boxes the trainer ticks)."""
    page.goto(f"/trainer/sessions/{session_id}")
    page.fill("#name", name)
    page.select_option("#language", language)
    for purpose in agreed:
        page.check(f"#consent_{purpose}")
    with page.expect_navigation():
        page.click(f"form[action$='/sessions/{session_id}/learners'] button[type=submit]")
    assert re.search(r"/learners/\d+$", page.url), page.url


def evaluate_and_issue(page, levels: dict[str, str]) -> None:
    for gesture, level in levels.items():
        page.check(f"input[name='level_{gesture}'][value='{level}']")
    with page.expect_navigation():
        page.click("button[name=action][value=issue]")
