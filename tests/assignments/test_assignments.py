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
import contextlib
import copy
import csv
import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import assignments
import grade
import sandbox

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:traitlets")

NAMES = assignments.names()
BAD_BATCH = "two-phases"  # the assignment whose broken submissions are graded
# seconds. The bad batch is graded while every other batch runs too (load 8-10 on a 2-core
# machine): at 60 s, correct submissions (bigfile, deleted) were stopped by the limit in two
# runs of this suite.
BAD_TIMEOUT = 180.0
TIMEOUT = 300.0


def test_there_are_four_assignments():
    assert {"two-phases", "gibbs-sampler", "boltzmann-encoder", "cd-bars-and-stripes"} <= set(NAMES)


def test_parts_two_and_three_assignments():
    assert {"pcd-and-ais", "hopfield-unlearning"} <= set(NAMES)


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
def dist_of(tmp_path_factory):
    """``dist_of(name)``: Otter Assign run on one master (once per session) into a temporary dist folder."""
    import threading

    base = tmp_path_factory.mktemp("dist")
    done, locks = {}, {name: threading.Lock() for name in NAMES}

    def get(name):
        with locks[name]:
            if name not in done:
                done[name] = assignments.generate(name, dist=base / name, force=True)
            return done[name]

    return get


@pytest.fixture(scope="session")
def generated(dist_of):
    """Run Otter Assign on every master into a temporary dist folder: {name: dist}."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(NAMES, pool.map(dist_of, NAMES)))


def _payload_cell(nb: dict, source: str, cell_id: str, after: int = 1) -> dict:
    """``nb`` with a new code cell ``source`` after its cell number ``after`` (0-based)."""
    return _insert_after(nb, nb["cells"][after]["id"], _new_code_cell(source, cell_id))


# What each hostile cell tries; every one of these worked on the grader that ran
# submissions unsandboxed and trusted the kernel's results.
_THIEF = '''
import glob, json, os, zipfile
found = []
for root in {roots!r} + ["/work", "/root", "/home", "/tmp", "/opt", "/srv", "/mnt"]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".venv", "site-packages", "proc")]
        for f in files:
            if f.endswith((".ipynb", ".zip")):
                found.append(os.path.join(folder, f))
namespace = globals()
for path in found:
    try:
        if path.endswith(".zip"):
            with zipfile.ZipFile(path) as z:
                for n in z.namelist():
                    if n.endswith(".ipynb"):
                        cells = json.loads(z.read(n))["cells"]
                        for c in cells:
                            if c["cell_type"] == "code":
                                try: exec("".join(c["source"]), namespace)
                                except Exception: pass
            continue
        cells = json.load(open(path))["cells"]
        for c in cells:
            src = "".join(c["source"])
            if c["cell_type"] == "code" and ("BEGIN SOLUTION" in src or "def " in src) and "otter" not in src:
                try: exec(src, namespace)
                except Exception: pass
    except Exception:
        pass
print("thief found", found)
'''

_VANDAL = '''
import glob, os, signal
for path in glob.glob({folder!r} + "/*.ipynb"):
    try:
        open(path, "w").write("{{}}")
    except OSError as err:
        print("cannot overwrite", path, err)
try:
    os.kill(-1, signal.SIGKILL)  # every process this user may signal, but itself
except OSError as err:
    print("kill -1:", err)
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) not in (1, os.getpid()):
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
'''

_DAEMON = '''
import os, subprocess, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(600):
            try:
                with open({csv!r}, "w") as handle:
                    handle.write("student,total\\nforged,594\\n")
            except OSError:
                pass
            time.sleep(0.2)
        os._exit(0)
    os._exit(0)
subprocess.Popen(["sleep", "1000"], start_new_session=True)
'''

_FORGER = '''
import json, os, zipfile
for path in ["results.json", "result.json", "/tmp/result.json", "../result.json",
             "results/results.pkl", {zip!r}, {zip!r} + ".sha256"]:
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as handle:
            handle.write(json.dumps({{"scores": {{"q1": 100}}, "notes": [], "graded": True}}))
        print("wrote", path)
    except OSError as err:
        print("cannot write", path, err)
try:
    with zipfile.ZipFile({zip!r}, "a") as z:
        z.writestr("tests/q1.py", "OK_FORMAT = False\\nname = 'q1'\\npoints = 100\\n")
except OSError as err:
    print("cannot doctor the zip", err)
'''

_MONKEY = '''
import builtins, pickle, sys, types
import numpy as np
def full_marks(*args, **kwargs):
    return True
pickle.dump = lambda obj, f, *a, **k: f.write(b"forged")
np.allclose = full_marks
np.isclose = full_marks
builtins.isinstance = lambda *a: True
fake = types.ModuleType("otter")
fake.Notebook = lambda *a, **k: types.SimpleNamespace(check=full_marks, check_all=full_marks)
sys.modules["otter"] = fake
try:
    import dill
    dill.dump = pickle.dump
except ImportError:
    pass
class Anything:
    def __eq__(self, other): return True
    def __lt__(self, other): return True
    def __gt__(self, other): return True
    def __len__(self): return 60
    def __getitem__(self, key): return self
    def __float__(self): return 0.0
p = pos = neg = grad = fd_b0 = mismatch = ll_wake = ll_dream = ll_both = Anything()
def boltzmann_probabilities(model): return Anything()
'''

_FORKER = '''
import os, time
for _ in range(20):
    if os.fork() == 0:
        time.sleep(10**6)
        os._exit(0)
'''

_FORK_BOMB = '''
import os
children = 0
try:
    for _ in range(10000):
        if os.fork() == 0:
            import time
            time.sleep(10**6)
            os._exit(0)
        children += 1
except OSError as err:
    print("fork stopped after", children, err)
'''

_LIAR = '''
import os
for fd in os.listdir("/proc/self/fd"):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
            os.write(int(fd), b'{"ok": 1}\\n' * 50 + b'{"ready": true, "errors": []}\\n')
    except OSError:
        pass
'''

_SPY = '''
import os, socket
seen = {{}}
for path in ["/etc/shadow", "/root", "/proc/1/environ", "/work/wt", {root!r}]:
    try:
        seen[path] = os.listdir(path) if os.path.isdir(path) else open(path).read()[:20]
    except OSError as err:
        seen[path] = type(err).__name__
for host in [("1.1.1.1", 53), ("127.0.0.1", 22)]:
    try:
        socket.create_connection(host, timeout=1)
        seen[host] = "connected"
    except OSError as err:
        seen[host] = type(err).__name__
try:
    os.setuid(0)
    seen["setuid"] = "root"
except OSError as err:
    seen["setuid"] = type(err).__name__
print("spy", seen)
'''


def _hostile_submissions(folder: Path, dist: Path, other_dist: Path, other_name: str,
                         csv_path: Path) -> dict:
    """Write the hostile batch; return {student: what it is}."""
    name = BAD_BATCH
    student = _read(assignments.student_notebook(name, dist))
    solution = _read(assignments.solution_notebook(name, dist))
    owners = _answer_cells_by_question(student)
    full = solved(student, solution, owners)
    first = solved(student, solution, ["q1"])  # cheaper to grade: only question 1 solved
    zip_path = str(assignments.autograder_zip(name, dist))

    _write(full, folder / "zoe.ipynb")  # good ones in the same batch
    _write(full, folder / "victim.ipynb")  # graded after the vandal, possibly at the same time
    _write(student, folder / "zz-blank.ipynb")  # a blank graded after the forger

    broken = copy.deepcopy(full)  # a syntax error in question 2's answer
    for cell in broken["cells"]:
        if cell["id"] == owners["q2"][0]:
            cell["source"] = assignments._source(cell).replace("def positive_statistics(data):",
                                                               "def positive_statistics(data)")
            assert cell["source"] != assignments._source(full["cells"][broken["cells"].index(cell)])
    _write(broken, folder / "syntax.ipynb")

    _write(_insert_after(first, owners["q1"][-1],
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
               "for path in glob.glob('tests/*.py') + glob.glob('/autograder/source/tests/*.py'):\n"
               "    q = os.path.basename(path)[:-3]\n"
               "    with open(path, 'w') as handle:\n"
               "        handle.write(ALWAYS.format(q=q))")
    _write(_payload_cell(student, payload, "mine-3"), folder / "mallory.ipynb")

    roots = [str(ROOT), str(dist), str(folder)]
    _write(_payload_cell(student, _THIEF.format(roots=roots), "mine-4"), folder / "thief.ipynb")
    _write(_payload_cell(student, _THIEF.format(roots=[str(folder)]), "mine-5"), folder / "copycat.ipynb")
    _write(_payload_cell(student, _VANDAL.format(folder=str(folder)), "mine-6"), folder / "vandal.ipynb")
    _write(_payload_cell(student, _DAEMON.format(csv=str(csv_path)), "mine-7"), folder / "daemon.ipynb")
    _write(_payload_cell(student, _FORGER.format(zip=zip_path), "mine-8"), folder / "forger.ipynb")
    _write(_payload_cell(student, _MONKEY, "mine-9", after=len(student["cells"]) - 2), folder / "monkey.ipynb")
    _write(_payload_cell(first, _FORKER, "mine-10"), folder / "forker.ipynb")
    _write(_payload_cell(student, _FORK_BOMB, "mine-11"), folder / "forkbomb.ipynb")
    _write(_payload_cell(first, "hog = bytearray(64 * 2**30)", "mine-12"), folder / "hog.ipynb")
    _write(_payload_cell(first, "print('x' * 1000, end='')\nfor _ in range(20000):\n    print('y' * 1000)",
                         "mine-13"), folder / "flood.ipynb")
    _write(_payload_cell(first, "with open('big.bin', 'wb') as f:\n    f.write(b'0' * 300 * 2**20)",
                         "mine-14"), folder / "bigfile.ipynb")
    _write(_payload_cell(student, _LIAR, "mine-15"), folder / "liar.ipynb")
    _write(_payload_cell(student, _SPY.format(root=str(ROOT)), "mine-16"), folder / "spy.ipynb")
    _write(_payload_cell(full, "import os\nos._exit(3)", "mine-17"), folder / "exiter.ipynb")

    text = json.dumps(first, indent=1)
    (folder / "bom.ipynb").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (folder / "utf16.ipynb").write_bytes(text.encode("utf-16"))
    (folder / "nested.ipynb").write_text('{"cells": [], "metadata": ' + "[" * 200000 + "]" * 200000 + "}")
    (folder / "deepcells.ipynb").write_text('{"cells": [' + "[" * 5000 + "]" * 5000 + "]}")
    (folder / "badcells.ipynb").write_text('{"cells": [{"cell_type": "code", "source": 7}], "metadata": {}}')
    _write(student, folder / "=HYPERLINK(1).ipynb")

    (folder / "notjson.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x = ')
    _write(_read(assignments.student_notebook(other_name, other_dist)), folder / "wrong.ipynb")
    (folder / "frank.pdf").write_bytes(b"%PDF-1.4 not a notebook")
    return owners


@contextlib.contextmanager
def _recording_slots():
    """The set of sandbox uids the graders of this process take while the block runs.

    Another grader on the machine (a CI run beside this one) has sandboxes of
    its own; a check for processes left behind looks at this process's uids only.
    """
    uids, slot_init = set(), sandbox.Slot.__init__

    def recording(self):
        slot_init(self)
        uids.add(self.uid)

    sandbox.Slot.__init__ = recording
    try:
        yield uids
    finally:
        sandbox.Slot.__init__ = slot_init


def _left_behind(uids, ended: float) -> list:
    """Processes of ``uids`` that outlived their grader: started before ``ended``, on a free slot.

    A uid whose slot is still held belongs to a submission being graded right
    now (the other batches run beside the hostile one), so its processes are
    not leftovers. The slot's lock is held while its processes are listed, so
    no grader can take the uid meanwhile; a process started after ``ended`` is
    another grader's, reusing the uid.
    """
    import fcntl
    import tempfile

    import psutil

    folder = Path(tempfile.gettempdir()) / f"dreambook-grade-slots-{os.getuid()}"
    left = []
    for uid in sorted(uids):
        fd = os.open(folder / f"{uid - sandbox.UID_BASE}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a grader holds this uid now
            for pid, cmd in _sandbox_processes({uid}):
                try:
                    if psutil.Process(pid).create_time() <= ended:
                        left.append((pid, cmd))
                except psutil.Error:
                    pass
        finally:
            os.close(fd)
    return left


def _sandbox_processes(uids=None) -> list:
    """(pid, command line) of the processes running as a sandbox uid (of ``uids``, if given).

    Zombies are left out: they have exited and run no code, and the namespace's processes pass
    through that state until the machine's init reaps them.
    """
    import psutil

    left = []
    for proc in psutil.process_iter(["uids", "cmdline", "status"]):
        try:
            uid = proc.info["uids"].real if proc.info["uids"] else -1
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if (uid in uids) if uids is not None else sandbox.UID_BASE <= uid < sandbox.UID_BASE + sandbox.SLOTS:
                left.append((proc.pid, proc.info["cmdline"]))
        except psutil.Error:
            pass
    return left


# One deliberate slip in question 1 (the temperature dropped): it must cost points in question 1 only,
# because a public test of question 1 runs at T != 1 and the hidden tests of later questions call the
# reference implementation of question 1, not the student's.
SLIPS = {"two-phases": ("-model.energy(states) / model.T", "-model.energy(states)"),
         "gibbs-sampler": ("np.exp(-u / model.T)", "np.exp(-u)")}
# pcd-and-ais, hopfield-unlearning: the temperature dropped in log p*(v); the 1/N dropped in the Hebb rule
# (a Hopfield network has no temperature, so its slip is seen by another public test of question 1).
SLIPS.update({"pcd-and-ais": ("(v @ rbm.W + rbm.c) / rbm.T", "(v @ rbm.W + rbm.c)"),
              "hopfield-unlearning": ("W = xi.T @ xi / xi.shape[1]", "W = xi.T @ xi")})
# The public test that must catch the slip (default: test_q1_other_temperature).
SLIP_CAUGHT_BY: dict = {"hopfield-unlearning": "test_q1_two_patterns"}
# The question of the slip (default: q1).
SLIP_QUESTION: dict = {}

# wake-sleep-kl: a Helmholtz machine has no temperature; the slip drops the stabilization of the
# log-sum-exp, caught by a public test with large weights (the regime of a low temperature).
SLIPS["wake-sleep-kl"] = ("return float(np.log(np.exp(log_joint - top).sum()) + top)",
                          "return float(np.log(np.exp(log_joint).sum()))")
SLIP_CAUGHT_BY["wake-sleep-kl"] = "test_q1_large_weights"

# replay-order: no temperature either; the learning rate dropped from the TD(0) update, caught by a
# public test at alpha = 0.5.
SLIPS["replay-order"] = ("        V[s] += alpha * (rewards[s] + gamma * V[s_next] - V[s])",
                         "        V[s] += (rewards[s] + gamma * V[s_next] - V[s])")
SLIP_CAUGHT_BY["replay-order"] = "test_q1_other_learning_rate"

# inverse-optimization: the initial velocity dropped from the effort term, caught by a public test
# with a task that starts in motion (its public tests at T = 0.5 and T = 2 are in question 4).
SLIPS["inverse-optimization"] = ("    before = x[0] - task.velocity", "    before = x[0]")
SLIP_CAUGHT_BY["inverse-optimization"] = "test_q1_initial_velocity"

# boltzmann-encoder: question 1 (the patterns and the mask) has no temperature; the slip drops it from
# the posterior of question 2, caught by a public test at T = 0.5. Questions 3 and 6 call the posterior,
# at T = 1 in the notebook and through question 2's reference in their hidden tests.
SLIPS["boltzmann-encoder"] = ("    log_weights = -bm.energy(joint) / bm.T", "    log_weights = -bm.energy(joint)")
SLIP_QUESTION["boltzmann-encoder"] = "q2"
SLIP_CAUGHT_BY["boltzmann-encoder"] = "test_q2_other_temperature"

# cd-bars-and-stripes: no temperature either; the slip returns the sum of the CD-k estimates instead of
# their mean, which no cosine can see (the cosines of question 4 do not change): caught by a public test
# of question 3 on an RBM cooled until every estimate is the same.
SLIPS["cd-bars-and-stripes"] = ("    return {key: value / n_repeats for key, value in total.items()}",
                                "    return total")
SLIP_QUESTION["cd-bars-and-stripes"] = "q3"
SLIP_CAUGHT_BY["cd-bars-and-stripes"] = "test_q3_values"

# Assignments whose students use the temperature: a public test runs at T != 1. Every other assignment
# must have a slip proof whose public test plays that part (SLIP_CAUGHT_BY).
AT_ANOTHER_TEMPERATURE = {"two-phases", "gibbs-sampler", "pcd-and-ais", "boltzmann-encoder",
                          "inverse-optimization"}

# A second slip, in question 2, where a later question's hidden tests substitute question 2's reference
# (reference.use, entered more than once by them): it must cost points in question 2 only.
# hopfield-unlearning: the tolerance dropped from the stability check, so a tie that rounding puts a
# hair below zero counts as a flip; caught by a public test of question 2.
SLIPS_Q2 = {"hopfield-unlearning": ("return np.all(xi * (xi @ np.asarray(W)) >= -1e-9, axis=1)",
                                    "return np.all(xi * (xi @ np.asarray(W)) >= 0, axis=1)")}
SLIP_Q2_CAUGHT_BY = {"hopfield-unlearning": "test_q2_values"}
# A slip that changes almost every answer of one question: the public tests of later questions that check
# the notebook's own values fail with it, but the hidden tests named here, which call that question's
# reference, must pass (with the student's function they fail). {name: (question, old, new, hidden tests)}
SLIPS_WIDE = {
    # any unit instead of every unit in the stability check of question 2
    "hopfield-unlearning": ("q2", "return np.all(xi * (xi @ np.asarray(W)) >= -1e-9, axis=1)",
                            "return np.any(xi * (xi @ np.asarray(W)) >= -1e-9, axis=1)",
                            ("test_q3_hidden_with_reference", "test_q5_hidden_stopping_rule")),
    # the cosine of question 1 without its norms: cd_cosines of question 4 gets question 1's reference
    "cd-bars-and-stripes": ("q1", "return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))",
                            "return float(a @ b)", ("test_q4_hidden_with_reference",)),
    # the posterior of question 2 blind to v: every pattern gets the same code unless question 2's
    # reference stands in (clamped_statistics in question 3, count_codes in question 6)
    "boltzmann-encoder": ("q2", "np.broadcast_to(np.asarray(v, dtype=float), (len(H), bm.n_visible))",
                          "np.broadcast_to(np.zeros(bm.n_visible), (len(H), bm.n_visible))",
                          ("test_q3_hidden_values", "test_q6_hidden_with_reference")),
}


def _slipped(nb: dict, old: str, new: str) -> dict:
    nb = copy.deepcopy(nb)
    changed = 0
    for cell in nb["cells"]:
        source = assignments._source(cell)
        if old in source:
            cell["source"] = source.replace(old, new)
            changed += 1
    assert changed == 1, "the slip must change exactly one line"
    return nb


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
        if name in SLIPS:
            _write(_slipped(solved(student, solution, _answer_cells_by_question(student)), *SLIPS[name]),
                   folder / "slip.ipynb")
        if name in SLIPS_Q2:
            _write(_slipped(solved(student, solution, _answer_cells_by_question(student)), *SLIPS_Q2[name]),
                   folder / "slip-q2.ipynb")
        if name in SLIPS_WIDE:
            _write(_slipped(solved(student, solution, _answer_cells_by_question(student)), *SLIPS_WIDE[name][1:3]),
                   folder / "slip-wide.ipynb")
        folders[name] = folder
    other = next(n for n in NAMES if n != BAD_BATCH)
    bad_folder = base / "bad"
    bad_csv = base / "bad-scores.csv"
    _hostile_submissions(bad_folder, generated[BAD_BATCH], generated[other], other, bad_csv)
    zip_path = assignments.autograder_zip(BAD_BATCH, generated[BAD_BATCH])
    zip_before = zip_path.read_bytes()

    def run_bad():
        code = grade.main([str(bad_folder), "--autograder", str(zip_path), "--out", str(bad_csv),
                           "--timeout", str(BAD_TIMEOUT), "--jobs", "2", "--logs", str(base / "logs")])
        assert code == 0
        text = bad_csv.read_text(encoding="utf-8")
        left = _left_behind(uids, time.time())
        time.sleep(2)  # a surviving daemon would rewrite the CSV by now
        with open(bad_csv, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return {"rows": rows, "text_at_exit": text, "text_later": bad_csv.read_text(encoding="utf-8"),
                "processes_left": left, "zip_unchanged": zip_path.read_bytes() == zip_before,
                "logs": base / "logs"}

    def run_normal(name):
        rows = grade.grade_submissions(folders[name], autograders[name], timeout=TIMEOUT, jobs=1)
        return name, {row["student"]: row for row in rows}

    with _recording_slots() as uids, concurrent.futures.ThreadPoolExecutor(max_workers=len(NAMES) + 1) as pool:
        bad = pool.submit(run_bad)  # first: its endless loop waits out the time limit
        normal = dict(pool.map(run_normal, NAMES))
        bad_result = bad.result()
    return {"normal": normal, "bad": bad_result["rows"], "hostile": bad_result, "autograders": autograders,
            "uids": uids, "ended": time.time()}


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


@pytest.mark.parametrize("name", sorted(SLIPS))
def test_one_slip_costs_one_question(graded, name):
    row = graded["normal"][name]["slip"]
    ag = graded["autograders"][name]
    slipped = SLIP_QUESTION.get(name, "q1")
    assert 0 < row["scores"][slipped] < ag.possible[slipped], row["notes"]
    assert {q: row["scores"][q] for q in ag.questions if q != slipped} == \
        {q: ag.possible[q] for q in ag.questions if q != slipped}, row["notes"]
    caught = SLIP_CAUGHT_BY.get(name, "test_q1_other_temperature")
    assert any(caught in note for note in row["notes"]), \
        "the slip is visible to the student: a public test fails"


@pytest.mark.parametrize("name", sorted(SLIPS_Q2))
def test_one_slip_in_question_2_costs_question_2_only(graded, name):
    row = graded["normal"][name]["slip-q2"]
    ag = graded["autograders"][name]
    assert 0 < row["scores"]["q2"] < ag.possible["q2"], row["notes"]
    assert {q: row["scores"][q] for q in ag.questions if q != "q2"} == \
        {q: ag.possible[q] for q in ag.questions if q != "q2"}, row["notes"]
    assert any(SLIP_Q2_CAUGHT_BY[name] in note for note in row["notes"]), \
        "the slip is visible to the student: a public test fails"


@pytest.mark.parametrize("name", sorted(SLIPS_WIDE))
def test_later_hidden_tests_use_the_reference_of_a_slipped_question(graded, name):
    row = graded["normal"][name]["slip-wide"]
    ag = graded["autograders"][name]
    slipped, _, _, hidden = SLIPS_WIDE[name]
    assert row["scores"][slipped] < ag.possible[slipped], row["notes"]
    earlier = ag.questions[:ag.questions.index(slipped)]
    assert {q: row["scores"][q] for q in earlier} == {q: ag.possible[q] for q in earlier}, row["notes"]
    failed = " ".join(row["notes"])
    for test in hidden:
        question = re.match(r"test_(q\d+)_", test).group(1)
        assert int(question[1:]) > int(slipped[1:]) and f"def {test}(" in ag.tests[question], test
        assert test not in failed, (test, row["notes"])
        assert f"hidden test_{question}" not in failed, row["notes"]


@pytest.mark.parametrize("name", NAMES)
def test_public_tests_check_values_at_another_temperature(generated, name):
    """At least one public test per assignment makes a model with T != 1 (or the notebook's own T);
    an assignment without a temperature has a slip proof whose public test plays that part."""
    student = _read(assignments.student_notebook(name, generated[name]))
    public = "\n".join(student["metadata"]["otter"]["tests"].values())
    assert name in AT_ANOTHER_TEMPERATURE or name in SLIP_CAUGHT_BY, \
        f"{name}: neither a public test at T != 1 nor a slip proof whose public test plays its part"
    if name in AT_ANOTHER_TEMPERATURE:
        assert re.search(r"T=(?!1\.0\b|1\b)\d", public) or "T = " in public
    if name in SLIP_CAUGHT_BY:
        assert name in SLIPS and f"def {SLIP_CAUGHT_BY[name]}(" in public


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


HOSTILE = {"bigfile", "bom", "copycat", "daemon", "deepcells", "badcells", "exiter", "flood", "forger",
           "forkbomb", "forker", "hog", "liar", "monkey", "nested", "spy", "thief", "utf16", "vandal",
           "victim", "zz-blank", "=HYPERLINK(1)"}
BROKEN = {"deleted", "erin", "exception", "frank", "loop", "mallory", "notjson", "syntax", "wrong", "zoe"}


def test_bad_batch_csv_layout(graded):
    ag = graded["autograders"][BAD_BATCH]
    assert list(graded["bad"][0]) == ["student", *ag.questions, "total", "possible", "reason"]
    students = {row["student"] for row in graded["bad"]}
    assert students == BROKEN | (HOSTILE - {"=HYPERLINK(1)"}) | {"'=HYPERLINK(1)"}
    assert all(float(row["possible"]) == sum(ag.possible.values()) for row in graded["bad"])


def test_every_row_below_full_marks_has_a_reason(bad):
    rows, ag = bad
    for student, row in rows.items():
        if row["total"] < sum(ag.possible.values()):
            assert row["reason"], student


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
    assert row["scores"]["q1"] == ag.possible["q1"] == row["total"]
    assert "RuntimeError: a bug of mine" in row["reason"]


def test_endless_loop_is_stopped(bad):
    rows, _ = bad
    assert rows["loop"]["total"] == 0
    assert "time limit" in rows["loop"]["reason"]


def test_deleted_cells(bad):
    rows, ag = bad
    row = rows["deleted"]
    assert row["scores"]["q6"] == 0, row["reason"]
    assert row["total"] == sum(ag.possible.values()) - ag.possible["q6"], row["reason"]
    assert "distributed cells were deleted" in row["reason"]


def test_doctored_tests_folder_is_ignored(bad):
    rows, _ = bad
    row = rows["erin"]
    assert row["total"] == 0
    assert "ignored the other files submitted (tests)" in row["reason"]
    assert "public tests embedded in the notebook were edited" in row["reason"]


def test_tests_overwritten_at_run_time(bad):
    """The tests never enter the sandbox: overwriting files there changes nothing."""
    rows, _ = bad
    row = rows["mallory"]
    assert row["total"] == 0
    assert "review by hand" in row["reason"]


def test_not_json(bad):
    rows, _ = bad
    assert rows["notjson"]["total"] == 0
    assert rows["notjson"]["reason"].startswith("not a valid notebook")


def test_notebook_of_another_assignment(bad):
    rows, _ = bad
    assert rows["wrong"]["total"] == 0
    assert "notebook of assignment" in rows["wrong"]["reason"]


def test_not_a_notebook(bad):
    rows, _ = bad
    assert rows["frank"]["total"] == 0 and "not a .ipynb notebook" in rows["frank"]["reason"]


# ---------------------------------------------------------------------------
# The hostile batch: each attack scores honestly and harms no other row
# ---------------------------------------------------------------------------
def test_reading_masters_solutions_and_tests_from_disk_gains_nothing(bad):
    rows, _ = bad
    assert rows["thief"]["total"] == 0, rows["thief"]["reason"]


def test_copying_classmates_at_grading_time_gains_nothing(bad):
    rows, _ = bad
    assert rows["copycat"]["total"] == 0, rows["copycat"]["reason"]


def test_vandal_harms_nobody(bad):
    """Overwriting classmates' notebooks and killing every visible process (two jobs at once)."""
    rows, ag = bad
    assert rows["vandal"]["total"] == 0
    for victim in ("victim", "zoe"):
        assert rows[victim]["total"] == sum(ag.possible.values()), rows[victim]["reason"]
        assert rows[victim]["reason"] == ""


def test_no_process_outlives_grading_and_the_csv_stays(graded):
    hostile = graded["hostile"]
    assert hostile["processes_left"] == []
    assert hostile["text_later"] == hostile["text_at_exit"]
    assert "forged" not in hostile["text_later"]
    assert graded["uids"] and _left_behind(graded["uids"], graded["ended"]) == []


def test_forged_result_files_and_autograder_change_nothing(bad, graded):
    rows, _ = bad
    assert rows["forger"]["total"] == 0
    assert graded["hostile"]["zip_unchanged"]
    assert rows["zz-blank"]["total"] == 0, "a blank graded after the forger still scores 0"


def test_monkeypatching_the_kernel_gains_nothing(bad):
    rows, _ = bad
    assert rows["monkey"]["total"] == 0, rows["monkey"]["reason"]


def test_forked_processes_are_gone_and_do_not_change_the_score(bad):
    rows, ag = bad
    assert rows["forker"]["total"] == ag.possible["q1"], rows["forker"]["reason"]
    assert rows["forkbomb"]["total"] == 0


def test_memory_output_and_file_size_are_limited(bad, graded):
    rows, ag = bad
    full = ag.possible["q1"]  # these solve question 1 only
    assert rows["hog"]["total"] == full and "MemoryError" in rows["hog"]["reason"], rows["hog"]
    assert rows["flood"]["total"] == full and "output was discarded" in rows["flood"]["reason"], rows["flood"]
    log = (graded["hostile"]["logs"] / "flood.log").stat().st_size
    assert log <= sandbox.Limits().output_bytes
    assert rows["bigfile"]["total"] == full and "cell(s) raised errors" in rows["bigfile"]["reason"], rows["bigfile"]


def test_lying_on_the_pipe_gains_nothing(bad):
    rows, _ = bad
    assert rows["liar"]["total"] == 0, rows["liar"]["reason"]


def test_a_process_that_exits_scores_zero_with_a_reason(bad):
    rows, _ = bad
    assert rows["exiter"]["total"] == 0 and "process ended, exit code 3" in rows["exiter"]["reason"]


def test_spy_sees_no_secret_no_network_no_root(bad, graded):
    rows, _ = bad
    assert rows["spy"]["total"] == 0
    log = (graded["hostile"]["logs"] / "spy.log").read_text()
    assert "spy {" in log
    assert "connected" not in log and "'setuid': 'root'" not in log
    assert "'/etc/shadow': 'FileNotFoundError'" in log or "'/etc/shadow': 'PermissionError'" in log


def test_bom_and_utf16_notebooks_are_read(bad):
    rows, ag = bad
    for student in ("bom", "utf16"):
        assert rows[student]["scores"]["q1"] == ag.possible["q1"] == rows[student]["total"], rows[student]["reason"]


def test_hostile_json_gets_a_row_with_a_reason(bad):
    rows, _ = bad
    for student in ("nested", "deepcells", "badcells"):
        assert rows[student]["total"] == 0
        assert rows[student]["reason"].startswith("not a valid notebook"), rows[student]["reason"]
    assert "nested" in rows["nested"]["reason"]


def test_formula_in_a_student_name_is_escaped(bad):
    rows, _ = bad
    assert "'=HYPERLINK(1)" in rows and "=HYPERLINK(1)" not in rows


def test_csv_cells_are_escaped():
    assert [grade.csv_cell(t) for t in ("=1+1", "+1", "-1", "@SUM(A1)", "ok", "a=b")] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "ok", "a=b"]


