"""The course assignments: Otter Assign, the grader, and what students must never see.

For every assignment under ``assignments/``: ``otter assign`` succeeds on the
master; the solutions score 100 %; the blank student notebook scores 0 (which
catches solution code left outside the solution markers); a notebook with only
question 1 solved scores exactly question 1's points. One batch of broken
submissions is graded without stopping, each with its reason in the CSV. No
solution line or hidden test reaches a student notebook or the built website.

Everything is generated afresh into a temporary folder (the repository's
``dist/`` folders are not touched), and the gradings run concurrently.
"""

from __future__ import annotations

import concurrent.futures
import copy
import csv
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import assignments
import grade

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:traitlets")

NAMES = assignments.names()
BAD_BATCH = "two-phases"  # the assignment whose broken submissions are graded
BAD_TIMEOUT = 60.0  # seconds; a correct notebook needs a few
TIMEOUT = 300.0


def test_there_are_four_assignments():
    assert {"two-phases", "gibbs-sampler", "boltzmann-encoder", "cd-bars-and-stripes"} <= set(NAMES)


# ---------------------------------------------------------------------------
# Building submissions from the generated notebooks
# ---------------------------------------------------------------------------
def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(nb: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def _answer_cells_by_question(student: dict) -> dict:
    """{question: [ids of its answer cells]}: answer cells belong to the next check cell."""
    pending, owners = [], {}
    for cell in student["cells"]:
        if "otter_answer_cell" in cell.get("metadata", {}).get("tags", []):
            pending.append(cell["id"])
        match = re.fullmatch(r"otter-check-(\w+)", cell.get("id", ""))
        if match:
            owners[match.group(1)] = pending
            pending = []
    assert not pending, "answer cells after the last check cell"
    return owners


def solved(student: dict, solution: dict, questions) -> dict:
    """The student notebook with the answer cells of ``questions`` filled in from the solutions."""
    nb = copy.deepcopy(student)
    solutions = {cell["id"]: cell["source"] for cell in solution["cells"]}
    owners = _answer_cells_by_question(student)
    wanted = {cid for q in questions for cid in owners[q]}
    for cell in nb["cells"]:
        if cell["id"] in wanted:
            cell["source"] = solutions[cell["id"]]
    return nb


def _new_code_cell(source: str, cell_id: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": {},
            "outputs": [], "source": source}


def _insert_after(nb: dict, cell_id: str, new: dict) -> dict:
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb["cells"]) if c["id"] == cell_id)
    nb["cells"].insert(index + 1, new)
    return nb


# ---------------------------------------------------------------------------
# Session fixtures: generate, build the submissions, grade everything at once
# ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """Run Otter Assign on every master into a temporary dist folder: {name: dist}."""
    base = tmp_path_factory.mktemp("dist")

    def run(name):
        return name, assignments.generate(name, dist=base / name, force=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(run, NAMES))


