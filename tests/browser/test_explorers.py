"""Static explorers on the built website: they answer their controls, offline.

For every page with explorers: each control is operated from the keyboard (a
range input: Home, then ArrowRight/End; a radio group: arrow keys) and after
each move the picture and its alt text must be the stored ones for the state the
controls now show; each control must change the picture somewhere in its range.
The page-weight test prints, per chapter page, the bytes the stored states add
(a table at the end of the run's output, also without ``-s``).
"""

from __future__ import annotations

import re

import pytest

from _site import settle, SITE, site_pages, SUMMARY

PAGES = site_pages()
MAX_STATE_BYTES = 1_500_000  # per chapter page

EXPLORER_PAGES = [p for p in PAGES if 'class="dbx-explorer"' in (SITE / p).read_text(errors="replace")]

CURRENT = """
(root) => {
  const spec = JSON.parse(root.querySelector('script.dbx-data').textContent);
  const sel = spec.controls.map((c, i) => {
    const range = root.querySelector(`input[type=range][data-dbx-control="${i}"]`);
    if (range) return Number(range.value);
    const radio = root.querySelector(`input[type=radio][data-dbx-control="${i}"]:checked`);
    return Number(radio.value);
  });
  let k = 0;
  spec.controls.forEach((c, i) => { k = k * c.labels.length + sel[i]; });
  const img = root.querySelector('img.dbx-picture');
  const [image, alt] = spec.states[k];
  return {k: k, ok_src: img.src === `data:${spec.mime};base64,${spec.images[image]}`,
          ok_alt: img.alt === alt, src: img.src.slice(-40), loaded: img.complete && img.naturalWidth > 0,
          n_controls: spec.controls.length,
          sizes: spec.controls.map(c => c.labels.length),
          kinds: spec.controls.map(c => c.kind)};
}
"""


def _check(root, problems, where):
    state = root.evaluate(CURRENT)
    if not (state["ok_src"] and state["ok_alt"]):
        problems.append(f"{where}: picture/alt is not the stored one for state {state['k']}")
    return state


def _explorer_sizes(html: str) -> list[int]:
    """Bytes of each static explorer's markup (its pictures, alt texts and controls)."""
    return [len(m.group(0).encode()) for m in
            re.finditer(r'<div class="dbx-explorer".*?</script>\s*</div>', html, re.S)]


@pytest.mark.browser
@pytest.mark.parametrize("path", EXPLORER_PAGES)
def test_explorers_answer_their_controls(page, site_url, path):
    page.goto(site_url + path, wait_until="load")
    settle(page)
    roots = page.locator(".dbx-explorer.dbx-ready")
    n = page.locator(".dbx-explorer").count()
    assert roots.count() == n > 0, f"{path}: {n} explorer(s), {roots.count()} initialised by the script"
    problems = []
    for e in range(n):
        root = roots.nth(e)
        start = _check(root, problems, f"{path} explorer {e} at load")
        for i, (size, kind) in enumerate(zip(start["sizes"], start["kinds"])):
            where = f"{path} explorer {e} control {i}"
            seen = {_check(root, problems, where)["src"]}
            if kind == "slider":
                handle = root.locator(f'input[type=range][data-dbx-control="{i}"]')
                handle.focus()
                handle.press("Home")
                seen.add(_check(root, problems, where + " Home")["src"])
                for step in range(min(size - 1, 12)):
                    handle.press("ArrowRight")
                    seen.add(_check(root, problems, f"{where} step {step + 1}")["src"])
                handle.press("End")
                seen.add(_check(root, problems, where + " End")["src"])
            else:
                # A choice can matter only away from a slider's start (e.g. 0 steps taken).
                sliders = root.locator("input[type=range]")
                for j in range(sliders.count()):
                    sliders.nth(j).focus()
                    sliders.nth(j).press("End")
                radios = root.locator(f'input[type=radio][data-dbx-control="{i}"]')
                radios.first.focus()
                radios.first.press("Space")
                seen.add(_check(root, problems, where + " first option")["src"])
                for step in range(size - 1):
                    page.keyboard.press("ArrowRight")
                    seen.add(_check(root, problems, f"{where} option {step + 2}")["src"])
            if size > 1 and len(seen) < 2:
                problems.append(f"{where}: moving it never changed the picture")
    if page.errors:
        problems.append(f"console errors: {page.errors}")
    if page.outside_requests:
        problems.append(f"requests left the site: {sorted(set(page.outside_requests))[:5]}")
    assert not problems, "\n  ".join(problems[:20])


def test_page_weight_of_stored_states(request):
    """The stored states add at most 1.5 MB to a chapter page (the table is printed at the end of the run)."""
    assert EXPLORER_PAGES, "no page of the site has a static explorer (run `make execute`?)"
    rows = []
    for path in EXPLORER_PAGES:
        html = (SITE / path).read_text()
        sizes = _explorer_sizes(html)
        rows.append((path, len(sizes), sum(sizes), len(html.encode())))
    table = [f"{'page':40s} {'explorers':>9s} {'states add':>11s} {'page html':>10s}"]
    table += [f"{path:40s} {n:9d} {added / 1e6:9.3f} MB {total / 1e6:8.3f} MB" for path, n, added, total in rows]
    request.config.stash.setdefault(SUMMARY, []).append(
        (f"page weight of the stored explorer states (limit {MAX_STATE_BYTES / 1e6:.1f} MB a page)", table))
    heavy = [(p, a) for p, _, a, _ in rows if a > MAX_STATE_BYTES]
    assert not heavy, f"stored explorer states over {MAX_STATE_BYTES} bytes: {heavy}"


def test_every_explorer_output_became_static():
    """Each chapter page's explorers are static ones; none is left as a frozen widget."""
    frozen = []
    for path in PAGES:
        html = (SITE / path).read_text(errors="replace")
        views = html.count('application/vnd.jupyter.widget-view+json')
        if views:
            frozen.append((path, views))
    assert not frozen, f"widget views still rendered (no stored static states?): {frozen}"