# ---------------------------------------------------------------------------
# The grader's own side: what a reply may make it build, import or compute
# ---------------------------------------------------------------------------
# The harness's encoder replaced, so every reply names a class that is not dreambook's but is
# reachable through a dreambook module's ``np`` (numpy's DataSource deletes its _destpath when
# collected). "grading" + "_wire" dodges the review-by-hand pattern.
_HOSTILE_DECODER = '''
import sys
wire = sys.modules["grading" + "_wire"]
def doom(path):
    return {{"$obj": "dreambook.exact:np.lib.npyio.DataSource",
            "state": {{"$dict": [["_destpath", path], ["_istmpdest", True]]}}}}
wire.encode = lambda *a, **k: {{"$list": [doom({canary!r}), doom({folder!r})]}}
'''
# Every reply names a module whose import raises SystemExit.
_EXITING_DECODER = '''
import sys
sys.modules["grading" + "_wire"].encode = lambda *a, **k: {"$module": "numpy.f2py.__main__"}
'''
# Question 3 calls question 1's reference (run by the grader) with options of its own choosing
# (which made the grader enumerate 2**22 states for it, outside every limit and the deadline),
# a model far too large to enumerate and an object of its own; then answers honestly.
_HUGE_KWARGS = '''
honest_negative_statistics = negative_statistics

def negative_statistics(model):
    from dreambook.models import FullyVisibleBM
    big = FullyVisibleBM.random(22, rng=0)  # 4 million states: minutes of the grader's time, asked 3 times
    for label, attempt in [("kwargs", lambda: boltzmann_probabilities(big, max_units=10**6)),
                           ("positional", lambda: boltzmann_probabilities(model, 10**6)),
                           ("huge", lambda: boltzmann_probabilities(FullyVisibleBM.random(40, rng=0))),
                           ("handle", lambda: boltzmann_probabilities(object()))]:
        try:
            attempt()
            print("callback accepted", label)
        except Exception as err:
            print("callback refused", label, err)
    return honest_negative_statistics(model)
'''
# Processes that each stay under the per-process address-space limit but together hold more
# than a sandbox may.
_SWARM = '''
import os, time
for _ in range(5):
    if os.fork() == 0:
        block = b"x" * (800 * 2**20)
        time.sleep(60)
        os._exit(0)
time.sleep(60)
'''
GRADER_SIDE = {"honest", "hostile-decoder", "exiting-decoder", "huge-kwargs", "linked", "linkdir", "swarm"}


