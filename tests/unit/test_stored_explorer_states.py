"""The pictures the website serves are the ones today's explorer code draws.

``make execute`` (``tools/execute_notebooks.py``, ``DREAMBOOK_STATIC_EXPLORERS=1``)
stores in each explorer output's metadata (``dreambook/static-explorer``, see
:mod:`dreambook.widgets.static`) the picture and alt text of every state the
website offers; the site serves exactly those. nbval does not compare output
metadata, so without this test a change to an explorer's code or data would
leave the website showing stale pictures.

For every explorer output of every stored chapter notebook, the explorer is
built again in a notebook kernel (the settings of ``tools/notebook_env.py``,
the notebook's folder as working directory, as nbval runs it) by the
notebook's own code, and a sample of its stored states (the first, the last,
the one the page opens on and two drawn at random) is brought about as a
reader would (moving the controls, or clicking the step buttons of the
checkpoint explorers, ``_explorer_moves.py``). Each picture must equal the
stored one pixel for pixel and its alt text must be the stored alt text, the
comparison ``test_static_explorers.py`` makes. The stored grid of controls
must also be one the live explorer offers.

To keep it fast, the kernel runs not the whole notebook but the statements the
explorer cells depend on: a backward slice over names, in which a statement is
kept if it binds, or may change, a name that a kept statement reads (assigned,
imported or defined names, attribute and item assignments, method calls on a
name, names passed to a bare function call). Plots and printed tables that
nothing reads are skipped.
"""

from __future__ import annotations

import ast
import base64
import functools
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

from PIL import Image  # noqa: E402

from dreambook.widgets.static import METADATA_KEY, _webp, decode_image  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))
import notebook_env  # noqa: E402

#: How many states of each explorer are drawn at random, besides its first, last and opening ones.
N_RANDOM = 2
#: Functions whose bare calls change nothing a later statement reads.
PURE_CALLS = {"print", "display", "len", "repr", "str", "format"}
#: Methods that change nothing (a call of any other method may change its object).
READ_ONLY_METHODS = {"copy", "items", "keys", "values", "get", "index", "count", "mean", "sum", "std",
                     "min", "max", "reshape", "astype"}


def stored_explorers(path: Path) -> list[tuple[int, int, dict]]:
    """(cell index, output index, stored spec) of every static explorer stored in a notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(i, j, output["metadata"][METADATA_KEY])
            for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
            for j, output in enumerate(cell.get("outputs", []))
            if METADATA_KEY in output.get("metadata", {})]


NOTEBOOKS = [p.name for p in sorted(BOOK.glob("*.ipynb")) if stored_explorers(p)]


# --- The slice -------------------------------------------------------------------------

def _base_name(node):
    """The name at the root of ``a.b[c].d`` (or None)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _local_names(stmt) -> set:
    """Names bound only inside a nested scope of ``stmt`` (comprehension variables, a function's own)."""
    out = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.comprehension):
            out |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            out |= {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            body = node.body if isinstance(node.body, list) else [node.body]
            out |= {n.id for b in body for n in ast.walk(b) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return out


def _reads(stmt) -> set:
    loads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if isinstance(stmt, (ast.For, ast.AsyncFor)):  # its own loop variable
        loads -= {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)}
    return loads - _local_names(stmt)


def _writes(stmt, modules: set) -> set:
    """Names a statement binds or may change (conservatively)."""
    out = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(_base_name(node))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr not in READ_ONLY_METHODS:
                out.add(_base_name(node.func))  # x.method(...) may change x (rng.normal, explorer.step)
            # a generator passed as rng is consumed
            out.update(_base_name(k.value) for k in node.keywords if k.arg == "rng")
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if not (isinstance(func, ast.Name) and func.id in PURE_CALLS):
            for arg in [*stmt.value.args, *(k.value for k in stmt.value.keywords)]:
                out.add(_base_name(arg))  # f(model, ...) on its own line is called for its effect
    return (out - modules - _local_names(stmt)) - {None}


def sliced_cells(cells: list[str], explorer_cells: set[int]) -> list[str]:
    """The code of ``cells`` (sources in order) the explorer cells need; those are kept whole.

    Each explorer cell's last expression is stored in ``_dbx_explorers`` instead of displayed.
    """
    last = max(explorer_cells)
    parsed = [ast.parse(src) for src in cells[:last + 1]]
    modules = {(a.asname or a.name).split(".")[0] for tree in parsed for node in ast.walk(tree)
               if isinstance(node, ast.Import) for a in node.names}
    modules |= {a.asname or a.name for tree in parsed for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) for a in node.names}  # from dreambook import exact
    flat = [(i, stmt) for i, tree in enumerate(parsed) for stmt in tree.body]
    needed, keep = set(), set()
    for k in range(len(flat) - 1, -1, -1):
        i, stmt = flat[k]
        if i in explorer_cells or _writes(stmt, modules) & needed or (
                isinstance(stmt, (ast.Import, ast.ImportFrom)) and _writes(stmt, set()) & needed):
            keep.add(k)
            needed |= _reads(stmt)
    out = []
    for i in range(last + 1):
        body = [stmt for k, (j, stmt) in enumerate(flat) if j == i and k in keep]
        if i in explorer_cells:
            shown = body[-1]
            assert isinstance(shown, ast.Expr), f"cell {i} does not end with the explorer it displays"
            body[-1] = ast.Expr(ast.Call(ast.Attribute(ast.Name("_dbx_explorers", ast.Load()), "append",
                                                       ast.Load()), [shown.value], []))
        if body:
            out.append(ast.unparse(ast.fix_missing_locations(ast.Module(body, []))))
    return out


