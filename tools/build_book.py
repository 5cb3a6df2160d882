"""Build the website: vendor the JavaScript, then run Jupyter Book 1 strictly.

    python tools/build_book.py                     (or: make book)
    python tools/build_book.py --toc my_toc.yml --output /tmp/site   # a private build
    python tools/build_book.py --repo https://github.com/you/fork [--branch main] [--hub URL]
                                                   (or: make book REPO=... BRANCH=... HUB=...)

With --repo the pages get the repository button and Binder/Colab launch buttons
(and JupyterHub ones with --hub); without it they get none, since a link to a
repository that does not exist would 404. _config.yml itself is never changed.

Warnings are errors. Notebooks are not executed: their stored outputs are
rendered (refresh them with `make execute`). The site lands in
OUTPUT/_build/html (OUTPUT defaults to the repository root).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


PDF = "dreaming-and-sampling.pdf"
PDF_SENTENCE = (f'The whole book is also a <a class="reference download" href="../{PDF}" download>PDF</a> '
                "for reading offline or printing (its explorers show one picture each).")


def _deploy_config(args, build_dir: Path, pdf: bool) -> Path:
    """A copy of _config.yml with the repository and launch buttons turned on (with --repo)
    and the PDF's download link (when `make pdf` has built it)."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if args.repo:
        config["repository"].update(url=args.repo, branch=args.branch)
        config["launch_buttons"].update(binderhub_url="https://mybinder.org",
                                        colab_url="https://colab.research.google.com",
                                        jupyterhub_url=args.hub)
        config["html"]["use_repository_button"] = True
    if pdf:
        config["parse"]["myst_substitutions"]["pdf_download"] = PDF_SENTENCE
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / "_config.deploy.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toc", type=Path, help="table of contents to use instead of _toc.yml")
    parser.add_argument("--output", type=Path, default=ROOT, help="build into OUTPUT/_build")
    parser.add_argument("--repo", default="", help="public repository URL of the book (launch buttons)")
    parser.add_argument("--branch", default="main", help="branch of --repo the launch buttons open")
    parser.add_argument("--hub", default="", help="JupyterHub URL for nbgitpuller launch links")
    args = parser.parse_args(argv)
    if args.hub and not args.repo:
        parser.error("--hub needs --repo: the hub fetches the notebooks from that repository")
    subprocess.run([sys.executable, str(ROOT / "tools" / "vendor.py")], check=True)
    # The student notebooks the assignment pages offer for download (tools/assignments.py).
    subprocess.run([sys.executable, str(ROOT / "tools" / "assignments.py")], check=True)
    html = args.output.resolve() / "_build" / "html"
    # A page removed from the book must not linger in the site.
    shutil.rmtree(html, ignore_errors=True)
    jb = Path(sys.executable).with_name("jupyter-book")
    command = [str(jb), "build", str(ROOT), "--warningiserror", "--keep-going", "--quiet",
               "--path-output", str(args.output.resolve())]
    if args.toc:
        command += ["--toc", str(args.toc.resolve())]
    # The PDF of `make pdf` (tools/build_pdf.py), offered for download when it is built.
    pdf = args.output.resolve() / "_build" / "latex" / PDF
    if args.repo or pdf.exists():
        command += ["--config", str(_deploy_config(args, html.parent, pdf.exists()))]
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        print("error: the book did not build cleanly (warnings are errors); see above.")
        return result.returncode
    if pdf.exists():
        shutil.copy2(pdf, html / PDF)
    else:
        print(f"note: no PDF to offer for download ({pdf} not found; `make pdf` builds it)")
    index = html / "index.html"
    print(f"\nThe book is built. Open it in a browser:\n  file://{index}\n"
          f"or serve it:  {sys.executable} -m http.server -d {html} 8000"
          "  → http://127.0.0.1:8000/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
