"""Grade a folder of submitted notebooks with Otter, one subprocess each, into one CSV.

    python tools/grade.py SUBMISSIONS_DIR --assignment NAME --out scores.csv
    python tools/grade.py SUBMISSIONS_DIR --assignment NAME --out scores.csv --timeout 300 --jobs 2

SUBMISSIONS_DIR holds one entry per student: ``STUDENT.ipynb``, or a folder
``STUDENT/`` containing exactly one ``.ipynb`` (anything else in the folder,
such as a ``tests/`` folder, is ignored, and the reason column says so).

Each submission is graded by otter-grader 7.0.0's own machinery
(``otter.run.run_autograder``, the code behind ``otter run`` and
``otter.api.grade_submission``) with the assignment's autograder zip, in a
fresh temporary folder, in a child process that is killed, with the notebook's
kernel, when it exceeds ``--timeout`` seconds. No Docker is needed.

The CSV has one row per student: one column per question (points earned), the
total, the points possible, and a ``reason`` column that explains anything
unusual: a notebook that is not valid JSON, a time-out, cells that raised,
distributed cells that were deleted, embedded tests that were edited, test
files changed while the notebook ran, code that touches the grader. An empty
reason means nothing unusual was seen.

SECURITY: grading runs the students' code with your privileges. Grade in a
throwaway container or user account with no access to anything you care about
(see the instructor guide on the website).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import assignments  # noqa: E402
import notebook_env  # noqa: E402

DEFAULT_TIMEOUT = 120.0
MAX_ERRORS_LISTED = 3
# Code in a submission that has no business touching the grader's files or objects.
_SUSPICIOUS = re.compile(
    r"(?<![\w.])tests?/|Checker|GradingResults|results\.pkl|otter\.(?!Notebook\b)|__import__\(\s*['\"]otter"
    r"|sys\.modules\[\s*['\"]otter|import\s+otter|from\s+otter\b")


@dataclass
class Submission:
    """One student's entry of the submissions folder."""

    student: str
    notebook: Path | None
    notes: list = field(default_factory=list)


@dataclass
class Autograder:
    """An assignment's autograder zip, its questions and their points possible."""

    name: str
    zip: Path
    template: Path | None
    questions: list
    possible: dict


