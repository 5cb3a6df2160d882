"""Every page of the built website, checked in a real Chromium.

For each page: it loads; no console errors or uncaught exceptions; every math
block is typeset by MathJax; every widget renders to something visible; every
image has real alt text and is not blank; every exercise solution is collapsed;
and not a single request leaves 127.0.0.1 (each is intercepted and counted).
"""

from __future__ import annotations

import re

import pytest

from _site import ROOT, settle, SITE, site_pages

ROOT_BUILD = ROOT / "_build"

PAGES = site_pages()
LOCAL_HOSTS = {"127.0.0.1"}

WAIT_FOR_MATHJAX = """
async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
}
"""

UNTYPESET_MATH = """
() => Array.from(document.querySelectorAll('.math'))
  .filter(el => !el.querySelector('mjx-container'))
  .map(el => el.textContent.slice(0, 60))
"""

WIDGETS = """
() => Array.from(document.querySelectorAll(
        'script[type="application/vnd.jupyter.widget-view+json"]'))
  .map(script => {
    const area = script.previousElementSibling;
    const ok = !!area && area.classList.contains('widget-subarea') &&
               area.getBoundingClientRect().height > 20 && area.innerText !== undefined &&
               area.querySelector('*') !== null;
    return ok;
  })
"""

# Images: alt text that is not just a file name, and pixels that are not all one colour.
IMAGES = """
async () => {
  const out = [];
  for (const img of Array.from(document.images)) {
    if (!img.complete) { await new Promise(r => { img.onload = r; img.onerror = r; }); }
    const alt = (img.getAttribute('alt') || '').trim();
    let blank = null;
    if (img.naturalWidth > 0) {
      const c = document.createElement('canvas');
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      try {
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        blank = true;
        for (let i = 4; i < d.length; i += 4) {
          if (d[i] !== d[0] || d[i+1] !== d[1] || d[i+2] !== d[2] || d[i+3] !== d[3]) { blank = false; break; }
        }
      } catch (e) { blank = 'unreadable: ' + e; }
    }
    out.push({src: (img.getAttribute('src') || '').slice(0, 80), alt: alt,
              loaded: img.naturalWidth > 0, blank: blank});
  }
  return out;
}
"""

SOLUTIONS = """
() => Array.from(document.querySelectorAll('.solution')).map(sol => {
  const body = Array.from(sol.children).filter(ch => !ch.classList.contains('admonition-title')
                                                   && !ch.classList.contains('toggle-button'));
  const visible = body.some(ch => ch.offsetParent !== null && ch.getBoundingClientRect().height > 0);
  return {id: sol.id || sol.className, collapsed: !visible};
})
"""


def _looks_like_filename(alt: str) -> bool:
    return "/" in alt or alt.lower().endswith((".png", ".svg", ".jpg", ".jpeg", ".gif"))


