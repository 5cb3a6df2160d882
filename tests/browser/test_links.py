"""No dead link on the built website.

Every page of the built site (``_build/html``, from ``make book``) is parsed,
and every reference it makes is checked:

* internal ones (``<a href>``, ``<area href>``, ``<link href>`` and the ``src`` of
  ``img``, ``script``, ``iframe``, ``source``, ``video``, ``audio``, ``embed``):
  the file must exist inside the site, and a ``#fragment`` must be the ``id``
  (or an ``<a name>``) of an element of the page it points at;
* external ones (``http``/``https``): checked **by their form only, never
  fetched** (the tests run offline). The URL must have a well-formed host
  name; a ``doi.org`` link must be https and carry a DOI (``10.NNNN/suffix``);
  an ``arxiv.org/abs`` or ``/pdf`` link must carry an arXiv identifier. Whether
  the far end answers is not tested.
* ``mailto:`` must name an address; ``data:`` URIs (the explorers' pictures)
  are self-contained; any other scheme (``javascript:``, ``file:``, ...) is refused.

No browser is needed: this reads the files ``make book`` wrote.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from _site import SITE, site_pages

PAGES = site_pages()

#: (tag, attribute) pairs that make the browser follow or fetch a URL.
LINK_ATTRIBUTES = {("a", "href"), ("area", "href"), ("link", "href"), ("img", "src"),
                   ("script", "src"), ("iframe", "src"), ("source", "src"), ("video", "src"),
                   ("audio", "src"), ("embed", "src")}

HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
#: A DOI: "10.", a registrant code of 4-9 digits (optionally dotted), "/", a suffix without spaces.
DOI = re.compile(r"^10\.\d{4,9}(\.\d+)*/\S+$")
#: arXiv identifiers, new style (0908.0012, 1406.2751v2) and old style (cond-mat/0102536).
ARXIV = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?(\.pdf)?$")
MAILTO = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)


class _Page(HTMLParser):
    """The ids a page defines and the URLs it references (with their tag, for messages)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for t, attribute in LINK_ATTRIBUTES:
            if tag == t and attrs.get(attribute) is not None:
                self.links.append((f"<{tag} {attribute}>", attrs[attribute].strip()))

    handle_startendtag = handle_starttag


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    page.close()
    return page


def external_problem(url: str) -> str | None:
    """Why an http(s) URL is malformed, or None (the URL is not fetched)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not HOST.match(host) or " " in url:
        return "malformed URL"
    path = unquote(parts.path)
    if host in ("doi.org", "dx.doi.org"):
        if parts.scheme != "https":
            return "DOI link is not https"
        if not DOI.match(path.lstrip("/")):
            return "not a DOI after doi.org/"
    if host.endswith("arxiv.org") and path.startswith(("/abs/", "/pdf/")):
        if not ARXIV.match(path.split("/", 2)[2]):
            return "not an arXiv identifier"
    return None


def link_problems(site: Path, page: Path) -> list[str]:
    """Every reference of ``page`` (a file under ``site``) that is dead or malformed."""
    site = site.resolve()
    problems = []
    for where, url in _parse(page).links:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https") or url.startswith("//"):
            why = external_problem(url if scheme else "https:" + url)
            if why:
                problems.append(f"{where} {url!r}: {why}")
            continue
        if scheme == "data":
            continue
        if scheme == "mailto":
            if not MAILTO.match(unquote(parts.path)):
                problems.append(f"{where} {url!r}: not an e-mail address")
            continue
        if scheme:
            problems.append(f"{where} {url!r}: scheme {scheme!r} is not allowed on the site")
            continue
        # An internal reference: a file of the site, then perhaps an anchor in it.
        if parts.path:
            target = (page.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
        else:
            target = page.resolve()
        if site not in target.parents:
            problems.append(f"{where} {url!r}: points outside the site")
            continue
        if not target.is_file():
            problems.append(f"{where} {url!r}: no file {target.relative_to(site)}")
            continue
        fragment = unquote(parts.fragment)
        if fragment and target.suffix == ".html" and fragment not in _parse(target).ids:
            problems.append(f"{where} {url!r}: no id {fragment!r} in {target.relative_to(site)}")
    return problems


def test_site_is_built():
    assert "index.html" in PAGES, f"no built site under {SITE}: run `make book`"


@pytest.mark.parametrize("path", PAGES)
def test_no_dead_link(path):
    problems = link_problems(SITE, SITE / path)
    assert not problems, f"{path}: {len(problems)} dead or malformed link(s):\n  " + "\n  ".join(problems[:30])


def test_the_check_finds_dead_links(tmp_path):
    """The checker itself: each kind of dead or malformed reference is reported, good ones are not."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "sub" / "b.html").write_text('<h2 id="there">there</h2><a name="old"></a>')
    good = ['<a href="sub/b.html#there">', '<a href="sub/b.html#old">', '<a href="#here">', '<a href="#">',
            '<a href="sub/">', '<img src="a.png">', '<img src="data:image/png;base64,AAAA">',
            '<a href="https://doi.org/10.1162/neco.2006.18.7.1577">', '<a href="https://arxiv.org/abs/1406.2751">',
            '<a href="http://www.inference.org.uk/mackay/">', '<a href="mailto:someone@example.org">']
    bad = {'<a href="sub/c.html">': "no file", '<a href="sub/b.html#gone">': "no id 'gone'",
           '<a href="#nowhere">': "no id 'nowhere'", '<script src="js/x.js"></script>': "no file",
           '<link href="../outside.css">': "outside the site", '<a href="https://doi.org/11.2/x">': "not a DOI",
           '<a href="http://doi.org/10.1038/4580">': "not https", '<a href="https://arxiv.org/abs/14x">': "arXiv",
           '<a href="https://exa mple.org/">': "malformed", '<a href="javascript:alert(1)">': "not allowed",
           '<a href="mailto:nobody">': "e-mail"}
    (tmp_path / "sub" / "index.html").write_text("")
    page = tmp_path / "index.html"
    page.write_text('<p id="here"></p>' + "".join(good) + "".join(bad))
    problems = link_problems(tmp_path, page)
    assert len(problems) == len(bad), problems
    for (markup, why), problem in zip(bad.items(), problems):
        assert why in problem, (markup, problem)
