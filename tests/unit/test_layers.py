"""The package's layers, asserted from its real import graph.

``LAYERS`` is the architecture: a module may import only from modules of a
*lower* rank (and from inside its own package). New top-level modules must be
added to the table -- a new model family goes into the ``families`` rank, a
new explorer into ``widgets`` -- or this test fails. The same graph is drawn
in ``dreambook/__init__.py`` and ``book/api.md``; a test checks that too.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dreambook"

#: rank -> top-level modules (or subpackages) of dreambook; imports point to lower ranks only.
LAYERS = {
    0: ["_validation", "_special", "_kernels"],
    1: ["states", "data", "plotting"],
    2: ["models"],
    3: ["exact"],
    4: ["sampling"],
    5: ["markov", "diagnostics", "tempering"],
    6: ["learning"],
    7: ["training"],
    8: ["estimate"],
    9: ["phases", "encoder", "hopfield", "wake_sleep", "td", "stdp",  # families: add new ones here
        "nce", "score_matching", "langevin", "forward_forward",
        "ground_state", "irl", "inverse_opt", "eqprop", "predictive_coding"],
    10: ["sklearn"],
    11: ["widgets"],
}
RANK = {name: rank for rank, names in LAYERS.items() for name in names}


def _component(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path):
    """Yield the top-level dreambook components that ``path`` imports."""
    tree = ast.parse(path.read_text())
    package_parts = list(path.relative_to(ROOT).with_suffix("").parts[:-1])  # e.g. ["dreambook", "models"]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - (node.level - 1)]
                target = base + (node.module.split(".") if node.module else [])
                if node.module is None:  # from . import exact, sampling
                    for alias in node.names:
                        yield (target + [alias.name])[1]
                    continue
            elif node.module and node.module.split(".")[0] == "dreambook":
                target = node.module.split(".")
                if len(target) == 1:  # from dreambook import exact
                    for alias in node.names:
                        yield alias.name
                    continue
            else:
                continue
            if len(target) >= 2:
                yield target[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "dreambook" and len(parts) > 1:
                    yield parts[1]


def _graph():
    edges = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py" and path.parent == PACKAGE:
            continue
        source = _component(path)
        for target in _imports(path):
            if target != source:
                edges.add((source, target))
    return edges


def _components():
    names = set()
    for path in PACKAGE.iterdir():
        if path.name.startswith("__"):
            continue
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            names.add(path.name.removesuffix(".py"))
    return names


def test_every_module_has_a_layer():
    missing = _components() - set(RANK)
    assert not missing, f"add these modules to LAYERS in tests/unit/test_layers.py: {sorted(missing)}"


def test_imports_point_down_the_layers():
    upward = sorted((s, t) for s, t in _graph() if t in RANK and RANK[t] >= RANK[s])
    assert not upward, "imports that point up or sideways: " + ", ".join(f"{s} -> {t}" for s, t in upward)


def test_the_graph_sees_the_known_arrows():
    # the parser must actually find imports, or the test above could not fail
    edges = _graph()
    for edge in [("exact", "models"), ("training", "learning"), ("estimate", "_kernels"),
                 ("markov", "states"), ("widgets", "plotting"), ("sklearn", "estimate")]:
        assert edge in edges, edge


def test_importing_the_package_has_no_side_effects():
    import subprocess
    import sys

    code = ("import sys, dreambook, dreambook.exact, dreambook.training; "
            "print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("doc", ["dreambook/__init__.py", "book/api.md"])
def test_the_drawn_graph_names_every_layer(doc):
    text = (ROOT / doc).read_text()
    for name in RANK:
        if name.startswith("_") and name != "_kernels":
            continue
        assert name in text, f"{doc} does not draw {name}"
