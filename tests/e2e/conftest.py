"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live_server."""

import os
import shutil
import time
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
# How every browser test runs Debian's Chromium headless (tests/live and tests/calls too).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def login(live_server):
    """login(page, username, password): signs in through the real login form."""

    def _login(page, username: str, password: str):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        return page

    return _login


@pytest.fixture
def new_page(browser, live_server):
    """new_page(): a page in a fresh browser context (its own cookies), closed after the test."""
    contexts = []

    def _new_page(**context_kwargs):
        context = browser.new_context(base_url=live_server.url, **context_kwargs)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()
    # A poll the browser sent just before closing may still be running in the live server's
    # thread; let it finish before the test database is flushed (a TRUNCATE racing its query can
    # deadlock on PostgreSQL).
    time.sleep(0.5)
