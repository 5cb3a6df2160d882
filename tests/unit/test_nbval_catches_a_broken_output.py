"""nbval strict fails on a stored output that is off by one digit, and passes on the true one.

The portability rules (book/numerics.md) loosen nothing in nbval: each printed
number must still be reproduced exactly as stored. This test proves that the
comparison still bites, on the first two code cells of ``book/notation.ipynb``:
the untouched copy passes, and the same copy with one printed probability
changed in its last digit fails.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "book" / "notation.ipynb"
STORED, BROKEN = "0.1266", "0.1267"  # p(000) in the table of cell 3, four decimals


def _first_code_cells(n: int = 2) -> dict:
    nb = json.loads(NOTEBOOK.read_text())
    kept, seen = [], 0
    for cell in nb["cells"]:
        kept.append(cell)
        seen += cell["cell_type"] == "code"
        if seen == n:
            break
    return {**nb, "cells": kept}


def _nbval(nb: dict, path: Path) -> subprocess.CompletedProcess:
    path.write_text(json.dumps(nb))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", path.name,
         "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), "--rootdir", str(path.parent)],
        cwd=path.parent, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_nbval_fails_on_one_altered_digit_and_passes_on_the_stored_output(tmp_path):
    nb = _first_code_cells()
    table = next(o for o in nb["cells"][-1]["outputs"] if o["output_type"] == "stream")
    text = "".join(table["text"])
    assert text.count(STORED) == 1, "the stored table changed: pick another digit to alter"

    pristine = _nbval(nb, tmp_path / "pristine.ipynb")
    assert pristine.returncode == 0, pristine.stdout[-2000:]

    table["text"] = text.replace(STORED, BROKEN)
    broken = _nbval(nb, tmp_path / "broken.ipynb")
    assert broken.returncode == 1, broken.stdout[-2000:]
    assert "1 failed" in broken.stdout and BROKEN in broken.stdout
