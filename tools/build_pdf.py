"""Build the book as a PDF: Jupyter Book's LaTeX builder, then xelatex (latexmk).

    python tools/build_pdf.py                    (or: make pdf)
    python tools/build_pdf.py --output /tmp/pdf  # a private build

Needs a TeX installation with xelatex and latexmk; on Debian/Ubuntu
``apt-get install texlive-latex-extra texlive-xetex latexmk fonts-dejavu-core poppler-utils``
(`make pdf` installs them when it runs as root). The fonts are DejaVu Serif, Sans and Sans Mono
(fonts-dejavu-core): they have the superscripts, Greek letters and arrows the text and the
code cells print, e.g. ``ᵀ``. Stored outputs are used as they are: an explorer prints
its current picture (its ``image/png``). Warnings of the Sphinx build are errors; the TeX
log is checked for undefined references and missing glyphs.

The PDF lands in OUTPUT/_build/latex/dreaming-and-sampling.pdf and is copied into the
website (``_build/html/_downloads/dreaming-and-sampling.pdf``) when the site is built.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "dreaming-and-sampling"

# Preamble additions: fonts with every glyph the book prints; wide code is wrapped.
FONTS = r"""
\usepackage{fontspec}
\setmainfont{DejaVu Serif}[Scale=0.92]
\setsansfont{DejaVu Sans}[Scale=0.92]
\setmonofont{DejaVu Sans Mono}[Scale=0.85]
"""

# sphinx-jupyterbook-latex loads unicode-math after this preamble; unicode-math maps \setminus
# to U+29F5 (reverse solidus operator), which Latin Modern Math lacks. \setminus becomes the
# backslash as a binary operator, as in plain LaTeX. unicode-math defines its symbols in
# \AtBeginDocument code registered after ours, hence the later hook begindocument/end.
PREAMBLE = r"""
\usepackage{amsmath}\usepackage{amssymb}
\AddToHook{begindocument/end}{\renewcommand{\setminus}{\mathbin{\backslash}}}
"""

# Jupyter Book's LaTeX class loads bbm.sty (blackboard-bold digits), which Debian ships only in
# the 1.4 GB texlive-fonts-extra. The book writes no \mathbbm; this stand-in keeps the class
# loadable with the small TeX packages, and maps \mathbbm to amssymb's \mathbb.
BBM_STANDIN = r"""\NeedsTeXFormat{LaTeX2e}
\ProvidesPackage{bbm}[2026/01/01 stand-in for the blackboard-bold package]
\RequirePackage{amssymb}
\providecommand{\mathbbm}[1]{\mathbb{#1}}
\endinput
"""


def _pdf_config(build_dir: Path) -> Path:
    """A copy of _config.yml with the LaTeX settings of the PDF (xelatex, fonts)."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["latex_engine"] = "xelatex"
    sphinx["latex_use_xindy"] = False  # makeindex ships with TeX; xindy is another package
    sphinx["html_static_path"] = []  # the website's JavaScript has no place in a PDF
    sphinx["latex_elements"] = {
        "fontpkg": FONTS,
        "papersize": "a4paper",
        "pointsize": "11pt",
        # Sphinx's own defaults for xelatex load polyglossia; keep them, and let
        # long code lines break rather than run off the page.
        "sphinxsetup": "verbatimwrapslines=true, verbatimforcewraps=true",
        "preamble": PREAMBLE,
    }
    config["latex"] = {"latex_documents": {"targetname": f"{NAME}.tex"}}
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / "_config.pdf.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return path


def check_log(log: str) -> list[str]:
    """Problems in a xelatex log: undefined references/citations and missing glyphs."""
    problems = []
    for pattern in (r"Missing character: There is no .*", r"LaTeX Warning: Reference .* undefined.*",
                    r"LaTeX Warning: Citation .* undefined.*",
                    r"LaTeX Warning: There were undefined references.*"):
        problems += re.findall(pattern, log)
    return sorted(set(problems))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT, help="build into OUTPUT/_build")
    args = parser.parse_args(argv)
    for tool in ("xelatex", "latexmk"):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found; install TeX (see tools/build_pdf.py's docstring)")
            return 2
    # The student notebooks the assignment pages link for download (tools/assignments.py).
    subprocess.run([sys.executable, str(ROOT / "tools" / "assignments.py")], check=True)
    build = args.output.resolve() / "_build"
    latex = build / "latex"
    shutil.rmtree(latex, ignore_errors=True)
    jb = Path(sys.executable).with_name("jupyter-book")
    command = [str(jb), "build", str(ROOT), "--builder", "latex", "--warningiserror", "--keep-going",
               "--quiet", "--path-output", str(args.output.resolve()),
               "--config", str(_pdf_config(build))]
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        print("error: the LaTeX sources did not build cleanly (warnings are errors); see above.")
        return result.returncode
    tex = latex / f"{NAME}.tex"
    if subprocess.run(["kpsewhich", "bbm.sty"], capture_output=True).returncode != 0:
        (latex / "bbm.sty").write_text(BBM_STANDIN)
    result = subprocess.run(["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error",
                             "-silent", tex.name], cwd=latex)
    log = (latex / f"{NAME}.log").read_text(errors="replace")
    if result.returncode != 0:
        print(f"error: xelatex failed; see {latex / (NAME + '.log')}")
        return result.returncode
    problems = check_log(log)
    if problems:
        print("error: the PDF has problems:\n  " + "\n  ".join(problems))
        return 1
    print(f"\nThe PDF is built: {latex / (NAME + '.pdf')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
