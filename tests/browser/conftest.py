"""Fixtures for the browser tests: the built site served on 127.0.0.1, and Chromium.

Chromium is found in this order: the DREAMBOOK_CHROMIUM environment variable,
Debian/Ubuntu's /usr/bin/chromium (CI installs it with apt), then Playwright's
own browser if one was installed with `playwright install chromium`.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import time
from urllib.parse import urlparse

import pytest

from _site import SITE, SUMMARY, site_pages  # noqa: E402,F401

# Flags for a root user in a container with no network but loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


def pytest_terminal_summary(terminalreporter, config):
    """Print the tables tests left in ``config.stash[SUMMARY]`` (e.g. the page weights)."""
    for title, lines in config.stash.get(SUMMARY, []):
        terminalreporter.write_sep("-", title)
        for line in lines:
            terminalreporter.write_line(line)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output readable
        pass


@pytest.fixture(scope="session")
def site_url():
    if not (SITE / "index.html").exists():
        pytest.fail("the site is not built: run `make book` first (make test does it)")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _chromium_executable() -> str | None:
    explicit = os.environ.get("DREAMBOOK_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None  # let Playwright use its own browser, if installed


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium_executable()
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception as err:  # noqa: BLE001 - turn any launch failure into advice
            pytest.fail(
                "could not start Chromium for the browser tests "
                f"({type(err).__name__}: {str(err).splitlines()[0]}).\n"
                "Install one: `sudo apt-get install chromium` (Debian/Ubuntu), or "
                "`python -m playwright install chromium`, or point DREAMBOOK_CHROMIUM "
                "at a Chromium or Chrome executable."
            )
        yield browser
        browser.close()


LOCAL_HOSTS = {"127.0.0.1"}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.outside_requests = []
    page.errors = []
    page.in_flight = set()
    page.last_activity = time.monotonic()

    def started(request):
        page.in_flight.add(request)
        page.last_activity = time.monotonic()

    def ended(request):
        page.in_flight.discard(request)
        page.last_activity = time.monotonic()

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)

    def route(route):
        url = route.request.url
        if urlparse(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            page.outside_requests.append(url)
            route.abort()

    context.route("**/*", route)
    page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
    page.on("pageerror", lambda exc: page.errors.append(f"uncaught: {exc}"))
    page.on("response", lambda r: r.status >= 400 and page.errors.append(f"HTTP {r.status}: {r.url}"))
    yield page
    context.close()