# --- Drawing in the kernel -------------------------------------------------------------

SETUP = "_dbx_explorers = []"

DRAW = """
import base64 as _b64, itertools as _it, json as _json, sys as _sys
import numpy as _np
_sys.path.insert(0, {here!r})
from _explorer_moves import live_picture as _live_picture
from dreambook.widgets.base import Explorer as _Explorer

def _dbx_grid(explorer, spec):
    # The live grid whose controls carry the stored labels (a default grid may have been thinned
    # to fit the page: try every size it can have been thinned to).
    wanted = [(c["label"], c["labels"], c["kind"], c["index"]) for c in spec["controls"]]
    saved = explorer.static_max_states
    try:
        for m in [saved, *range(saved - 1, 1, -1)]:
            explorer.static_max_states = m
            grid = explorer.static_controls()
            if [(c.label, list(c.labels), c.kind, c.index) for c in grid] == wanted:
                return grid
            if type(explorer).static_controls is not _Explorer.static_controls:
                break  # a checkpoint grid does not depend on static_max_states
    finally:
        explorer.static_max_states = saved
    return None

_dbx_out = []
for _e, _spec, _picks in zip(_dbx_explorers, {specs}, {picks}):
    _grid = _dbx_grid(_e, _spec)
    if _grid is None:
        _dbx_out.append({{"class": type(_e).__name__,
                          "live_grid": [(c.label, list(c.labels), c.kind, c.index) for c in _e.static_controls()]}})
        continue
    _combos = list(_it.product(*[range(len(c.values)) for c in _grid]))
    _drawn = {{}}
    for _k in _picks:
        _values = {{c.label: c.values[i] for c, i in zip(_grid, _combos[_k])}}
        _png = _live_picture(_e, _values)
        _drawn[str(_k)] = [_b64.b64encode(_png).decode("ascii"), _e.alt, repr(_values)]
    _dbx_out.append({{"class": type(_e).__name__, "n_states": len(_combos), "drawn": _drawn}})
with open({out!r}, "w") as _f:
    _json.dump(_dbx_out, _f)
"""


def sample(spec: dict, seed: int) -> list[int]:
    """Indices of the stored states to redraw: first, last, the page's opening one, N_RANDOM more."""
    n = len(spec["states"])
    opening = 0
    for c in spec["controls"]:
        opening = opening * len(c["labels"]) + c["index"]
    rng = np.random.default_rng(seed)
    extra = rng.choice(n, size=min(N_RANDOM, n), replace=False).tolist()
    return sorted({0, n - 1, opening, *extra})


def _cell_sources(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) if c["cell_type"] == "code" else "" for c in nb["cells"]]


