"""Generate the course assignments: student notebooks and autograders, with Otter Assign.

    python tools/assignments.py                    # every assignment (skips those up to date)
    python tools/assignments.py two-phases --force # one assignment, regenerated
    python tools/assignments.py --run-tests        # also let Otter grade each solution notebook

The master of assignment NAME is ``assignments/NAME/NAME.ipynb``: questions,
solutions, public and hidden tests and points, in the notebook format of
otter-grader 7.0.0 (raw cells ``# BEGIN QUESTION`` ... ``# END QUESTION``).
``otter assign`` turns it into (``dist/`` is not committed)::

    assignments/NAME/dist/student/NAME.ipynb           what students receive; the website
                                                       offers it for download
    assignments/NAME/dist/autograder/NAME.ipynb        the solution notebook
    assignments/NAME/dist/autograder/NAME-autograder.zip   all tests, for tools/grade.py

Every generated student notebook is then checked for leaks: no line of a
solution, no hidden test and no stored output may reach it, and every code
cell of a solution block must carry solution markers (Otter ships a solution
cell without ``# BEGIN SOLUTION``/``# END SOLUTION`` or ``# SOLUTION`` to the
students verbatim). A leak is an error. ``tools/build_book.py`` runs this
script before every build; an assignment whose master and Otter version are
unchanged is not regenerated.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"
OTTER_VERSION = "7.0.0"
# Bump to regenerate every assignment when this script changes what it writes.
GENERATOR_VERSION = "1"
STAMP = ".generated-from"

_BEGIN = re.compile(r"^\s*#\s*BEGIN\s+SOLUTION", re.I)
_END = re.compile(r"^\s*#\s*END\s+SOLUTION", re.I)
_LINE_MARK = re.compile(r"\s*#\s*SOLUTION(\s+NO\s+PROMPT)?\s*$", re.I)
_TEST_DEF = re.compile(r"^\s*def\s+(test_\w+)\s*\(", re.M)
# Lines too generic to count as a leak when they appear in a student notebook.
_GENERIC = {"", "...", "pass", "return", "else:", "try:", ")", "]", "}", "return None"}


class LeakError(RuntimeError):
    """A generated student notebook contains something students must not receive."""


@dataclass
class Secrets:
    """What must never reach students, read from a master notebook."""

    solution_lines: set = field(default_factory=set)
    hidden_tests: dict = field(default_factory=dict)  # test function name -> source
    unmarked_solution_cells: list = field(default_factory=list)  # indices into master cells
    given_lines: set = field(default_factory=set)  # code lines students see outside any solution


def names() -> list[str]:
    """Names of all assignments: folders of ``assignments/`` holding ``NAME/NAME.ipynb``."""
    if not ASSIGNMENTS.is_dir():
        return []
    return sorted(p.name for p in ASSIGNMENTS.iterdir() if (p / f"{p.name}.ipynb").is_file())


def master_path(name: str) -> Path:
    """Path of the master notebook of assignment ``name``."""
    path = ASSIGNMENTS / name / f"{name}.ipynb"
    if not path.is_file():
        raise ValueError(f"no assignment named {name!r}: {path} does not exist (have {names()})")
    return path


def dist_path(name: str) -> Path:
    """The (uncommitted) output folder of assignment ``name``."""
    return ASSIGNMENTS / name / "dist"


def student_notebook(name: str, dist: Path | None = None) -> Path:
    return (dist or dist_path(name)) / "student" / f"{name}.ipynb"


def solution_notebook(name: str, dist: Path | None = None) -> Path:
    return (dist or dist_path(name)) / "autograder" / f"{name}.ipynb"


def autograder_zip(name: str, dist: Path | None = None) -> Path:
    return (dist or dist_path(name)) / "autograder" / f"{name}-autograder.zip"


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _raw_marker(cell, pattern: str) -> bool:
    return cell.get("cell_type") == "raw" and re.match(pattern, _source(cell), re.I) is not None


def read_secrets(master: Path) -> Secrets:
    """Solution lines, hidden tests and unmarked solution cells of a master notebook."""
    nb = json.loads(master.read_text(encoding="utf-8"))
    secrets = Secrets()
    block = None  # "solution" or "tests" while inside such a block
    given = secrets.given_lines
    for index, cell in enumerate(nb["cells"]):
        if _raw_marker(cell, r"#\s+BEGIN\s+SOLUTION"):
            block = "solution"
            continue
        if _raw_marker(cell, r"#\s+BEGIN\s+TESTS"):
            block = "tests"
            continue
        if _raw_marker(cell, r"#\s+END\s+(SOLUTION|TESTS)"):
            block = None
            continue
        source = _source(cell)
        if block == "tests" and cell.get("cell_type") == "code":
            head = source.lstrip().splitlines()[0] if source.strip() else ""
            hidden = bool(re.search(r"\bhidden\b", head, re.I)) and head.startswith("#")
            config = re.search(r'"""\s*#\s*BEGIN TEST CONFIG(.*?)"""\s*#\s*END TEST CONFIG',
                               source, re.S | re.I)
            if config and re.search(r"^\s*hidden\s*:\s*true\s*$", config.group(1), re.M | re.I):
                hidden = True
            if hidden:
                for test_name in _TEST_DEF.findall(source):
                    secrets.hidden_tests[test_name] = source
            continue
        if cell.get("cell_type") != "code":
            continue
        marked = False
        inside = False
        for line in source.splitlines():
            if _BEGIN.match(line):
                inside, marked = True, True
                continue
            if _END.match(line):
                inside = False
                continue
            if inside:
                secrets.solution_lines.add(line.strip())
            elif _LINE_MARK.search(line):
                marked = True
                secrets.solution_lines.add(_LINE_MARK.sub("", line).strip())
            elif block is None:
                given.add(line.strip())
        if block == "solution" and not marked:
            secrets.unmarked_solution_cells.append(index)
    # A line the student is given in the open (a helper's body that a solution repeats) is no secret.
    secrets.solution_lines -= _GENERIC | given
    secrets.solution_lines = {line for line in secrets.solution_lines
                              if not line.startswith("#") and len(line) > 3}
    return secrets


