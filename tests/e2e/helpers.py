"""Helpers of the browser tests that are not fixtures."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import axe_playwright_python


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


# --- axe-core (the copy bundled with axe-playwright-python: no network needed) -----------------

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
