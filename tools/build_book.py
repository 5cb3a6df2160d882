"""Build the website: vendor the JavaScript, then run Jupyter Book 1 strictly.

    python tools/build_book.py        (or: make book)

Warnings are errors. Notebooks are not executed: their stored outputs are
rendered (refresh them with `make execute`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    subprocess.run([sys.executable, str(ROOT / "tools" / "vendor.py")], check=True)
    # A page removed from the book must not linger in the site.
    shutil.rmtree(ROOT / "_build" / "html", ignore_errors=True)
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", str(ROOT), "--warningiserror", "--keep-going", "--quiet"],
        cwd=ROOT,
    )
    if result.returncode != 0:
        print("error: the book did not build cleanly (warnings are errors); see above.")
        return result.returncode
    index = ROOT / "_build" / "html" / "index.html"
    print(f"\nThe book is built. Open it in a browser:\n  file://{index}\n"
          f"or serve it:  {sys.executable} -m http.server -d {index.parent} 8000"
          "  → http://127.0.0.1:8000/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