@pytest.fixture(scope="session")
def grader_side(dist_of, tmp_path_factory):
    """A batch of attacks on the grader's own process, with an honest classmate, graded by ``grade.main``."""
    import psutil

    dist = dist_of(BAD_BATCH)
    base = tmp_path_factory.mktemp("grader-side")
    folder, canary = base / "subs", base / "canary"
    canary.mkdir()
    (canary / "keep.txt").write_text("the grader's files")
    student = _read(assignments.student_notebook(BAD_BATCH, dist))
    solution = _read(assignments.solution_notebook(BAD_BATCH, dist))
    owners = _answer_cells_by_question(student)
    full = solved(student, solution, owners)
    _write(full, folder / "honest.ipynb")
    _write(_payload_cell(full, _HOSTILE_DECODER.format(canary=str(canary), folder=str(folder)), "mine-1",
                         after=len(full["cells"]) - 2), folder / "hostile-decoder.ipynb")
    _write(_payload_cell(full, _EXITING_DECODER, "mine-2", after=len(full["cells"]) - 2),
           folder / "exiting-decoder.ipynb")
    _write(_insert_after(full, owners["q3"][-1], _new_code_cell(_HUGE_KWARGS, "mine-3")),
           folder / "huge-kwargs.ipynb")
    _write(_payload_cell(full, _SWARM, "mine-4"), folder / "swarm.ipynb")
    (folder / "linked.ipynb").symlink_to(assignments.solution_notebook(BAD_BATCH, dist))
    (folder / "linkdir").mkdir()
    (folder / "linkdir" / f"{BAD_BATCH}.ipynb").symlink_to(folder / "honest.ipynb")
    out = base / "scores.csv"
    zip_path = assignments.autograder_zip(BAD_BATCH, dist)
    with _recording_slots() as uids:  # the sandbox uids of this batch
        code = grade.main([str(folder), "--autograder", str(zip_path), "--out", str(out),
                           "--timeout", str(BAD_TIMEOUT), "--jobs", "2", "--logs", str(base / "logs")])
    left = _left_behind(uids, time.time())
    with open(out, newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return {"code": code, "rows": rows, "canary": canary, "folder": folder, "logs": base / "logs",
            "possible": sum(grade.load_autograder(zip_path=zip_path).possible.values()), "uids": uids,
            "sandbox_left": left, "children_left": psutil.Process().children(recursive=True)}


def test_grader_side_batch_completes_and_harms_nobody(grader_side):
    assert grader_side["code"] == 0
    assert set(grader_side["rows"]) == GRADER_SIDE
    honest = grader_side["rows"]["honest"]
    assert float(honest["total"]) == grader_side["possible"] and honest["reason"] == "", honest
    assert grader_side["uids"] and grader_side["sandbox_left"] == [] and grader_side["children_left"] == []
    assert not any("outlived" in row["reason"] for row in grader_side["rows"].values())
    assert (grader_side["canary"] / "keep.txt").is_file() and (grader_side["folder"] / "honest.ipynb").is_file()


def test_a_reply_cannot_rebuild_a_class_outside_dreambook(grader_side):
    row = grader_side["rows"]["hostile-decoder"]
    assert float(row["total"]) == 0 and row["reason"].startswith("tests failed"), row
    assert (grader_side["canary"] / "keep.txt").read_text() == "the grader's files"


def test_a_reply_cannot_make_the_grader_import_a_module(grader_side):
    row = grader_side["rows"]["exiting-decoder"]
    assert float(row["total"]) == 0 and row["reason"], row
    assert "numpy.f2py.__main__" not in sys.modules


def test_reference_callbacks_take_no_options_from_the_submission(grader_side):
    """The student's q3 asked question 1's reference for max_units=10**6, a 40-unit model and an object
    of its own: each refused in the grader's worker, the honest rest of the answer scored in full."""
    row = grader_side["rows"]["huge-kwargs"]
    assert float(row["total"]) == grader_side["possible"], row
    log = (grader_side["logs"] / "huge-kwargs.log").read_text()
    assert "callback accepted" not in log, log
    for label, why in [("kwargs", "TypeError"), ("positional", "TypeError"), ("huge", "ValueError"),
                       ("handle", "WireError")]:
        assert f"callback refused {label} the reference boltzmann_probabilities raised {why}" in log, log


def test_symlinked_submissions_are_refused(grader_side):
    for student in ("linked", "linkdir"):
        row = grader_side["rows"][student]
        assert float(row["total"]) == 0 and "symbolic link" in row["reason"] and "not graded" in row["reason"], row


def test_processes_together_are_held_to_the_sandbox_memory(grader_side):
    row = grader_side["rows"]["swarm"]
    assert float(row["total"]) == 0 and "of memory together" in row["reason"], row


def test_reference_worker_is_bounded():
    """The worker that runs references for a submission: options refused, memory and time bounded."""
    import psutil

    def remaining_for(seconds):
        deadline = time.monotonic() + seconds

        def remaining():
            left = deadline - time.monotonic()
            if left <= 0:
                raise grade.SandboxGone("time limit")
            return left
        return remaining

    import numpy as np

    def fill(n):
        return np.zeros(n)

    def call(name, *args, **kwargs):
        return {"callback": name, "args": grade.wire.encode(list(args)), "kwargs": grade.wire.encode(kwargs)}

    worker = grade.ReferenceWorker({"fill": fill, "sleep": time.sleep}, 2**30)
    try:
        assert worker.call(call("fill", 10), remaining_for(30)) == {
            "ok": grade.wire.encode(np.zeros(10)), "args": {"$list": [10]}, "kwargs": {"$dict": []}}
        assert worker.call(call("fill", 10, extra=1), remaining_for(30)) == {"raised": "TypeError"}
        assert worker.call(call("fill", 2**28), remaining_for(30)) == {"raised": "MemoryError"}  # 2 GiB
        pid = worker.pid
        with pytest.raises(grade.SandboxGone):
            worker.call(call("sleep", 100), remaining_for(1))
        assert worker.pid is None and not psutil.pid_exists(pid)
    finally:
        worker.close()


# ---------------------------------------------------------------------------
# The sandbox itself
# ---------------------------------------------------------------------------
def _run_in_sandbox(code: str, *extra) -> subprocess.CompletedProcess:
    read_fd, write_fd = os.pipe()
    try:
        slot = sandbox.Slot()
        try:
            cmd = sandbox.command(slot.number, read_fd, write_fd, sandbox.Limits())
            cmd = cmd[:len(cmd) - 3] + ["-c", code, *extra]
            return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                                  pass_fds=(read_fd, write_fd),
                                  preexec_fn=sandbox.set_limits(sandbox.Limits()))
        finally:
            slot.release()
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_sandbox_is_available():
    """CI installs bubblewrap: the grader must not silently fall back to running unsandboxed."""
    sandbox.check()


