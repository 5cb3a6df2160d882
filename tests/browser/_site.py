"""Where the built site is and which pages it has (shared by the browser tests)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"

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


