"""Where the built site is and which pages it has (shared by the browser tests)."""

from __future__ import annotations

import os
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