def find_leaks(text: str, secrets: Secrets, *, lines_only: bool = False) -> list[str]:
    """Describe every secret found in ``text`` (a notebook's JSON or a web page's text).

    A solution line counts when it appears as a whole line of ``text``;
    a hidden test when its function name appears anywhere.
    """
    leaks = []
    present = {line.strip() for line in text.splitlines()}
    for line in sorted(secrets.solution_lines & present):
        leaks.append(f"solution line {line!r}")
    if not lines_only:
        for test_name in sorted(secrets.hidden_tests):
            if test_name in text:
                leaks.append(f"hidden test {test_name!r}")
    return leaks


def notebook_text(path: Path) -> str:
    """All the text of a notebook a student could read: cell sources, outputs and metadata."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        parts.append(_source(cell))
        for output in cell.get("outputs", []):
            parts.append(json.dumps(output))
    parts.append(json.dumps(nb.get("metadata", {}), indent=1))
    # The embedded (public) tests are source code: give their lines to the line check too.
    tests = nb.get("metadata", {}).get("otter", {}).get("tests", {})
    parts.extend(tests.values() if isinstance(tests, dict) else [])
    return "\n".join(parts)


def check_student_notebook(student: Path, master: Path) -> None:
    """Raise :class:`LeakError` if the student notebook carries any secret of the master."""
    secrets = read_secrets(master)
    problems = []
    if secrets.unmarked_solution_cells:
        problems.append(
            f"code cells {secrets.unmarked_solution_cells} of {master.name} sit in a solution "
            "block without '# BEGIN SOLUTION'/'# END SOLUTION' or '# SOLUTION' markers, so "
            "Otter would give them to students verbatim")
    problems += find_leaks(notebook_text(student), secrets)
    nb = json.loads(student.read_text(encoding="utf-8"))
    if any(cell.get("outputs") for cell in nb["cells"]):
        problems.append("stored outputs")
    if problems:
        raise LeakError(f"{student} must not be given to students: " + "; ".join(problems))


def _stable_cell_ids(path: Path) -> None:
    """Give the cells Otter adds (init, check, check-all) ids that do not change between runs.

    Otter draws them at random; stable ids let ``tools/grade.py`` tell which
    distributed cells a submission deleted, even after a regeneration.
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    master_ids = re.compile(r"^[a-z]{2}-\d{2}-")
    taken = {cell.get("id") for cell in nb["cells"]}
    for index, cell in enumerate(nb["cells"]):
        if "id" not in cell or master_ids.match(cell["id"]):
            continue
        source = _source(cell)
        check = re.fullmatch(r'\s*grader\.check\("(\w+)"\)\s*', source)
        if check:
            new = f"otter-check-{check.group(1)}"
        elif "grader = otter.Notebook(" in source:
            new = "otter-init"
        elif source.strip() == "grader.check_all()":
            new = "otter-check-all"
        elif cell["cell_type"] == "markdown" and "rerun all" in source:
            new = "otter-check-all-note"
        else:
            new = f"otter-cell-{index}"
        if new in taken:
            new = f"{new}-{index}"
        taken.discard(cell["id"])
        taken.add(new)
        cell["id"] = new
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _fingerprint(master: Path) -> str:
    digest = hashlib.sha256(master.read_bytes())
    digest.update(f"otter-grader {OTTER_VERSION}; generator {GENERATOR_VERSION}".encode())
    return digest.hexdigest()