def test_sandbox_drops_privileges(tmp_path):
    secret = tmp_path / "root-only.txt"
    secret.write_text("secret")
    secret.chmod(0o600)
    probe = """
import os, sys
status = open("/proc/self/status").read()
print("uid", os.getuid(), os.getgid(), os.getgroups())
print("caps", [l.split()[1] for l in status.splitlines() if l.startswith("CapEff")])
print("nnp", [l.split()[1] for l in status.splitlines() if l.startswith("NoNewPrivs")])
for path in [sys.argv[1], "/proc/1/environ", "/etc/shadow"]:
    try:
        open(path).read(); print("read", path)
    except OSError as err:
        print("cannot read", path, type(err).__name__)
for path in ["/usr/x", sys.prefix + "/x", "/opt/grader/x", "/home/student/x", "/tmp/x"]:
    try:
        open(path, "w").write("x"); print("wrote", path)
    except OSError as err:
        print("cannot write", path, type(err).__name__)
try:
    os.setuid(0); print("became root")
except OSError:
    print("stays unprivileged")
import socket
try:
    socket.create_connection(("127.0.0.1", 1), timeout=1)
except OSError as err:
    print("no network", type(err).__name__)
print("pids", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
"""
    result = _run_in_sandbox(probe, str(secret))
    out = result.stdout
    assert result.returncode == 0, result.stderr
    uid = int(out.split()[1])
    assert uid >= sandbox.UID_BASE and "uid %d %d []" % (uid, uid) in out
    assert "caps ['0000000000000000']" in out and "nnp ['1']" in out
    assert "read " not in out.replace("cannot read", "")
    assert "wrote /home/student/x" in out and "wrote /tmp/x" in out
    assert out.count("wrote") == 2, out
    assert "stays unprivileged" in out and "no network" in out
    pids = eval(out.split("pids", 1)[1])  # noqa: S307 - our own probe's output
    assert len(pids) <= 3, "its own PID namespace: only bubblewrap's init, the probe (and its shell)"


