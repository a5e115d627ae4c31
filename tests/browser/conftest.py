"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's
live server. Every test here is marked ``browser``; without /usr/bin/chromium they are
skipped, or fail when XN_REQUIRE_BROWSER=1 (CI). A screenshot of each test's last page is
written to test-artifacts/screenshots/<test name>.png, pass or fail."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop in this thread, so Django would refuse
# ORM calls from the test (SynchronousOnlyOperation). Test-only, and the standard workaround.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = (
            f"Chromium not installed at {CHROMIUM}: browser tests need it "
            "(apt-get install -y chromium)."
        )
        if os.environ.get("XN_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " XN_REQUIRE_BROWSER=1 makes this an error.", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def context(browser):
    """A fresh browser context (cookies, storage) per test, with a Chinese browser locale
    like the office's machines, so the site's first language is Simplified Chinese."""
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


def _screenshot_name(nodeid_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid_name).strip("_")[:150] + ".png"


@pytest.fixture
def page(context, request):
    """A page in a fresh context; its last state is saved as a screenshot after the test."""
    pg = context.new_page()
    yield pg
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(SCREENSHOTS / _screenshot_name(request.node.name)), full_page=True)
    except Exception as exc:  # a crashed page must not hide the test's own result
        print(f"screenshot failed: {exc}")


def login_through_form(page, live_server, user, password: str) -> None:
    """Log in through the real login form and wait until the browser has left it.
    (The form is being rewritten: find fields by name, never by id.)"""
    page.goto(f"{live_server.url}/accounts/login/")
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='username']").fill(user.username)
    form.locator("input[name='password']").fill(password)
    form.locator("[type='submit']").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def forget_session(page) -> None:
    """Drop the session cookie, as if the browser had been closed."""
    page.context.clear_cookies()


@pytest.fixture
def snap(page, request):
    """``snap("step")`` saves a screenshot of the page now, as <test name>-step.png."""

    def take(step: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = _screenshot_name(f"{request.node.name}-{step}")
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)

    return take


@pytest.fixture
def login():
    """``login(page, live_server, user, password)``: log in through the form."""
    return login_through_form


@pytest.fixture
def snap_page(request):
    """``snap_page(pg, "step")`` saves a screenshot of any page (another persona's context,
    say) as <test name>-step.png."""

    def take(pg, step: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = _screenshot_name(f"{request.node.name}-{step}")
        pg.screenshot(path=str(SCREENSHOTS / name), full_page=True)

    return take


@pytest.fixture
def page_as(browser, live_server):
    """``page_as(user, password)``: a page in a browser context of its own, signed in as
    ``user`` through the login form (one context per persona; the same page is returned when
    asked again for that user). Closed after the test."""
    contexts = []
    pages: dict[int, object] = {}

    def open_page(user, password: str, *, viewport=None):
        if user.pk in pages:
            return pages[user.pk]
        ctx = browser.new_context(
            viewport=viewport or DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        pg = ctx.new_page()
        login_through_form(pg, live_server, user, password)
        pages[user.pk] = pg
        return pg

    yield open_page
    for ctx in contexts:
        ctx.close()
