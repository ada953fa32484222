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
import shutil
import subprocess
import sys

import pytest

from tests.e2e.helpers import (
    Service,
    artifacts_dir,
    chromium_path,
    demo_accounts,
    new_page,
    postgres_schema,
    run_cli,
    service_environment,
    wait_until_up,
)
from tests.helpers import free_port

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


@pytest.fixture(scope="session")
def service(request, tmp_path_factory):
    """The real service under gunicorn on 127.0.0.1, seeded with the demo data."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    for stale in (*artifacts_dir().glob("*.png"), artifacts_dir() / "gunicorn.log",
                  artifacts_dir() / "worker.log"):
        stale.unlink(missing_ok=True)  # what is left there is from this run only
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    drop_schema = None
    if os.environ.get("DATABASE_URL"):
        database_url, drop_schema = postgres_schema(os.environ["DATABASE_URL"])
    else:
        database_url = f"sqlite:///{instance / 'sky-badges.db'}"
    environment = service_environment(instance, database_url, base_url)
    run_cli(environment, "db", "upgrade")
    accounts = demo_accounts(run_cli(environment, "demo"))
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
        wait_until_up(process, base_url, log)
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


@pytest.fixture
def page(browser, request, service):
    """A desktop-sized page of its own."""
    return new_page(browser, request, service, viewport={"width": 1280, "height": 900})



