"""The dashboard's page in headless Chromium (Debian's ``chromium``, driven by Playwright's
Python API) against a study that a thread is writing: the trial table grows, a curve appears,
the status and value filters work, and the token is enforced.

Skipped, with the reason, where Playwright or the browser is missing: ``.ci/run`` installs
Debian's chromium; ``$TUNESMITH_CHROMIUM`` names another executable. Playwright's own browser
downloads are not used.
"""

from __future__ import annotations

import os
import shutil

import pytest
from _dashdata import Writer, create_study, fill_study, get

from tunesmith.dashboard import make_server
from tunesmith.store import Store

CHROMIUM = os.environ.get("TUNESMITH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: milliseconds the page may take for what a test waits for (it polls every second)
WAIT_MS = 30_000

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason='the browser tests need Playwright: pip install -e ".[dev]"',
)
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium "
    "(apt-get install chromium; .ci/run installs it) or $TUNESMITH_CHROMIUM",
)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture
def live(tmp_path):
    """A store with study 'live' (14 trials, two of them failed) and a server on it; the
    test starts the writer when it is ready."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    store = Store(url)
    study = create_study(store, "live")
    fill_study(store, study, 14)
    server = make_server(url, port=0)
    server.serve_in_thread()
    writer = Writer(store, study, 14, epochs=4)
    yield server, writer
    writer.stop()
    server.close()
    store.close()


def rows(page) -> int:
    return page.locator("#trials-table tbody tr").count()


def test_the_trial_table_grows_while_the_study_is_written(page, live):
    server, writer = live
    page.goto(server.url)
    page.locator("a.study", has_text="live").click()
    page.wait_for_selector("#trials-table")
    assert rows(page) == 14
    writer.start()
    page.wait_for_function(
        "() => document.querySelectorAll('#trials-table tbody tr').length >= 16",
        timeout=WAIT_MS,
    )
    assert page.locator("#trials-table tbody tr[data-trial-id='14']").count() == 1
    assert int(page.locator("#fact-results").inner_text()) > 0


def test_a_curve_appears_for_a_new_trial(page, live):
    server, writer = live
    page.goto(server.url + "#/study/live/curves")
    page.locator("#filter-bar input[value=running]").check()  # the writer's trials only
    page.wait_for_selector("#curves-empty", timeout=WAIT_MS)
    writer.start()
    page.wait_for_selector("#curves[data-series]", timeout=WAIT_MS)
    page.wait_for_function(
        "() => Number(document.querySelector('#curves').dataset.points) >= 2", timeout=WAIT_MS
    )
    assert page.locator("#curves canvas").count() >= 1
    page.locator("#log-y").check()  # drawn again on a log scale
    page.wait_for_function("() => document.querySelector('#log-y').checked", timeout=WAIT_MS)
    assert page.locator("#curves canvas").count() >= 1


def test_the_status_and_value_filters(page, live):
    server, _ = live
    page.goto(server.url + "#/study/live/trials")
    page.wait_for_selector("#trials-table")
    page.locator("#filter-bar input[value=failed]").check()
    page.wait_for_function(
        "() => document.querySelectorAll('#trials-table tbody tr').length === 2", timeout=WAIT_MS
    )
    statuses = page.locator("#trials-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"
    )
    assert statuses == ["failed", "failed"]
    page.locator("#f-clear").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#trials-table tbody tr').length === 14", timeout=WAIT_MS
    )
    _, ranked, _ = get(server.url + "api/studies/live/trials?sort=value&limit=3")
    cut = ranked["trials"][2]["value"]
    page.fill("#f-max", repr(cut))
    page.dispatch_event("#f-max", "change")
    page.wait_for_function(
        "() => document.querySelectorAll('#trials-table tbody tr').length === 3", timeout=WAIT_MS
    )
    shown = page.locator("#trials-table tbody tr").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.trialId))"
    )
    assert sorted(shown) == sorted(t["trial_id"] for t in ranked["trials"])


def test_the_token_is_enforced(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'token.db'}"
    with Store(url) as store:
        fill_study(store, create_study(store, "guarded"), 5)
    token = "browser-test-token"
    server = make_server(url, port=0, token=token)
    server.serve_in_thread()
    try:
        stranger = browser.new_context()
        response = stranger.new_page().goto(server.url)
        assert response.status == 401 and "needs its token" in response.text()
        api = stranger.new_page().goto(server.url + "api/studies")
        assert api.status == 401
        stranger.close()

        owner = browser.new_context()
        page = owner.new_page()
        page.goto(server.url + f"?token={token}")
        page.wait_for_selector("#studies-table a.study")
        assert "token" not in page.url  # the page drops it from the address; the cookie stays
        page.locator("a.study", has_text="guarded").click()
        page.wait_for_selector("#trials-table")
        assert rows(page) == 5
        owner.close()
    finally:
        server.close()
