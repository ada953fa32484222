"""Helpers the end-to-end tests share: starting the real service (environment, CLI, accounts,
readiness), pages in fresh browser contexts, the trainer's steps through the real forms, reading
QR codes off printed PDFs, and axe-core's accessibility audit. Fixtures are in conftest.py."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import axe_playwright_python
import pypdfium2
import zxingcpp
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session as DatabaseSession

from issuer.services.catalogue import training_of
from issuer.store.db import normalise_url
from issuer.store.models import TrainingSession


class Network:
    """A loopback relay in front of the service whose cable the test can pull.

    The browser talks to the service through it, page and service worker alike (Playwright's
    `set_offline` alone leaves a service worker's own requests on the network). `cut()` closes
    every open connection and refuses the next ones until `restore()`. `cut_after(request_line)`
    lets the next request starting so (`b"POST /path"`) reach the service, then pulls the cable
    before its answer gets back: the phone went offline in the middle of a save.
    """

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.armed: bytes | None = None
        self.doomed: set[socket.socket] = set()  # server sides whose answer must not arrive
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        with self.lock:
            self.up = False
            for connection in self.open:
                _close(connection)
            self.open.clear()

    def cut_after(self, request_line: bytes) -> None:
        self.armed = request_line

    def restore(self) -> None:
        with self.lock:
            self.up = True

    def close(self) -> None:
        self.cut()
        _close(self.listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if not self.up:
                    _close(client)
                    continue
                try:
                    server = socket.create_connection(self.upstream, timeout=10)
                except OSError:
                    _close(client)
                    continue
                server.settimeout(None)
                self.open.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                if self.armed is not None and chunk.startswith(self.armed):
                    self.armed = None
                    self.doomed.add(target)
                if source in self.doomed:  # the service answered: the answer is lost
                    self.cut()
                    return
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for connection in (source, target):
                _close(connection)
                with self.lock:
                    self.open.discard(connection)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()


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


def postgres_schema(base: str):
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


def service_environment(instance: Path, database_url: str, base_url: str) -> dict[str, str]:
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


def run_cli(environment: dict[str, str], *arguments: str) -> str:
    command = [sys.executable, "-c", "import sys; from issuer.cli import main; sys.exit(main())",
               *arguments]
    result = subprocess.run(command, env=environment, capture_output=True, text=True,
                            timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"sky-badges {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def demo_accounts(printed: str) -> list[Account]:
    accounts = []
    for line in printed.splitlines():
        if match := _ACCOUNT_LINE.match(line):
            role, email, password = match.groups()
            slug = email.split("@", 1)[1].split(".", 1)[0]
            accounts.append(Account(slug, role, email, password))
    return accounts


def wait_until_up(process: subprocess.Popen, base_url: str, log: Path) -> None:
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


def add_learner(page, session_id: int, name: str, language: str) -> None:
    page.goto(f"/trainer/sessions/{session_id}")
    page.fill("#name", name)
    page.select_option("#language", language)
    with page.expect_navigation():
        page.click(f"form[action$='/sessions/{session_id}/learners'] button[type=submit]")
    assert re.search(r"/learners/\d+$", page.url), page.url


def evaluate_and_issue(page, levels: dict[str, str]) -> None:
    for gesture, level in levels.items():
        page.check(f"input[name='level_{gesture}'][value='{level}']")
    with page.expect_navigation():
        page.click("button[name=action][value=issue]")


# --- axe-core --------------------------------------------------------------------------------

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")
# axe's structural best practices the WCAG tags leave out: one main landmark and h1, headings in
# order, all content in landmarks, a working skip link.
STRUCTURE_RULES = ["heading-order", "landmark-one-main", "page-has-heading-one", "region",
                   "skip-link", "landmark-unique", "landmark-no-duplicate-banner",
                   "landmark-no-duplicate-contentinfo", "landmark-no-duplicate-main"]


RUN_AXE = """options => axe.run(document, {
    runOnly: {type: 'rule', values: axe.getRules(options.tags).map(rule => rule.ruleId)
                                        .concat(options.rules)},
    resultTypes: ['violations']})"""


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA (and structure) violations of the page as shown now, one line
    per rule."""
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate(RUN_AXE, {"tags": WCAG_TAGS, "rules": STRUCTURE_RULES})
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} — "
            + " ".join(str(node["target"]) for node in violation["nodes"][:3])
            for violation in results["violations"]]
