"""Accessibility (axe-core, pinned in tools/vendor/package-lock.json) and honest links, on every page.

axe is injected by the test from the vendored npm package (never served by the
site). ALLOWED lists theme-level rules we do not control, each with its reason.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from _site import ROOT, site_pages

PAGES = site_pages()
AXE = ROOT / "tools" / "vendor" / "node_modules" / "axe-core" / "axe.min.js"

#: rule id -> why it is allowed (theme-level markup of sphinx-book-theme / pydata-sphinx-theme).
ALLOWED: dict[str, str] = {
    "label-content-name-mismatch": "pydata-sphinx-theme's search button: visible text 'Search Ctrl+K', "
                                   "aria-label 'Search' (theme template)",
    "region": "pydata-sphinx-theme's primary sidebar item sits outside a landmark (theme template)",
}

#: page -> {rule id -> why}: markup one extension writes on one page only.
PAGE_ALLOWED: dict[str, dict[str, str]] = {
    "book/bibliography.html": {
        "aria-allowed-role": "docutils writes each citation as <div role='doc-biblioentry'> (sphinxcontrib-bibtex)",
        "aria-deprecated-role": "the same role, deprecated in DPUB-ARIA 1.1 (docutils markup)",
        "aria-required-children": "docutils' citation list carries role='doc-bibliography' around those entries",
    },
}

PLACEHOLDER_HOSTS = re.compile(r"(^|\.)example\.(org|com|net)$|^hub\.example")
PLACEHOLDER_REPO = "dreaming-and-sampling/dreaming-and-sampling"

RUN_AXE = """
async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, n: v.nodes.length,
                                 target: v.nodes.slice(0, 2).map(n => n.target.join(' '))}));
}
"""


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_axe_and_links(page, site_url, path):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `python tools/vendor.py` (make book does)")
    page.goto(site_url + path, wait_until="load")
    try:  # axe needs the rendered page, not a quiet network: the long API page may keep MathJax busy
        page.wait_for_load_state("networkidle", timeout=30_000)
    except PlaywrightTimeoutError:
        pass
    page.add_script_tag(content=AXE.read_text())
    allowed = ALLOWED | PAGE_ALLOWED.get(path, {})
    violations = [v for v in page.evaluate(RUN_AXE) if v["id"] not in allowed]
    links = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    bad_links = [u for u in links if PLACEHOLDER_HOSTS.search(urlparse(u).hostname or "")
                 or PLACEHOLDER_REPO in u]
    problems = [f"axe {v['impact']} {v['id']} x{v['n']}: {v['target']}" for v in violations]
    problems += [f"link to a placeholder: {u}" for u in bad_links]
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)
