"""Launch buttons: shown only when a deployer names the repository (tools/build_book.py --repo).

The default build (``make book``) must show no repository button and no
Binder/Colab/JupyterHub launch buttons, and link to no repository or hub at all;
``make book REPO=https://github.com/x/y`` must show them, pointing at that repository.

The fast tests check the configuration ``tools/build_book.py`` hands to Jupyter Book
(its ``jupyter-book build`` command is captured, not run) and the Sphinx theme options
Jupyter Book derives from it. The slow test renders a one-page book with each of the
two configurations, to see the buttons the theme actually draws. The built website
itself is checked by tests/browser/test_a11y.py (no link points at a placeholder host).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPO = "https://github.com/x/y"

_spec = importlib.util.spec_from_file_location("build_book", ROOT / "tools" / "build_book.py")
build_book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_book)

_real_run = subprocess.run


def _jupyter_book_command(argv, tmp_path, monkeypatch) -> list[str]:
    """The ``jupyter-book build`` command main(argv) runs (nothing is run)."""
    calls = []

    def fake_run(command, *args, **kwargs):
        calls.append([str(c) for c in command])
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(build_book.subprocess, "run", fake_run)
    assert build_book.main([*argv, "--output", str(tmp_path / "out")]) == 0
    monkeypatch.setattr(build_book.subprocess, "run", _real_run)
    jb = [c for c in calls if Path(c[0]).name == "jupyter-book"]
    assert len(jb) == 1, calls
    return jb[0]


def _config_used(command: list[str]) -> Path:
    """The configuration file Jupyter Book reads for this command."""
    if "--config" in command:
        return Path(command[command.index("--config") + 1])
    return Path(command[command.index("build") + 1]) / "_config.yml"


def _theme_options(config: Path) -> dict:
    """The Sphinx theme options Jupyter Book derives from a _config.yml."""
    from jupyter_book.config import get_final_config

    sphinx_config, _ = get_final_config(user_yaml=config, cli_config={"latex_individualpages": False},
                                         sourcedir=ROOT)
    return sphinx_config["html_theme_options"]


def _strings(obj):
    if isinstance(obj, dict):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _strings(value)
    elif isinstance(obj, str):
        yield obj


def test_default_build_has_no_repository_or_launch_buttons(tmp_path, monkeypatch):
    import yaml

    command = _jupyter_book_command([], tmp_path, monkeypatch)
    config = _config_used(command)
    assert config == ROOT / "_config.yml"  # no deploy copy: the committed configuration
    # No value of the configuration is a web address (comments may show the REPO=... form).
    urls = [s for s in _strings(yaml.safe_load(config.read_text())) if "://" in s]
    assert urls == []
    options = _theme_options(config)
    assert not options.get("repository_url")
    assert options.get("use_repository_button") is False
    assert options.get("use_issues_button") is False and options.get("use_edit_page_button") is False
    launch = options.get("launch_buttons", {})
    for key in ("binderhub_url", "colab_url", "jupyterhub_url", "jupyterlite_url", "deepnote_url"):
        assert not launch.get(key), key
    assert not launch.get("thebe")


def test_repo_build_turns_on_repository_and_launch_buttons(tmp_path, monkeypatch):
    before = (ROOT / "_config.yml").read_bytes()
    command = _jupyter_book_command(["--repo", REPO, "--branch", "dev", "--hub", "https://hub.x.org"],
                                    tmp_path, monkeypatch)
    assert (ROOT / "_config.yml").read_bytes() == before  # _config.yml itself is never changed
    config = _config_used(command)
    assert config.parent == tmp_path / "out" / "_build"
    options = _theme_options(config)
    assert options["repository_url"] == REPO and options["repository_branch"] == "dev"
    assert options["use_repository_button"] is True
    launch = options["launch_buttons"]
    assert launch["binderhub_url"] == "https://mybinder.org"
    assert launch["colab_url"] == "https://colab.research.google.com"
    assert launch["jupyterhub_url"] == "https://hub.x.org"


def test_hub_without_repo_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(build_book.subprocess, "run", lambda *a, **k: pytest.fail("nothing may run"))
    with pytest.raises(SystemExit):
        build_book.main(["--hub", "https://hub.x.org", "--output", str(tmp_path)])
    assert "--hub needs --repo" in capsys.readouterr().err


def _one_page_book(path: Path) -> Path:
    import nbformat

    (path / "book").mkdir(parents=True)
    (path / "book" / "references.bib").write_text((ROOT / "book" / "references.bib").read_text())
    (path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell("# A page\n\nSome text.")]
    nbformat.write(notebook, path / "page.ipynb")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("argv", [[], ["--repo", REPO]], ids=["default", "REPO"])
def test_rendered_page_has_buttons_only_with_repo(argv, tmp_path, monkeypatch):
    """A one-page book rendered with the configuration build_book.py chose (about 10 s each)."""
    config = _config_used(_jupyter_book_command(argv, tmp_path, monkeypatch))
    source = _one_page_book(tmp_path / "src")
    jb = str(Path(build_book.sys.executable).with_name("jupyter-book"))
    result = _real_run([jb, "build", str(source), "--config", str(config), "--quiet",
                        "--path-output", str(tmp_path / "site")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    page = (tmp_path / "site" / "_build" / "html" / "page.html").read_text()
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert "btn-download-source-button" in page  # the notebook is always offered for download
    if argv:
        assert "btn-source-repository-button" in page and "launch-buttons" in page
        assert "https://mybinder.org/v2/gh/x/y/main?urlpath=lab/tree/page.ipynb" in hrefs
        assert "https://colab.research.google.com/github/x/y/blob/main/page.ipynb" in hrefs
        assert REPO in hrefs
    else:
        assert "btn-source-repository-button" not in page and "launch-buttons" not in page
        external = [h for h in hrefs if h.startswith(("http://", "https://", "//"))]
        # The theme's own credits are the only web addresses left on the page.
        assert all(re.match(r"https://(www\.)?(sphinx-doc\.org|jupyterbook\.org|executablebooks\.org)", h)
                   for h in external), external


def _toc_files(node):
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for value in node.values():
            yield from _toc_files(value)
    elif isinstance(node, list):
        for value in node:
            yield from _toc_files(value)


def _page_title(path: Path) -> str:
    """The first level-1 heading of a toc page (.md or .ipynb)."""
    if path.suffix == ".ipynb":
        import json

        lines = [line for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "markdown"
                 for line in "".join(cell["source"]).splitlines()]
    else:
        lines = path.read_text().splitlines()
    return next(line[2:] for line in lines if line.startswith("# "))


def test_no_page_title_holds_math():
    """Titles appear in every page's sidebar, also on pages without MathJax (search, index),
    where ``$\\lambda$`` would show as raw TeX; titles spell symbols in Unicode instead."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"], *_toc_files(toc["parts"])]
    titles = {}
    for name in files:
        path = next(p for p in (ROOT / f"{name}.md", ROOT / f"{name}.ipynb") if p.exists())
        titles[name] = _page_title(path)
    assert len(titles) == len(files) > 20
    with_math = {name: t for name, t in titles.items() if "$" in t or "\\(" in t}
    assert not with_math, with_math