def up_to_date(name: str, dist: Path | None = None) -> bool:
    dist = dist or dist_path(name)
    stamp = dist / STAMP
    return (stamp.is_file() and stamp.read_text().strip() == _fingerprint(master_path(name))
            and student_notebook(name, dist).is_file() and autograder_zip(name, dist).is_file()
            and solution_notebook(name, dist).is_file()
            and autograder_zip(name, dist).with_name(autograder_zip(name, dist).name + ".sha256").is_file())


def _check_otter_version() -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("otter-grader")
    except PackageNotFoundError:
        raise RuntimeError("otter-grader is not installed: pip install -r requirements-dev.txt "
                           "-c constraints.txt") from None
    if found != OTTER_VERSION:
        raise RuntimeError(f"the assignments are made with otter-grader {OTTER_VERSION}, "
                           f"but {found} is installed")


def generate(name: str, dist: Path | None = None, *, force: bool = False,
             run_tests: bool = False) -> Path:
    """Run Otter Assign on one master and put the checked result in ``dist``; return ``dist``.

    The work happens in a scratch folder inside ``dist`` (Otter's own temporary
    files included), and the finished ``student`` and ``autograder`` folders
    replace the old ones by renaming, so a concurrent build never sees a
    half-written folder. With ``run_tests``, Otter also grades the solution
    notebook and fails unless it scores 100 %.
    """
    master = master_path(name)
    dist = Path(dist) if dist is not None else dist_path(name)
    if not force and up_to_date(name, dist):
        return dist
    _check_otter_version()
    dist.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".scratch-", dir=dist))
    try:
        out = scratch / "out"
        command = [sys.executable, "-m", "otter", "assign", "--no-pdfs", str(master), str(out)]
        if not run_tests:
            command.insert(-2, "--no-run-tests")
        env = dict(os.environ, TMPDIR=str(scratch))  # Otter leaves a copy of the tests in TMPDIR
        result = subprocess.run(command, cwd=master.parent, env=env, capture_output=True,
                                text=True)
        if result.returncode != 0:
            raise RuntimeError(f"otter assign failed for {master}:\n{result.stdout}\n{result.stderr}")
        zips = sorted((out / "autograder").glob("*-autograder_*.zip"))
        if len(zips) != 1:
            raise RuntimeError(f"otter assign wrote {len(zips)} autograder zips for {name}")
        zips[0].rename(out / "autograder" / f"{name}-autograder.zip")
        # The hash tools/grade.py checks the zip against before grading.
        digest = hashlib.sha256((out / "autograder" / f"{name}-autograder.zip").read_bytes()).hexdigest()
        (out / "autograder" / f"{name}-autograder.zip.sha256").write_text(
            f"{digest}  {name}-autograder.zip\n")
        for notebook in (out / "student" / f"{name}.ipynb", out / "autograder" / f"{name}.ipynb"):
            _stable_cell_ids(notebook)
        check_student_notebook(out / "student" / f"{name}.ipynb", master)
        for part in ("student", "autograder"):
            target = dist / part
            old = dist / f".old-{part}-{uuid.uuid4().hex[:8]}"
            try:
                target.rename(old)
            except FileNotFoundError:
                pass
            try:
                (out / part).rename(target)
            except OSError:
                pass  # a concurrent run installed the same result first: keep it
            shutil.rmtree(old, ignore_errors=True)
        (dist / STAMP).write_text(_fingerprint(master) + "\n")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dist


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments to generate (default: all)")
    parser.add_argument("--force", action="store_true", help="regenerate even if up to date")
    parser.add_argument("--run-tests", action="store_true",
                        help="let Otter grade each solution notebook (it must score 100 %%)")
    args = parser.parse_args(argv)
    todo = args.names or names()
    for name in todo:
        fresh = not args.force and not args.run_tests and up_to_date(name)
        try:
            generate(name, force=args.force or args.run_tests, run_tests=args.run_tests)
        except (RuntimeError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"assignment {name}: {'up to date' if fresh else 'generated'} "
              f"({student_notebook(name).relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