def test_grader_fails_closed_without_bubblewrap(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap, no setpriv
    with pytest.raises(sandbox.SandboxError, match="--unsafe-no-sandbox"):
        sandbox.check()
    (tmp_path / "subs").mkdir()
    assert grade.main([str(tmp_path / "subs"), "--autograder", "x.zip", "--out", str(tmp_path / "o.csv")]) == 2
    assert not (tmp_path / "o.csv").exists()


def test_changed_autograder_stops_grading(tmp_path, generated):
    import shutil

    zip_path = tmp_path / "ag.zip"
    shutil.copy(assignments.autograder_zip(BAD_BATCH, generated[BAD_BATCH]), zip_path)
    ag = grade.load_autograder(zip_path=zip_path)
    zip_path.write_bytes(zip_path.read_bytes() + b"x")
    with pytest.raises(RuntimeError, match="changed on disk"):
        grade.verify_autograder(ag)
    stored = zip_path.with_name(zip_path.name + ".sha256")
    stored.write_text("0" * 64 + "  ag.zip\n")
    with pytest.raises(RuntimeError, match="stored hash"):
        grade.load_autograder(zip_path=zip_path)


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
    all_secrets = {name: assignments.read_secrets(assignments.master_path(name)) for name in NAMES}
    given = set().union(*(secrets.given_lines for secrets in all_secrets.values()))
    for name, secrets in all_secrets.items():
        # a line one assignment gives openly (``v = np.asarray(v, dtype=float)``) reveals no other's solution
        secrets.solution_lines -= given
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


# ---------------------------------------------------------------------------
# pcd-and-ais: how often its statistical tests fail a correct submission (instructor guide)
# ---------------------------------------------------------------------------
def test_pcd_and_ais_statistical_tests_rarely_fail_a_correct_submission():
    """Question 2's public test (mean of 4000 one-sample Z-hats within 4 estimated standard errors),
    simulated for 4000 correct notebooks that draw other random numbers: about 1e-4 fail, so more
    than 4 failures here (expected 0.4) would contradict the instructor guide."""
    import numpy as np
    from dreambook import exact
    from dreambook.models import RBM
    rbm = RBM.random(6, 3, rng=5, scale=1.0)
    w = 2.0 ** 6 * np.exp(rbm.unnormalized_log_prob(exact.all_states(6)))
    rng = np.random.default_rng(2026)
    failures = 0
    for _ in range(8):
        x = w[rng.integers(0, 64, size=(500, 4000))]
        failures += int(np.sum(np.abs(x.mean(axis=1) - w.mean()) >= 4 * x.std(axis=1) / np.sqrt(4000)))
    assert failures <= 4


def test_reference_block_can_be_entered_again():
    """``given = reference.use(...)`` is entered more than once by some hidden tests (in a loop, or two
    ``with given:``), as the ``contextlib.nullcontext()`` it stands for under Otter can be."""
    class FakeSession:
        substitutes = {"earlier": abs}

    session = FakeSession()
    given = grade.Reference(session).use(stable_patterns=len)
    for _ in range(3):
        with given:
            assert session.substitutes == {"earlier": abs, "stable_patterns": len}
        assert session.substitutes == {"earlier": abs}
    with given:
        with given:
            pass
        assert session.substitutes["stable_patterns"] is len
    assert session.substitutes == {"earlier": abs}



def test_a_zombie_is_not_a_process_left_behind():
    """The grader's clean-up kills and reports what still runs as the sandbox's uid, and not a
    zombie (exited, waiting to be reaped): otherwise an honest harness seen between its death and
    its reaping is reported as a process that outlived the sandbox."""
    import psutil

    if os.geteuid() != 0:
        pytest.skip("running a process as another uid needs root")
    uid = sandbox.UID_BASE + sandbox.SLOTS + 17  # no grading slot uses it
    as_uid = {"user": uid, "group": uid, "extra_groups": []}
    zombie = subprocess.Popen(["true"], **as_uid)  # exits at once; not reaped until zombie.wait()
    sleeper = subprocess.Popen(["sleep", "60"], **as_uid)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                states = psutil.Process(zombie.pid).status(), psutil.Process(sleeper.pid).status()
            except psutil.Error as err:
                states = repr(err)
            if states[0] == psutil.STATUS_ZOMBIE:
                break
            time.sleep(0.05)
        assert states[0] == psutil.STATUS_ZOMBIE and states[1] != psutil.STATUS_ZOMBIE, states
        left = grade._kill_uid(uid, grace=0.5)
        assert left == [sleeper.pid], (left, zombie.pid, sleeper.pid)
        assert sleeper.wait(timeout=10) == -9
        assert _sandbox_processes({uid}) == []
    finally:
        for child in (zombie, sleeper):
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            child.wait()
