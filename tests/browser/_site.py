"""Where the built site is and which pages it has (shared by the browser tests)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# DREAMBOOK_SITE points the tests at another build (e.g. tools/build_book.py --output DIR).
SITE = Path(os.environ.get("DREAMBOOK_SITE", ROOT / "_build" / "html"))

#: Lines a test leaves for the end of the run's output (conftest.py prints them, also without -s):
#: a list of (title, lines).
SUMMARY = pytest.StashKey[list]()


def site_pages() -> list[str]:
    """Every HTML page of the built site, relative to the site root."""
    if not (SITE / "index.html").exists():
        return []
    skip = {"_static", "_sources", "_images"}
    return sorted(
        p.relative_to(SITE).as_posix()
        for p in SITE.rglob("*.html")
        if not skip.intersection(p.relative_to(SITE).parts)
    )


def settle(page, quiet: float = 0.5, timeout: float = 120.0) -> None:
    """Wait until none of ``page``'s requests is open and none started or ended for ``quiet`` s.

    The ``page`` fixture (conftest.py) counts the requests as Playwright reports them.

    Our own count of the page's requests, not Playwright's ``networkidle`` state: that comes
    from Chromium's lifecycle events, and on a busy two-core machine a long page (the API
    reference, MathJax typesetting for seconds) sometimes never reported it. On timeout the
    error names the requests still open.
    """
    start = time.monotonic()  # the quiet spell is watched here, so events still queued are seen
    deadline = start + timeout
    while True:
        if not page.in_flight and time.monotonic() - max(page.last_activity, start) >= quiet:
            return
        if time.monotonic() > deadline:
            open_urls = sorted(r.url for r in page.in_flight)
            pytest.fail(f"{page.url}: the network was not quiet for {quiet} s within {timeout} s; "
                        f"{len(open_urls)} request(s) open: {open_urls[:5]}")
        page.wait_for_timeout(100)  # lets Playwright deliver the request events
