"""Browser tests: Playwright driving Debian's Chromium against live_server."""

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"

# Playwright's sync API runs an event loop in this thread; Django would otherwise
# refuse ORM calls from the test body.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("FIRSTLINE_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"Browser tests need {CHROMIUM} (apt-get install chromium).")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def login(live_server, page):
    def _login(username, password="demo"):  # noqa: S107 - the demo password
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        return page

    return _login


@pytest.fixture(autouse=True)
def _settle_before_teardown(page):
    """Let the page's last requests finish and stop its polling before the test's data is flushed.

    A request the live server is still answering holds a database transaction;
    flushing the test database under it fails with "table is locked" on SQLite.
    """
    yield
    try:
        page.wait_for_load_state("networkidle", timeout=5000)
        page.goto("about:blank")
        page.wait_for_timeout(200)
    except Exception:  # noqa: S110 - a page that is already closed or broken has nothing left to settle
        pass