def _bad_submissions(folder: Path, dist: Path, other_dist: Path, other_name: str) -> dict:
    """Write the broken submissions of the bad batch; return {student: what it is}."""
    name = BAD_BATCH
    student = _read(assignments.student_notebook(name, dist))
    solution = _read(assignments.solution_notebook(name, dist))
    owners = _answer_cells_by_question(student)
    full = solved(student, solution, owners)

    _write(full, folder / "zoe.ipynb")  # a good one in the same batch

    broken = copy.deepcopy(full)  # a syntax error in question 2's answer
    for cell in broken["cells"]:
        if cell["id"] == owners["q2"][0]:
            cell["source"] = assignments._source(cell).replace("def positive_statistics(data):",
                                                               "def positive_statistics(data)")
            assert cell["source"] != assignments._source(full["cells"][broken["cells"].index(cell)])
    _write(broken, folder / "syntax.ipynb")

    _write(_insert_after(full, owners["q1"][-1],
                         _new_code_cell('raise RuntimeError("a bug of mine")', "mine-1")),
           folder / "exception.ipynb")

    _write(_insert_after(full, owners["q3"][-1],
                         _new_code_cell("x = 0\nwhile True:\n    x = (x + 1) % 7", "mine-2")),
           folder / "loop.ipynb")

    # delete question 6: its prompt, answer and check cells
    q6_start = next(i for i, c in enumerate(full["cells"]) if c["id"] == owners["q6"][0]) - 1
    q6_end = next(i for i, c in enumerate(full["cells"]) if c["id"] == "otter-check-q6")
    deleted = copy.deepcopy(full)
    del deleted["cells"][q6_start:q6_end + 1]
    _write(deleted, folder / "deleted.ipynb")

    # a folder with a doctored tests/ folder, and public tests edited to pass
    always = ("from otter.test_files import test_case\nOK_FORMAT = False\nname = {q!r}\n"
              "points = 100\n@test_case(points=None, hidden=False)\ndef test_ok():\n    pass\n")
    doctored = copy.deepcopy(student)
    doctored["metadata"]["otter"]["tests"] = {q: always.format(q=q) for q in owners}
    _write(doctored, folder / "erin" / f"{name}.ipynb")
    for q in owners:
        (folder / "erin" / "tests").mkdir(parents=True, exist_ok=True)
        (folder / "erin" / "tests" / f"{q}.py").write_text(always.format(q=q))

    # test files overwritten while the notebook runs
    payload = ("import glob, os\n"
               f"ALWAYS = {always!r}\n"
               "for path in glob.glob('tests/*.py'):\n"
               "    q = os.path.basename(path)[:-3]\n"
               "    with open(path, 'w') as handle:\n"
               "        handle.write(ALWAYS.format(q=q))")
    _write(_insert_after(student, student["cells"][1]["id"], _new_code_cell(payload, "mine-3")),
           folder / "mallory.ipynb")

    (folder / "notjson.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x = ')
    _write(_read(assignments.student_notebook(other_name, other_dist)), folder / "wrong.ipynb")
    (folder / "frank.pdf").write_bytes(b"%PDF-1.4 not a notebook")
    return owners


@pytest.fixture(scope="session")
def graded(generated, tmp_path_factory):
    """Grade every assignment's solution, blank and partial notebooks, and the bad batch.

    Returns {"normal": {name: {student: row}}, "bad": [csv rows], "autograders": {name: ag}}.
    """
    base = tmp_path_factory.mktemp("submissions")
    autograders = {
        name: grade.load_autograder(zip_path=assignments.autograder_zip(name, dist),
                                    template=assignments.student_notebook(name, dist))
        for name, dist in generated.items()
    }
    folders = {}
    for name, dist in generated.items():
        student = _read(assignments.student_notebook(name, dist))
        solution = _read(assignments.solution_notebook(name, dist))
        folder = base / name
        _write(solved(student, solution, _answer_cells_by_question(student)), folder / "solution.ipynb")
        _write(student, folder / "blank.ipynb")
        _write(solved(student, solution, ["q1"]), folder / "partial.ipynb")
        folders[name] = folder
    other = next(n for n in NAMES if n != BAD_BATCH)
    bad_folder = base / "bad"
    _bad_submissions(bad_folder, generated[BAD_BATCH], generated[other], other)
    bad_csv = base / "bad-scores.csv"

    def run_bad():
        code = grade.main([str(bad_folder), "--autograder", str(assignments.autograder_zip(
            BAD_BATCH, generated[BAD_BATCH])), "--out", str(bad_csv), "--timeout", str(BAD_TIMEOUT),
            "--jobs", "2"])
        assert code == 0
        with open(bad_csv, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def run_normal(name):
        rows = grade.grade_submissions(folders[name], autograders[name], timeout=TIMEOUT, jobs=1)
        return name, {row["student"]: row for row in rows}

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(NAMES) + 1) as pool:
        bad = pool.submit(run_bad)  # first: its endless loop waits out the time limit
        normal = dict(pool.map(run_normal, NAMES))
        bad_rows = bad.result()
    return {"normal": normal, "bad": bad_rows, "autograders": autograders}


# ---------------------------------------------------------------------------
# Every assignment
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_otter_assign_succeeds(generated, name):
    dist = generated[name]
    for path in (assignments.student_notebook(name, dist), assignments.solution_notebook(name, dist),
                 assignments.autograder_zip(name, dist)):
        assert path.is_file(), path


@pytest.mark.parametrize("name", NAMES)
def test_each_assignment_has_enough_questions(graded, name):
    ag = graded["autograders"][name]
    assert len(ag.questions) >= 4
    secrets = assignments.read_secrets(assignments.master_path(name))
    assert secrets.hidden_tests, "every assignment has hidden tests"
    student = _read(assignments.student_notebook(name, graded["autograders"][name].zip.parent.parent))
    public = student["metadata"]["otter"]["tests"]
    assert set(public) == set(ag.questions), "every question has public tests students can run"


@pytest.mark.parametrize("name", NAMES)
def test_solution_scores_full_marks(graded, name):
    row = graded["normal"][name]["solution"]
    ag = graded["autograders"][name]
    assert row["scores"] == {q: ag.possible[q] for q in ag.questions}, row["notes"]
    assert row["notes"] == []


@pytest.mark.parametrize("name", NAMES)
def test_blank_notebook_scores_zero(graded, name):
    row = graded["normal"][name]["blank"]
    ag = graded["autograders"][name]
    assert set(row["scores"]) == set(ag.questions), row["notes"]
    assert sum(row["scores"].values()) == 0, row["scores"]


@pytest.mark.parametrize("name", NAMES)
def test_partial_notebook_scores_in_between(graded, name):
    row = graded["normal"][name]["partial"]
    ag = graded["autograders"][name]
    want = {q: (ag.possible[q] if q == "q1" else 0.0) for q in ag.questions}
    assert row["scores"] == want, row["notes"]
    assert 0 < sum(row["scores"].values()) < sum(ag.possible.values())


# ---------------------------------------------------------------------------
# The bad batch
# ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def bad(graded):
    rows = {row["student"]: row for row in graded["bad"]}
    ag = graded["autograders"][BAD_BATCH]
    for row in rows.values():
        row["scores"] = {q: float(row[q]) for q in ag.questions}
        row["total"] = float(row["total"])
    return rows, ag


def test_bad_batch_csv_layout(graded):
    ag = graded["autograders"][BAD_BATCH]
    assert list(graded["bad"][0]) == ["student", *ag.questions, "total", "possible", "reason"]
    assert {row["student"] for row in graded["bad"]} == {
        "deleted", "erin", "exception", "frank", "loop", "mallory", "notjson", "syntax", "wrong", "zoe"}
    assert all(float(row["possible"]) == sum(ag.possible.values()) for row in graded["bad"])


def test_a_good_submission_in_a_bad_batch(bad):
    rows, ag = bad
    assert rows["zoe"]["total"] == sum(ag.possible.values()) and rows["zoe"]["reason"] == ""


def test_syntax_error(bad):
    rows, ag = bad
    row = rows["syntax"]
    assert row["scores"]["q1"] == ag.possible["q1"] and row["scores"]["q2"] == 0
    assert 0 < row["total"] < sum(ag.possible.values())
    assert "SyntaxError" in row["reason"]


def test_raised_exception_does_not_stop_the_notebook(bad):
    rows, ag = bad
    row = rows["exception"]
    assert row["total"] == sum(ag.possible.values())
    assert "RuntimeError: a bug of mine" in row["reason"]


def test_endless_loop_is_stopped(bad):
    rows, _ = bad
    assert rows["loop"]["total"] == 0
    assert "time limit" in rows["loop"]["reason"]


def test_deleted_cells(bad):
    rows, ag = bad
    row = rows["deleted"]
    assert row["scores"]["q6"] == 0
    assert row["total"] == sum(ag.possible.values()) - ag.possible["q6"]
    assert "distributed cells were deleted" in row["reason"]


def test_doctored_tests_folder_is_ignored(bad):
    rows, _ = bad
    row = rows["erin"]
    assert row["total"] == 0
    assert "ignored the other files submitted (tests)" in row["reason"]
    assert "public tests embedded in the notebook were edited" in row["reason"]


def test_tests_overwritten_at_run_time(bad):
    rows, _ = bad
    row = rows["mallory"]
    assert row["total"] == 0
    assert "changed the grader's test files" in row["reason"]
    assert "review by hand" in row["reason"]


def test_not_json(bad):
    rows, _ = bad
    assert rows["notjson"]["total"] == 0
    assert rows["notjson"]["reason"].startswith("not a valid notebook")


def test_notebook_of_another_assignment(bad):
    rows, _ = bad
    assert rows["wrong"]["total"] == 0
    assert "Received submission for assignment" in rows["wrong"]["reason"]


def test_not_a_notebook(bad):
    rows, _ = bad
    assert rows["frank"]["total"] == 0 and "not a .ipynb notebook" in rows["frank"]["reason"]


# ---------------------------------------------------------------------------
# Nothing secret reaches students
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_has_no_secrets(generated, name):
    secrets = assignments.read_secrets(assignments.master_path(name))
    assert len(secrets.solution_lines) >= 10 and secrets.hidden_tests
    assert secrets.unmarked_solution_cells == []
    student = assignments.student_notebook(name, generated[name])
    assert assignments.find_leaks(assignments.notebook_text(student), secrets) == []
    assignments.check_student_notebook(student, assignments.master_path(name))


@pytest.mark.parametrize("name", NAMES)
def test_leak_detector_finds_leaks(generated, name):
    """The check above can fail: the solution notebook is full of secrets."""
    secrets = assignments.read_secrets(assignments.master_path(name))
    text = assignments.notebook_text(assignments.solution_notebook(name, generated[name]))
    leaks = assignments.find_leaks(text, secrets)
    assert any(leak.startswith("solution line") for leak in leaks)
    assert any(leak.startswith("hidden test") for leak in leaks)


def test_unmarked_solution_cell_is_flagged(tmp_path):
    master = _read(assignments.master_path(NAMES[0]))
    for cell in master["cells"]:  # strip the markers from the first solution cell
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and "# BEGIN SOLUTION" in source:
            cell["source"] = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION\n?", "", source)
            break
    path = _write(master, tmp_path / f"{NAMES[0]}.ipynb")
    assert assignments.read_secrets(path).unmarked_solution_cells


def _site() -> Path:
    """The built website: DREAMBOOK_SITE, or _build/html if it has the assignment pages."""
    if os.environ.get("DREAMBOOK_SITE"):
        return Path(os.environ["DREAMBOOK_SITE"])
    return ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    site = _site()
    if not (site / "book" / "assignments" / "instructor-guide.html").is_file():
        # No site with the assignment pages: build a small one privately.
        out = tmp_path_factory.mktemp("site")
        toc = out / "toc.yml"
        pages = "\n".join(f"      - file: book/assignments/{p}"
                          for p in ["index", *NAMES, "instructor-guide"])
        toc.write_text("format: jb-book\nroot: book/intro\nparts:\n  - caption: Front matter\n"
                       "    chapters:\n      - file: book/notation\n  - caption: Assignments\n"
                       f"    chapters:\n{pages}\n  - caption: Reference\n    chapters:\n"
                       "      - file: book/api\n      - file: book/bibliography\n")
        subprocess.run([sys.executable, str(ROOT / "tools" / "build_book.py"), "--toc", str(toc),
                        "--output", str(out)], check=True, capture_output=True)
        site = out / "_build" / "html"
    return site


def _page_text(path: Path) -> str:
    """What a reader can see in a file of the site (tags dropped, so highlighted code stays whole)."""
    if path.suffix == ".ipynb":
        return assignments.notebook_text(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text


def test_leak_detector_reads_highlighted_html(tmp_path):
    """The website check can fail: a solution line rendered by Sphinx's highlighter is found."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    secrets = assignments.read_secrets(assignments.master_path(NAMES[0]))
    line = max(sorted(secrets.solution_lines), key=len)
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>Some text.</p>"
                    + highlight(f"def f():\n    {line}\n", PythonLexer(), HtmlFormatter()) + "</body></html>")
    assert assignments.find_leaks(_page_text(page), secrets) == [f"solution line {line!r}"]


def test_website_has_no_secrets(site):
    """No hidden test anywhere on the site; no solution line in what the assignment pages offer.

    Solution lines are looked for in the assignment pages, their sources, the
    search index and the downloads (a chapter may legitimately share a line such
    as ``states = exact.all_states(model.n_units)`` with a solution); hidden
    tests are looked for in every file.
    """
    pages = sorted((site / "book" / "assignments").glob("*.html"))
    downloads = sorted((site / "_downloads").rglob("*.ipynb"))
    assert {p.stem for p in pages} >= {"index", "instructor-guide", *NAMES}
    assert {p.stem for p in downloads} >= set(NAMES), "every student notebook is offered for download"
    files = [p for p in site.rglob("*") if p.is_file() and p.suffix in {".html", ".ipynb", ".txt", ".md", ".js"}
             and "vendor" not in p.parts]
    offered = set(pages) | set(downloads) | {p for p in files if "assignments" in p.parts}
    offered |= {p for p in files if p.name.startswith("searchindex")}
    assert len(offered) > len(pages) + len(downloads), "the page sources are checked too"
    problems = []
    for name in NAMES:
        secrets = assignments.read_secrets(assignments.master_path(name))
        for path in files:
            leaks = assignments.find_leaks(_page_text(path), secrets)
            if path not in offered:
                leaks = [leak for leak in leaks if leak.startswith("hidden test")]
            problems += [f"{path.relative_to(site)}: {leak}" for leak in leaks]
    assert problems == []


# ---------------------------------------------------------------------------
# The website's pages agree with the assignments
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_assignment_page_points_match(graded, name):
    page = (ROOT / "book" / "assignments" / f"{name}.md").read_text(encoding="utf-8")
    ag = graded["autograders"][name]
    table = dict(re.findall(r"^\| (q\d+) \|.*\| (\d+) \|$", page, re.M))
    assert {q: float(p) for q, p in table.items()} == ag.possible
    total = sum(ag.possible.values())
    assert f"**Points:** {total:g}." in page
    index = (ROOT / "book" / "assignments" / "index.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| {{doc}}`{name}` \|.*\| {total:g} \|$", index, re.M)
    assert f"</assignments/{name}/dist/student/{name}.ipynb>`" in page
