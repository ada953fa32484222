"""A partner admin issues a CSV file in a real browser: the file is checked, the confirmation
answers at once with a progress page that reloads itself (no JavaScript) while the service's
worker process issues the badges, and the finished page passes axe."""

from __future__ import annotations

import re

from tests.e2e.helpers import axe_violations, gestures_of, log_in

ORGANISATION = "barka"  # the other browser tests work in cec and agfe
ROWS = 25


def test_an_admin_watches_a_bulk_job_finish_in_the_background(page, service):
    log_in(page, service.account(ORGANISATION, "admin"))
    page.goto("/admin/bulk?lang=en")
    session_id = int(page.eval_on_selector("#session", "select => select.value"))
    gestures = [gesture for gesture, _acquired, _not_yet in gestures_of(service, session_id)]
    lines = [",".join(["name", *gestures])] + [
        ",".join([f"Uczestnik {n} Łukasiewicz", *["acquired"] * len(gestures)])
        for n in range(1, ROWS + 1)]
    page.set_input_files("#file", files=[{"name": "learners.csv", "mimeType": "text/csv",
                                          "buffer": ("\n".join(lines) + "\n").encode()}])
    with page.expect_navigation():
        page.click("main form[enctype] button[type=submit]")
    assert "Will issue: 25" in page.inner_text("main")
    with page.expect_navigation():
        page.click("form[action$='/admin/bulk/run'] button[type=submit]")
    assert re.search(r"/admin/bulk/jobs/\d+$", page.url)

    # The page reloads itself every 3 s until the worker has carried out every line.
    page.get_by_text("Finished.").wait_for(timeout=180_000)
    assert page.eval_on_selector("progress", "bar => [bar.value, bar.max]") == [ROWS, ROWS]
    assert "Issued: 25" in page.inner_text("main")
    assert page.query_selector("meta[http-equiv=refresh]") is None
    assert axe_violations(page) == []