def test_site_has_pages():
    assert "index.html" in PAGES, f"no built site under {SITE}: run `make book`"
    assert len(PAGES) >= 3


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_page(page, site_url, path):
    response = page.goto(site_url + path, wait_until="load")
    assert response is not None and response.ok, f"{path} did not load: {response and response.status}"
    redirect = re.search(r'http-equiv="refresh"[^>]*url=([^"]+)"', (SITE / path).read_text(), re.I)
    if redirect:  # the site's root page only forwards to the preface
        page.wait_for_url("**/" + redirect.group(1).lstrip("./"), timeout=10_000)
        page.wait_for_load_state("load")
    page.evaluate(WAIT_FOR_MATHJAX)

    n_views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    if n_views:
        try:
            page.wait_for_function(f"() => document.querySelectorAll('.widget-subarea').length >= {n_views}",
                                   timeout=15_000)
        except Exception:  # noqa: BLE001 - reported by the assertion below
            pass
    settle(page)

    problems = []
    untypeset = page.evaluate(UNTYPESET_MATH)
    if untypeset:
        problems.append(f"{len(untypeset)} math block(s) not typeset, e.g. {untypeset[0]!r}")
    widgets = page.evaluate(WIDGETS)
    if not all(widgets):
        problems.append(f"{widgets.count(False)} of {len(widgets)} widget(s) rendered blank")
    for img in page.evaluate(IMAGES):
        if not img["alt"] or _looks_like_filename(img["alt"]):
            problems.append(f"image {img['src']!r} has no real alt text (alt={img['alt']!r})")
        if not img["loaded"]:
            problems.append(f"image {img['src']!r} did not load")
        elif img["blank"] is not False:
            problems.append(f"image {img['src']!r} is blank or unreadable ({img['blank']})")
    for sol in page.evaluate(SOLUTIONS):
        if not sol["collapsed"]:
            problems.append(f"solution {sol['id']!r} is shown expanded")
    if page.errors:
        problems.append(f"console errors: {page.errors}")
    if page.outside_requests:
        problems.append(f"{len(page.outside_requests)} request(s) left 127.0.0.1: "
                        f"{sorted(set(page.outside_requests))[:5]}")
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


@pytest.mark.browser
def test_screenshot_of_a_chapter(page, site_url):
    """Save a full-page screenshot of the notation chapter into the build folder."""
    target = SITE.parent / "screenshots" / "notation.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.goto(site_url + "book/notation.html", wait_until="load")
    page.evaluate(WAIT_FOR_MATHJAX)
    settle(page)
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_the_pdf_is_offered_when_built():
    """After `make pdf`, `make book` serves the PDF and the front page links to it."""
    pdf = ROOT_BUILD / "latex" / "dreaming-and-sampling.pdf"
    if not pdf.exists() or SITE != ROOT_BUILD / "html":
        pytest.skip("no PDF built (`make pdf`)")
    served = SITE / "dreaming-and-sampling.pdf"
    assert served.exists(), "make book did not copy the PDF into the site"
    assert served.read_bytes() == pdf.read_bytes()
    intro = next(SITE.rglob("intro.html")).read_text()
    assert 'href="../dreaming-and-sampling.pdf"' in intro  # intro.html is in book/, the PDF at the root


DARK_CHAPTER = next((p for p in PAGES if p.startswith("book/03-")), None)


@pytest.mark.browser
@pytest.mark.skipif(DARK_CHAPTER is None, reason="no built chapter 3")
def test_dark_mode_keeps_figures_legible(page, site_url):
    """The colour switch works: in dark mode the page is dark, every figure sits on white, no console error."""
    page.goto(site_url + DARK_CHAPTER, wait_until="load")
    page.evaluate("() => { localStorage.setItem('theme', 'dark'); localStorage.setItem('mode', 'dark'); }")
    page.reload(wait_until="load")
    settle(page)
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    body = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    rgb = [int(v) for v in re.findall(r"\d+", body)[:3]]
    assert sum(rgb) < 3 * 80, f"dark mode page background is {body}"
    grounds = page.evaluate("""() => [...document.querySelectorAll('.cell_output img, figure img, .dbx-picture')]
        .map(img => getComputedStyle(img).backgroundColor)""")
    assert grounds, "no figure on the page"
    assert set(grounds) == {"rgb(255, 255, 255)"}, f"figures without a white ground: {set(grounds)}"
    assert not page.errors, f"console errors in dark mode: {page.errors}"


@pytest.mark.browser
def test_settle_names_a_request_that_never_ends(page, site_url):
    """The wait the page tests use fails, naming the URL, while a request is still open."""
    page.goto(site_url + "book/notation.html", wait_until="load")
    settle(page)
    page.route("**/never-answered.json", lambda route: None)  # held open: no continue, no abort
    page.evaluate("() => { fetch('never-answered.json'); }")
    with pytest.raises(pytest.fail.Exception, match="never-answered.json"):
        settle(page, timeout=2)