def _natural_key(text: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def collect(folder: Path) -> list[Submission]:
    """The submissions in ``folder``, sorted by student."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"SUBMISSIONS_DIR must be a folder, got {folder}")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda p: _natural_key(p.name)):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            if entry.suffix == ".ipynb":
                found.append(Submission(entry.stem, entry))
            else:
                found.append(Submission(entry.stem, None, [f"{entry.name} is not a .ipynb notebook; not graded"]))
            continue
        notebooks = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        others = sorted(p.relative_to(entry).as_posix() for p in entry.iterdir()
                        if p.name != ".ipynb_checkpoints" and p not in notebooks)
        sub = Submission(entry.name, notebooks[0] if len(notebooks) == 1 else None)
        if not notebooks:
            sub.notes.append("no .ipynb notebook in the folder; not graded")
        elif len(notebooks) > 1:
            names = ", ".join(p.relative_to(entry).as_posix() for p in notebooks)
            sub.notes.append(f"{len(notebooks)} notebooks in the folder ({names}); not graded")
        if others and sub.notebook is not None:
            sub.notes.append("ignored the other files submitted (" + ", ".join(others)
                             + "); graded with the instructor's tests")
        found.append(sub)
    return found


def load_autograder(name: str | None = None, zip_path: Path | None = None,
                    template: Path | None = None) -> Autograder:
    """Find (generating it if needed) the autograder of assignment ``name``, or use ``zip_path``."""
    if zip_path is None:
        if name is None:
            raise ValueError("give --assignment NAME or --autograder ZIP")
        assignments.generate(name)
        zip_path = assignments.autograder_zip(name)
        template = template or assignments.student_notebook(name)
    zip_path = Path(zip_path)
    with zipfile.ZipFile(zip_path) as archive:
        config = json.loads(archive.read("otter_config.json")) if "otter_config.json" in archive.namelist() else {}
        tests = {Path(n).stem: archive.read(n).decode() for n in archive.namelist()
                 if n.startswith("tests/") and n.endswith(".py")}
    if not tests:
        raise ValueError(f"{zip_path} holds no tests/*.py: is it an Otter autograder zip?")
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    possible = {}
    with tempfile.TemporaryDirectory() as tmp:
        for question, text in tests.items():
            path = Path(tmp) / f"{question}.py"
            path.write_text(text)
            possible[question] = float(create_test_file(str(path), NBMetadataConfig()).possible)
    if template is None:
        guess = zip_path.parent.parent / "student" / f"{config.get('assignment_name', '')}.ipynb"
        template = guess if guess.is_file() else None
    return Autograder(name=config.get("assignment_name") or name or zip_path.stem, zip=zip_path,
                      template=Path(template) if template else None,
                      questions=sorted(possible, key=_natural_key), possible=possible)


# ---------------------------------------------------------------------------
# The worker: grades one notebook (runs in its own process)
# ---------------------------------------------------------------------------
def _code_cells_touching_grader(nb: dict, template_sources: set) -> list[int]:
    """1-based positions of code cells whose code refers to the grader's files or objects."""
    flagged = []
    for position, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        source = assignments._source(cell)
        if source in template_sources:
            continue  # a distributed cell, unchanged
        if _SUSPICIOUS.search(source):
            flagged.append(position)
    return flagged


def _compare_with_template(nb: dict, template: Path) -> list[str]:
    notes = []
    tpl = json.loads(template.read_text(encoding="utf-8"))
    ids = {cell.get("id") for cell in nb.get("cells", [])} - {None}
    missing = [cell for cell in tpl["cells"] if cell.get("id") not in ids]
    if not ids:
        notes.append("the notebook's cells have no ids (saved by an old Jupyter?), so deleted "
                     "cells could not be checked")
    elif missing:
        notes.append(f"{len(missing)} of the {len(tpl['cells'])} distributed cells were deleted "
                     "(or their ids changed)")
    mine = nb.get("metadata", {}).get("otter", {}).get("tests")
    theirs = tpl.get("metadata", {}).get("otter", {}).get("tests")
    if mine != theirs:
        notes.append("the public tests embedded in the notebook were edited or removed "
                     "(ignored: graded with the instructor's tests)")
    template_sources = {assignments._source(cell) for cell in tpl["cells"]}
    touching = _code_cells_touching_grader(nb, template_sources)
    if touching:
        notes.append("review by hand: code in cell(s) " + ", ".join(map(str, touching))
                     + " refers to the grader or its tests")
    return notes


def _cell_errors(executed, positions: dict) -> list[str]:
    errors = []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                if cell.get("id") in positions:
                    where = f"cell {positions[cell.get('id')]}"
                else:
                    where = "a grader cell" if positions else "a cell"
                message = " ".join(str(output.get("evalue", "")).split())
                if len(message) > 80:
                    message = message[:77] + "..."
                errors.append(f"{where} raised {output.get('ename', 'an error')}"
                              + (f": {message}" if message else ""))
    return errors


def _worker(notebook: Path, zip_path: Path, template: Path | None, workdir: Path,
            result_path: Path) -> int:
    result = {"scores": {}, "notes": [], "graded": False}

    def finish() -> int:
        result_path.write_text(json.dumps(result))
        return 0

    raw = notebook.read_bytes()
    try:
        nb = json.loads(raw.decode("utf-8"))
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
    except (UnicodeDecodeError, ValueError) as err:
        result["notes"].append(f"not a valid notebook ({type(err).__name__}: {err}); scored 0")
        return finish()
    try:
        import nbformat

        nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as err:  # noqa: BLE001 - any failure to read is the student's file's fault
        result["notes"].append(f"not a valid notebook ({type(err).__name__}: {err}); scored 0")
        return finish()
    if template is not None:
        result["notes"] += _compare_with_template(nb, template)

    with zipfile.ZipFile(zip_path) as archive:
        expected_tests = {n: hashlib.sha256(archive.read(n)).hexdigest()
                          for n in archive.namelist() if n.startswith("tests/")}
        config = json.loads(archive.read("otter_config.json"))
    ag_dir = workdir / "autograder"
    for sub in ("source", "submission", "results"):
        (ag_dir / sub).mkdir(parents=True)
    (ag_dir / "submission_metadata.json").write_text("{}")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(ag_dir / "source")
    name = config.get("assignment_name") or notebook.stem
    (ag_dir / "submission" / f"{name}.ipynb").write_bytes(raw)

    from otter.run.run_autograder import main as run_autograder

    try:
        # otter_run=False: grade as in Otter's container (the notebook's kernel is
        # forced to "python3", i.e. this interpreter), without the logo and summary.
        run_autograder(str(ag_dir), otter_run=False, logo=False, print_summary=False,
                       print_score=False)
    except Exception as err:  # noqa: BLE001 - reported, the batch goes on
        message = " ".join(str(err).split())
        result["notes"].append(f"Otter could not grade it ({type(err).__name__}: {message}); scored 0")
        return finish()

    import dill

    with open(ag_dir / "results" / "results.pkl", "rb") as handle:
        results = dill.load(handle)
    if results.catastrophic_error is not None:
        result["notes"].append(f"grading failed ({results.catastrophic_error}); scored 0")
        return finish()
    result["scores"] = {q: float(tf.score) for q, tf in results.results.items()}
    result["graded"] = True

    changed = sorted(n for n, digest in expected_tests.items()
                     if not (ag_dir / "submission" / n).is_file()
                     or hashlib.sha256((ag_dir / "submission" / n).read_bytes()).hexdigest() != digest)
    if changed:
        result["scores"] = {q: 0.0 for q in result["scores"]}
        result["notes"].append("the notebook changed the grader's test files while it ran ("
                               + ", ".join(changed) + "); all scores set to 0, review by hand")
    positions = {cell.get("id"): i for i, cell in enumerate(nb["cells"], start=1) if cell.get("id")}
    errors = _cell_errors(results.notebook, positions) if results.notebook is not None else []
    if errors:
        listed = "; ".join(errors[:MAX_ERRORS_LISTED])
        more = len(errors) - MAX_ERRORS_LISTED
        result["notes"].append(f"{len(errors)} cell(s) raised errors: {listed}"
                               + (f"; and {more} more" if more > 0 else ""))
    return finish()


# ---------------------------------------------------------------------------
# The parent: one child process per submission, with a time limit
# ---------------------------------------------------------------------------
def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill the worker and everything it started (the Jupyter kernel runs in its own session)."""
    import psutil

    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for child in family:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    proc.kill()
    proc.wait()
    psutil.wait_procs(family, timeout=10)


def grade_one(sub: Submission, ag: Autograder, timeout: float = DEFAULT_TIMEOUT,
              log_dir: Path | None = None) -> dict:
    """Grade one submission in a child process; return its CSV row (a dict)."""
    row = {"student": sub.student, "scores": {}, "notes": list(sub.notes)}
    if sub.notebook is None:
        return row
    with tempfile.TemporaryDirectory(prefix="dreambook-grade-") as tmp:
        tmp = Path(tmp)
        result_path, log_path = tmp / "result.json", tmp / "worker.log"
        workdir = tmp / "work"
        workdir.mkdir()
        command = [sys.executable, str(Path(__file__).resolve()), "_worker", str(sub.notebook.resolve()),
                   str(ag.zip.resolve()), str(ag.template.resolve()) if ag.template else "-",
                   str(workdir), str(result_path)]
        env = dict(os.environ, **notebook_env.ENV)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_tree(proc)
                row["notes"].append(f"stopped at the {timeout:g} s time limit (an endless loop, "
                                    "or far too slow); scored 0")
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy(log_path, log_dir / f"{sub.student}.log")
        if result_path.is_file():
            result = json.loads(result_path.read_text())
            row["scores"] = result["scores"]
            row["notes"] += result["notes"]
        elif proc.returncode not in (None, -9) and not any("time limit" in n for n in row["notes"]):
            tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or [""]
            row["notes"].append(f"the grader crashed (exit code {proc.returncode}: {tail[0][:120]}); "
                                "scored 0")
    return row


def grade_submissions(folder: Path, ag: Autograder, timeout: float = DEFAULT_TIMEOUT,
                      jobs: int = 1, log_dir: Path | None = None) -> list[dict]:
    """Grade every submission of ``folder``; return one row per student, in order."""
    subs = collect(folder)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda s: grade_one(s, ag, timeout, log_dir), subs))


def _fmt(points: float) -> str:
    return f"{points:g}"


def write_csv(rows: list[dict], ag: Autograder, out: Path) -> None:
    """One row per student: a column per question, total, possible, reason."""
    possible = sum(ag.possible.values())
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *ag.questions, "total", "possible", "reason"])
        for row in rows:
            scores = [float(row["scores"].get(q, 0.0)) for q in ag.questions]
            writer.writerow([row["student"], *map(_fmt, scores), _fmt(sum(scores)), _fmt(possible),
                             "; ".join(row["notes"])])


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_worker"]:
        notebook, zip_path, template, workdir, result = argv[1:6]
        return _worker(Path(notebook), Path(zip_path), None if template == "-" else Path(template),
                       Path(workdir), Path(result))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("--assignment", help=f"assignment name, one of {assignments.names()}")
    parser.add_argument("--autograder", type=Path,
                        help="an Otter autograder zip to use instead of the assignment's own")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds allowed per submission (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    parser.add_argument("--logs", type=Path, help="save each submission's grading log here")
    args = parser.parse_args(argv)
    try:
        ag = load_autograder(args.assignment, args.autograder)
        rows = grade_submissions(args.submissions, ag, args.timeout, args.jobs, args.logs)
    except (ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    write_csv(rows, ag, args.out)
    flagged = sum(1 for row in rows if row["notes"])
    print(f"graded {len(rows)} submission(s) of {ag.name} into {args.out}"
          f" ({flagged} with a reason to look at)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