@functools.lru_cache(maxsize=None)
def redraw(name: str, tmp: str) -> tuple:
    """Run the slice of notebook ``name`` in a kernel; return (stored explorers, redrawn states)."""
    path = BOOK / name
    explorers = stored_explorers(path)
    code = sliced_cells(_cell_sources(path), {i for i, _, _ in explorers})
    out = Path(tmp) / (path.stem + ".json")
    specs = [{"controls": spec["controls"]} for _, _, spec in explorers]
    picks = [sample(spec, seed=i) for i, _, spec in explorers]
    cells = [SETUP, *code, DRAW.format(here=str(HERE), specs=specs, picks=picks, out=str(out))]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("kernelspec", {})
    notebook_env.apply()
    os.environ.pop("DREAMBOOK_STATIC_EXPLORERS", None)  # display nothing; the grid is drawn on demand
    client = nbclient.NotebookClient(
        nb, timeout=notebook_env.CELL_TIMEOUT, startup_timeout=notebook_env.KERNEL_STARTUP_TIMEOUT,
        kernel_name=nb.metadata["kernelspec"].get("name", "python3"),
        resources={"metadata": {"path": str(path.parent)}}, allow_errors=False)
    client.execute()
    return explorers, json.loads(out.read_text())


def differences(explorers, redrawn) -> list[str]:
    """Where the stored states differ from the redrawn ones (empty: the website is current)."""
    problems = []
    assert len(explorers) == len(redrawn)
    for (cell, _, spec), live in zip(explorers, redrawn):
        where = f"cell {cell} {live['class']}"
        if "drawn" not in live:
            problems.append(f"{where}: the stored controls {[c['labels'] for c in spec['controls']]} are not "
                            f"a grid the live explorer offers ({[g[1] for g in live['live_grid']]})")
            continue
        if live["n_states"] != len(spec["states"]):
            problems.append(f"{where}: {len(spec['states'])} stored states, the live grid has {live['n_states']}")
        for k, (png, alt, values) in live["drawn"].items():
            image, stored_alt = spec["states"][int(k)]
            stored = decode_image(base64.b64decode(spec["images"][image]))
            drawn = decode_image(base64.b64decode(png))
            if stored.shape != drawn.shape or not np.array_equal(stored, drawn):
                n = "shape" if stored.shape != drawn.shape else f"{int((stored != drawn).any(-1).sum())} pixels"
                problems.append(f"{where} state {k} {values}: the stored picture differs ({n})")
            if stored_alt != alt:
                problems.append(f"{where} state {k} {values}: alt text {stored_alt!r} stored, {alt!r} drawn")
    return problems


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("stored-explorers"))


def test_every_chapter_with_an_explorer_is_checked():
    assert len(NOTEBOOKS) >= 11, NOTEBOOKS
    assert sum(len(stored_explorers(BOOK / n)) for n in NOTEBOOKS) >= 13


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_pictures_are_what_the_code_draws(name, kernel_dir):
    explorers, redrawn = redraw(name, kernel_dir)
    problems = differences(explorers, redrawn)
    assert not problems, (f"{name}: the website's stored pictures are stale; re-run `make execute` for it "
                          "(or the slice of the notebook misses a statement the explorer needs: see the "
                          "module docstring):\n  " + "\n  ".join(problems))


def test_a_stale_stored_picture_is_caught(kernel_dir):
    """One stored state altered in a copy of the spec (one pixel of its picture, or its alt text) is reported."""
    explorers, redrawn = redraw("notation.ipynb", kernel_dir)
    assert not differences(explorers, redrawn)
    cell, out, spec = explorers[0]
    k = int(next(iter(redrawn[0]["drawn"])))
    image = spec["states"][k][0]
    pixels = decode_image(base64.b64decode(spec["images"][image])).copy()
    pixels[0, 0, :3] = 255 - pixels[0, 0, :3]
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    stale = json.loads(json.dumps(spec))
    stale["images"].append(base64.b64encode(_webp(buf.getvalue())).decode("ascii"))
    stale["states"][k][0] = len(stale["images"]) - 1
    problems = differences([(cell, out, stale)], redrawn)
    assert len(problems) == 1 and "1 pixels" in problems[0], problems
    stale = json.loads(json.dumps(spec))
    stale["states"][k][1] += " (old)"
    problems = differences([(cell, out, stale)], redrawn)
    assert len(problems) == 1 and "alt text" in problems[0], problems
