"""Accessibility (axe-core, pinned in tools/vendor/package-lock.json) and honest links, on every page.

axe is injected by the test from the vendored npm package (never served by the
site). ALLOWED lists theme-level rules we do not control, each with its reason.
Every page is checked in the theme's light mode (the default), and a sample of
pages in its dark mode too.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from _site import ROOT, settle, site_pages

PAGES = site_pages()
AXE = ROOT / "tools" / "vendor" / "node_modules" / "axe-core" / "axe.min.js"

#: rule id -> why it is allowed (theme-level markup of sphinx-book-theme / pydata-sphinx-theme).
ALLOWED: dict[str, str] = {
    "label-content-name-mismatch": "pydata-sphinx-theme's search button: visible text 'Search Ctrl+K', "
                                   "aria-label 'Search' (theme template)",
    "region": "pydata-sphinx-theme's primary sidebar item sits outside a landmark (theme template)",
}

#: page -> {rule id -> why}: markup one extension writes on one page only.
#: The bibliography's three come from docutils' HTML5 writer, not from the book's sources:
#: ``HTMLTranslator.visit_citation`` (docutils 0.21.2, writers/_html_base.py) wraps the citations
#: sphinxcontrib-bibtex emits in ``<div role="list">`` and gives each ``role="doc-biblioentry"``,
#: a DPUB-ARIA role axe 4.14 reports as deprecated, not allowed on a div, and not a listitem of
#: that list. Nothing in references.bib or the chapters changes that markup; removing these
#: entries would take a Sphinx extension that overrides visit_citation (e.g. role="listitem").
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


def _axe_violations(page, site_url, path, dark=False):
    """axe's violations on ``path`` (light mode, or the theme's dark mode), allowed rules left out."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `python tools/vendor.py` (make book does)")
    page.goto(site_url + path, wait_until="load")
    if dark:  # the theme's colour switch stores the choice; a reload applies it
        page.evaluate("() => { localStorage.setItem('theme', 'dark'); localStorage.setItem('mode', 'dark'); }")
        page.reload(wait_until="load")
    settle(page)
    if dark:
        assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    page.add_script_tag(content=AXE.read_text())
    allowed = ALLOWED | PAGE_ALLOWED.get(path, {})
    return [v for v in page.evaluate(RUN_AXE) if v["id"] not in allowed]


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_axe_and_links(page, site_url, path):
    violations = _axe_violations(page, site_url, path)
    links = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    bad_links = [u for u in links if PLACEHOLDER_HOSTS.search(urlparse(u).hostname or "")
                 or PLACEHOLDER_REPO in u]
    problems = [f"axe {v['impact']} {v['id']} x{v['n']}: {v['target']}" for v in violations]
    problems += [f"link to a placeholder: {u}" for u in bad_links]
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


#: Dark mode is checked on a sample: the front page, a chapter with an explorer, exercises and
#: proofs, the chapter with the most explorers, and the bibliography (colours are site-wide CSS).
DARK_SAMPLE = [p for p in PAGES if p in ("book/intro.html", "book/notation.html", "book/bibliography.html")
               or p.startswith(("book/02-", "book/05-"))]


@pytest.mark.browser
@pytest.mark.parametrize("path", DARK_SAMPLE)
def test_axe_in_dark_mode(page, site_url, path):
    violations = _axe_violations(page, site_url, path, dark=True)
    problems = [f"axe {v['impact']} {v['id']} x{v['n']}: {v['target']}" for v in violations]
    assert not problems, f"{path} in dark mode:\n  " + "\n  ".join(problems)
