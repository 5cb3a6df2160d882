"""Re-execute notebooks in place, exactly as nbval will re-check them.

    python tools/execute_notebooks.py                 # every notebook under book/
    python tools/execute_notebooks.py book/notation.ipynb

Settings shared with nbval (tools/notebook_env.py): the kernel named in the
notebook, the notebook's own folder as working directory, one BLAS thread, the
same environment and the same per-cell timeout. Widget state is stored in the
notebook, and each explorer stores its pictures over a grid of its controls
(DREAMBOOK_STATIC_EXPLORERS=1), so that explorers answer on the static website.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebook_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def merge_adjacent_streams(outputs: list) -> list:
    """Join consecutive stream outputs of the same name (stdout, stderr) into one.

    How a kernel splits a cell's printed text into messages depends on timing, so the
    stored notebook would change from run to run; the text and its place among the
    cell's figures do not.
    """
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    return merged


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=notebook_env.CELL_TIMEOUT,
        startup_timeout=notebook_env.KERNEL_STARTUP_TIMEOUT,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
        allow_errors=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merge_adjacent_streams(cell.outputs)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    notebook_env.apply()
    # Explorers also store their pictures over a grid of their controls, for the static
    # website (dreambook/widgets/static.py); output metadata, which nbval does not compare.
    os.environ["DREAMBOOK_STATIC_EXPLORERS"] = "1"
    paths = args.notebooks or sorted((ROOT / "book").rglob("*.ipynb"))
    paths = [p for p in paths if ".ipynb_checkpoints" not in p.parts]
    failed = 0
    for path in paths:
        try:
            elapsed = execute(path.resolve())
        except CellTimeoutError as err:
            failed += 1
            print(f"FAILED {path}: a cell ran past {notebook_env.CELL_TIMEOUT} s\n{err}")
        except CellExecutionError as err:
            failed += 1
            print(f"FAILED {path}: a cell raised\n{err}")
        else:
            print(f"executed {path} in {elapsed:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
