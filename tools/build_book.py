"""Build the website: vendor the JavaScript, then run Jupyter Book 1 strictly.

    python tools/build_book.py                     (or: make book)
    python tools/build_book.py --toc my_toc.yml --output /tmp/site   # a private build

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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toc", type=Path, help="table of contents to use instead of _toc.yml")
    parser.add_argument("--output", type=Path, default=ROOT, help="build into OUTPUT/_build")
    args = parser.parse_args(argv)
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
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        print("error: the book did not build cleanly (warnings are errors); see above.")
        return result.returncode
    index = html / "index.html"
    print(f"\nThe book is built. Open it in a browser:\n  file://{index}\n"
          f"or serve it:  {sys.executable} -m http.server -d {html} 8000"
          "  → http://127.0.0.1:8000/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
