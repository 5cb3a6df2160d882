"""Grade a folder of submitted notebooks into one CSV, each submission in an OS sandbox.

    python tools/grade.py SUBMISSIONS_DIR --assignment NAME --out scores.csv
    python tools/grade.py SUBMISSIONS_DIR --assignment NAME --out scores.csv --timeout 300 --jobs 2

SUBMISSIONS_DIR holds one entry per student: ``STUDENT.ipynb``, or a folder
``STUDENT/`` containing exactly one ``.ipynb`` (anything else in the folder,
such as a ``tests/`` folder, is ignored, and the reason column says so).

How a submission is graded:

1. The grader reads the notebook itself (UTF-8 with or without a byte-order
   mark, or UTF-16), refuses what is not a notebook (malformed, hostile or
   deeply nested JSON, oversized files) with a reason, and never crashes on it.
2. The code cells run in a bubblewrap sandbox (``tools/sandbox.py``): an
   unprivileged uid, its own PID/IPC/network namespaces, a private ``/tmp``,
   read-only access to only the Python environment and ``dreambook``, limits
   on memory, CPU time, processes, open files and file size. The sandbox never
   sees the repository, the masters, the tests, other submissions or the CSV.
3. The tests of the assignment's autograder zip (otter-grader 7.0.0 format,
   hash-checked before every submission) run HERE, in the grader's process:
   each name a test asks for is fetched from the sandbox as plain data, and a
   call of a student function sends its inputs into the sandbox and brings
   the outputs back as plain data (``tools/grading_wire.py``). Nothing the
   student code writes - files, pickles, patched modules - can decide a score.
4. The sandbox and every process it started are killed at the end, or at the
   ``--timeout`` (then the submission scores 0).

The CSV (written atomically, cells starting with ``= + - @`` escaped) has one
row per student: one column per question, the total, the points possible and
a ``reason``, which is never empty when the score is below full marks.

Without bubblewrap the grader refuses to run; ``--unsafe-no-sandbox`` runs
submissions without any isolation (only for a throwaway machine or container).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import assignments  # noqa: E402
import grading_wire as wire  # noqa: E402
import sandbox  # noqa: E402
from sandbox import SandboxError  # noqa: E402,F401 - part of this module's interface

DEFAULT_TIMEOUT = 120.0
MAX_ERRORS_LISTED = 3
MAX_NOTEBOOK_BYTES = 16 * 2**20
MAX_JSON_DEPTH = 64
MAX_REQUESTS = 50_000  # calls, reads and attribute reads per submission
# Code in a submission that has no business touching the grader's files or objects.
_SUSPICIOUS = re.compile(
    r"(?<![\w.])tests?/|Checker|GradingResults|results\.pkl|otter\.(?!Notebook\b)|__import__\(\s*['\"]otter"
    r"|sys\.modules\[\s*['\"]otter|import\s+otter|from\s+otter\b|/proc/|grading_wire|grade_harness")


@dataclass
class Submission:
    """One student's entry of the submissions folder."""

    student: str
    notebook: Path | None
    notes: list = field(default_factory=list)


@dataclass
class Autograder:
    """An assignment's autograder zip (its tests held in memory), questions and points."""

    name: str
    zip: Path
    template: Path | None
    questions: list
    possible: dict
    tests: dict = field(default_factory=dict)  # question -> test file source
    sha256: str = ""


class NotebookError(ValueError):
    """A submitted file that is not a readable notebook; the message is the reason."""


class AutograderChanged(RuntimeError):
    """The autograder zip on disk is not the one loaded: the whole batch stops (fail closed)."""


def _natural_key(text: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _links_in(entry: Path) -> list[str]:
    """The symbolic links inside the submitted folder ``entry`` (not followed), relative to it."""
    links = []
    for root, dirs, files in os.walk(entry, followlinks=False):
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink():
                links.append(path.relative_to(entry).as_posix())
    return sorted(links)


def _refused_link(entry: Path, folder: Path) -> str | None:
    """Why ``entry`` is not graded if it is, holds or resolves through a symbolic link; else None.

    A link could make the grader read the solution notebook or a classmate's
    file as this student's submission (archives unpacked by hand keep links).
    """
    if entry.is_symlink():
        return (f"{entry.name} is a symbolic link (to {os.readlink(entry)}); not graded: submit the "
                "notebook itself")
    if folder.resolve() not in entry.resolve().parents:
        return f"{entry.name} resolves outside the submissions folder; not graded"
    if entry.is_dir():
        links = _links_in(entry)
        if links:
            return (f"the folder holds symbolic link(s) ({', '.join(links[:3])}"
                    + (", ..." if len(links) > 3 else "") + "); not graded: submit the notebook itself")
    return None


def collect(folder: Path) -> list[Submission]:
    """The submissions in ``folder``, sorted by student.

    Symbolic links are never followed: an entry that is one, or a folder that
    holds one, gets a row with the reason and is not graded.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"SUBMISSIONS_DIR must be a folder, got {folder}")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda p: _natural_key(p.name)):
        if entry.name.startswith("."):
            continue
        student = entry.stem if entry.suffix == ".ipynb" else entry.name
        try:
            refused = _refused_link(entry, folder)
            if refused:
                found.append(Submission(student, None, [refused]))
                continue
            found.append(_collect_entry(entry))
        except OSError as err:
            found.append(Submission(student, None, [f"cannot read {entry.name} ({err.strerror}); not graded"]))
    return found


def _collect_entry(entry: Path) -> Submission:
    """One entry of the submissions folder (no symbolic link in it: see :func:`_refused_link`)."""
    if entry.is_file():
        if entry.suffix == ".ipynb":
            return Submission(entry.stem, entry)
        return Submission(entry.stem, None, [f"{entry.name} is not a .ipynb notebook; not graded"])
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
    return sub


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_autograder(name: str | None = None, zip_path: Path | None = None,
                    template: Path | None = None) -> Autograder:
    """Find (generating it if needed) the autograder of assignment ``name``, or use ``zip_path``.

    If ``ZIP.sha256`` exists beside the zip (``tools/assignments.py`` writes it),
    the zip must match it.
    """
    if zip_path is None:
        if name is None:
            raise ValueError("give --assignment NAME or --autograder ZIP")
        assignments.generate(name)
        zip_path = assignments.autograder_zip(name)
        template = template or assignments.student_notebook(name)
    zip_path = Path(zip_path)
    raw = zip_path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    stored = zip_path.with_name(zip_path.name + ".sha256")
    if stored.is_file() and stored.read_text().split()[0] != digest:
        raise RuntimeError(f"{zip_path} does not match its stored hash {stored}: the autograder "
                           "was changed after it was generated; regenerate it")
    import io

    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        config = json.loads(archive.read("otter_config.json")) if "otter_config.json" in archive.namelist() else {}
        tests = {Path(n).stem: archive.read(n).decode() for n in archive.namelist()
                 if n.startswith("tests/") and n.endswith(".py")}
    if not tests:
        raise ValueError(f"{zip_path} holds no tests/*.py: is it an Otter autograder zip?")
    possible = {q: float(_test_file(q, text).possible) for q, text in tests.items()}
    if template is None:
        guess = zip_path.parent.parent / "student" / f"{config.get('assignment_name', '')}.ipynb"
        template = guess if guess.is_file() else None
    return Autograder(name=config.get("assignment_name") or name or zip_path.stem, zip=zip_path,
                      template=Path(template) if template else None,
                      questions=sorted(possible, key=_natural_key), possible=possible,
                      tests=tests, sha256=digest)


def _test_file(question: str, source: str):
    from otter.test_files.exception_test import ExceptionTestFile

    return ExceptionTestFile.from_string(source, path=f"tests/{question}.py")


def verify_autograder(ag: Autograder) -> None:
    """Stop (fail closed) if the autograder zip on disk is not the one loaded."""
    try:
        ok = _sha256(ag.zip) == ag.sha256
    except OSError:
        ok = False
    if not ok:
        raise AutograderChanged(f"the autograder {ag.zip} changed on disk during grading "
                           f"(expected sha256 {ag.sha256[:12]}...); grading stopped")


# ---------------------------------------------------------------------------
# Reading a submitted notebook (in the grader: no student code runs here)
# ---------------------------------------------------------------------------
def _json_depth(text: str) -> int:
    """The deepest nesting of brackets outside strings (no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def decode_notebook_bytes(raw: bytes) -> str:
    """The text of a notebook file: UTF-8 (with or without BOM) or UTF-16/32 with a BOM."""
    import codecs

    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(encoding)
    if len(raw) >= 2 and raw[0] == 0 and raw[1] != 0:
        return raw.decode("utf-16-be")
    if len(raw) >= 2 and raw[1] == 0 and raw[0] != 0:
        return raw.decode("utf-16-le")
    return raw.decode("utf-8")


def _read_regular_file(path: Path) -> bytes:
    """The bytes of the regular file ``path``, opened without following a symbolic link."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotebookError("it is not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(f"the file is {info.st_size / 2**20:.0f} MB, more than the "
                                f"{MAX_NOTEBOOK_BYTES // 2**20} MB a notebook may have")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_NOTEBOOK_BYTES + 1)
        if len(data) > MAX_NOTEBOOK_BYTES:
            raise NotebookError(f"the file is larger than the {MAX_NOTEBOOK_BYTES // 2**20} MB a "
                                "notebook may have")
        return data
    finally:
        os.close(fd)


def read_notebook(path: Path) -> dict:
    """The submitted notebook as a dict; :class:`NotebookError` (the reason) if it is not one."""
    try:
        text = decode_notebook_bytes(_read_regular_file(path))
    except UnicodeDecodeError as err:
        raise NotebookError(f"not a text file in UTF-8 or UTF-16 ({err.reason})") from None
    except OSError as err:
        raise NotebookError(f"cannot read the file ({err.strerror})") from None
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise NotebookError(f"its JSON is nested {depth} levels deep (a notebook needs fewer "
                            f"than {MAX_JSON_DEPTH})")
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise NotebookError(f"not valid JSON ({type(err).__name__}: {str(err)[:120]})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError("it has no list of cells")
    for position, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"cell {position} is not a notebook cell")
        source = cell.get("source", "")
        if not (isinstance(source, str) or (isinstance(source, list)
                                            and all(isinstance(line, str) for line in source))):
            raise NotebookError(f"the source of cell {position} is not text")
        if "id" in cell and not isinstance(cell["id"], str):
            raise NotebookError(f"the id of cell {position} is not text")
    if not isinstance(nb.get("metadata", {}), dict):
        raise NotebookError("its metadata is not a JSON object")
    try:
        import nbformat

        nbformat.reads(json.dumps(nb), as_version=4)
    except Exception as err:  # noqa: BLE001 - any failure to read is the student's file's fault
        raise NotebookError(f"not a valid notebook ({type(err).__name__}: "
                            f"{' '.join(str(err).split())[:120]})") from None
    return nb


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


# ---------------------------------------------------------------------------
# The sandboxed session: the only channel to the student code
# ---------------------------------------------------------------------------
class SandboxGone(RuntimeError):
    """The submission's process ended, broke the protocol or ran out of time."""


class Session:
    """One submission running in its sandbox, and the pipes to talk to it."""

    def __init__(self, slot: int, timeout: float, limits: sandbox.Limits, unsafe: bool = False):
        import selectors
        import threading
        import time

        self.deadline = time.monotonic() + timeout
        self.timed_out = False
        self.broken = ""
        self.requests = 0
        self._worker = None
        self.substitutes = {}
        self.limits = limits
        self.slot = slot
        req_read, self._req_write = os.pipe()
        self._rep_read, rep_write = os.pipe()
        out_read, out_write = os.pipe()
        if unsafe:
            cmd = sandbox.unsandboxed_command(req_read, rep_write)
        else:
            cmd = sandbox.command(slot, req_read, rep_write, limits)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        if unsafe:
            env.update({k: v for k, v in os.environ.items() if k.startswith(("PATH", "PYTHON", "VIRTUAL"))},
                       HOME=tempfile.mkdtemp(prefix="dreambook-unsafe-"), MPLBACKEND="Agg",
                       OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out_write, stderr=out_write,
                                     pass_fds=(req_read, rep_write), env=env, start_new_session=True,
                                     preexec_fn=sandbox.set_limits(limits),
                                     cwd=env.get("HOME", "/"))
        for fd in (req_read, rep_write, out_write):
            os.close(fd)
        self._buffer = b""
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._rep_read, selectors.EVENT_READ)
        self.output = bytearray()
        self.output_dropped = 0

        def drain():
            while True:
                try:
                    chunk = os.read(out_read, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                room = limits.output_bytes - len(self.output)
                self.output += chunk[:max(room, 0)]
                self.output_dropped += max(len(chunk) - max(room, 0), 0)
            os.close(out_read)

        self._drainer = threading.Thread(target=drain, daemon=True)
        self._drainer.start()
        self._time = time
        self.memory_exceeded = 0
        self._watcher = threading.Thread(target=self._watch_memory, daemon=True)
        self._watcher.start()

    def _watch_memory(self, every: float = 0.2) -> None:
        """Kill the sandbox when its processes together hold more than ``limits.sandbox_memory_bytes``.

        RLIMIT_AS bounds each process; this bounds their sum (polled, so a fast
        allocation can overshoot it for one interval). Resident pages shared by
        forked processes count once per process.
        """
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
        except psutil.Error:
            return
        while self.proc.poll() is None:
            total = 0
            try:
                for child in root.children(recursive=True):
                    try:
                        total += child.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            if total > self.limits.sandbox_memory_bytes:
                self.memory_exceeded = total
                self.broken = (f"its processes held {total / 2**30:.1f} GiB of memory together, more than "
                               f"the {self.limits.sandbox_memory_bytes / 2**30:g} GiB a sandbox may; it was killed")
                if self.proc.poll() is None:  # not yet reaped: its pid is still its own
                    try:
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                return
            self._time.sleep(every)

    # -- the pipes ---------------------------------------------------------
    def _remaining(self) -> float:
        left = self.deadline - self._time.monotonic()
        if left <= 0:
            self.timed_out = True
            raise SandboxGone("time limit")
        return left

    def send(self, message: dict) -> None:
        if self.broken:
            raise SandboxGone(self.broken)
        import select

        data = wire.dumps(message)
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [self._req_write], [], self._remaining())
            if not ready:
                continue
            try:
                written = os.write(self._req_write, view[:65536])
            except (BrokenPipeError, OSError):
                self.broken = self.broken or "the submission's process ended"
                raise SandboxGone(self.broken) from None
            view = view[written:]

    def receive(self) -> dict:
        if self.broken:
            raise SandboxGone(self.broken)
        while b"\n" not in self._buffer:
            events = self._selector.select(self._remaining())
            if not events:
                continue
            chunk = os.read(self._rep_read, 1 << 20)
            if not chunk:
                self.broken = self.broken or "the submission's process ended"
                raise SandboxGone(self.broken)
            self._buffer += chunk
            if len(self._buffer) > wire.MAX_MESSAGE_BYTES:
                self.broken = "the submission sent a reply larger than the protocol allows"
                raise SandboxGone(self.broken)
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            return wire.loads(line)
        except wire.WireError as err:
            self.broken = f"the submission's process broke the protocol ({err})"
            raise SandboxGone(self.broken) from None

    def request(self, message: dict) -> dict:
        """Send one request; serve reference callbacks until the answer arrives."""
        self.requests += 1
        if self.requests > MAX_REQUESTS:
            self.broken = f"more than {MAX_REQUESTS} requests to the submission"
            raise SandboxGone(self.broken)
        self.send(message)
        while True:
            answer = self.receive()
            if "callback" not in answer:
                return answer
            name = answer["callback"]
            if not isinstance(name, str) or name not in self.substitutes:
                result = {"raised": "RuntimeError"}  # no reference of that name
            else:
                result = self._reference_worker().call(answer, self._remaining)
            self.send(result)

    # -- the references a hidden test substitutes (reference.use) -------------
    @property
    def substitutes(self) -> dict:
        return self._substitutes

    @substitutes.setter
    def substitutes(self, functions: dict) -> None:
        self._substitutes = dict(functions)
        self._close_worker()

    def _reference_worker(self) -> "ReferenceWorker":
        if self._worker is None:
            self._worker = ReferenceWorker(self._substitutes, self.limits.memory_bytes)
        return self._worker

    def _close_worker(self) -> None:
        worker, self._worker = getattr(self, "_worker", None), None
        if worker is not None:
            worker.close()

    # -- values --------------------------------------------------------------
    def handle(self, ref: int) -> "RemoteObject":
        return RemoteObject(self, ref)

    def value(self, answer: dict):
        if "raised" in answer:
            _raise_like(answer)
        if "ok" not in answer:
            raise SandboxGone("the submission's process sent a malformed reply")
        try:
            return wire.decode(answer["ok"], self.handle)
        except (wire.WireError, ValueError, TypeError, KeyError, AttributeError) as err:
            raise wire.WireError(f"the submission returned something that is not plain data ({err})") from None

    def start(self, nb: dict, name: str) -> list:
        """Send the notebook; wait until its cells ran; return the cell errors."""
        cells = [[position, assignments._source(cell)] for position, cell in enumerate(nb["cells"], start=1)
                 if cell.get("cell_type") == "code"]
        self.send({"name": f"{name}.ipynb", "notebook": json.dumps(nb), "cells": cells})
        answer = self.receive()
        errors = answer.get("errors", []) if answer.get("ready") is True else None
        if not isinstance(errors, list):
            raise SandboxGone("the submission's process did not report back")
        return errors

    def close(self) -> list:
        """Kill the sandbox and everything in it; return pids that had to be killed afterwards."""
        for fd in (self._req_write, self._rep_read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._selector.close()
        self._close_worker()
        try:  # None: still running when grading ended
            self.exit_code = self.proc.wait(timeout=3 if self.broken else 0.05)
        except subprocess.TimeoutExpired:
            self.exit_code = None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self._drainer.join(timeout=10)
        self._watcher.join(timeout=10)
        return _kill_uid(sandbox.UID_BASE + self.slot)


def _no_handles(ref: int):
    raise wire.WireError("a reference function is given plain data only, not objects of the submission")


def _check_reference_arguments(function, args: list, kwargs: dict) -> None:
    """Raise ``TypeError`` unless the arguments fill only the reference's required parameters.

    The student's code calls a reference as the question's own function
    (``boltzmann_probabilities(model)``); the reference's options with defaults
    (``exact.probabilities(model, max_units=...)``) stay the grader's, so the
    submission cannot ask it to enumerate a billion states.
    """
    import inspect

    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        if kwargs:
            raise TypeError("this reference takes no keyword arguments") from None
        return
    bound = signature.bind(*args, **kwargs)  # TypeError if they do not fit
    optional = [name for name in bound.arguments
                if signature.parameters[name].default is not inspect.Parameter.empty
                or signature.parameters[name].kind in (inspect.Parameter.VAR_POSITIONAL,
                                                       inspect.Parameter.VAR_KEYWORD)]
    if optional:
        raise TypeError(f"the reference's options ({', '.join(optional)}) are not the submission's to set")


def _limit_address_space(extra_bytes: int) -> None:
    """Let this process's address space grow by ``extra_bytes`` at most (a forked grader child)."""
    import resource

    with open("/proc/self/statm") as handle:
        current = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = current + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _kill_uid(uid: int, grace: float = 5.0) -> list:
    """Kill every process still running as ``uid`` (none should be: the PID namespace is gone).

    Returns the pids still running after ``grace`` seconds, each sent SIGKILL. A zombie (a
    process that has exited and waits only to be reaped) runs no code and holds no memory, so it
    is not counted: the namespace's processes pass through that state on their way out.
    """
    import time

    import psutil

    def alive():
        found = []
        for proc in psutil.process_iter(["uids", "status"]):
            try:
                if (proc.info["uids"] and proc.info["uids"].real == uid
                        and proc.info["status"] != psutil.STATUS_ZOMBIE):
                    found.append(proc)
            except psutil.Error:
                pass
        return found

    # The kernel kills the PID namespace when its init dies; give it a moment.
    deadline = time.monotonic() + grace
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    left = []
    for proc in alive():
        try:
            proc.kill()
            left.append(proc.pid)
        except psutil.NoSuchProcess:  # ended between the listing and the kill
            pass
        except psutil.Error:
            left.append(proc.pid)
    return left


def _raise_like(answer: dict):
    """Raise in the grader the (built-in) exception the student code raised in the sandbox."""
    import builtins

    name = str(answer.get("raised", "Exception"))
    message = str(answer.get("message", ""))[:300]
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
        try:
            raise cls(message)
        except TypeError:
            pass
    raise RuntimeError(f"{name}: {message}")


class ReferenceWorker:
    """A child process of the grader that runs the reference functions a submission calls.

    A student function called inside ``reference.use(...)`` calls the
    references with arguments of its own choosing, so they do not run in the
    grader: the worker is forked (holding the references of the block) the
    first time the block's submission calls one, and ended when the block
    ends. Its address space may grow by ``memory_bytes`` at most, each call
    waits only until the submission's deadline (then the worker is killed and
    the submission has timed out), it gets plain data only (no handle to
    the submission's objects) and only arguments that fill the reference's
    required parameters (:func:`_check_reference_arguments`), and it answers
    with wire data. The grader's own objects are never touched.
    """

    def __init__(self, functions: dict, memory_bytes: int):
        import gc

        request_read, self._request = os.pipe()
        self._reply, reply_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                gc.freeze()  # the grader's objects are never collected here (no finalizer of theirs runs)
                keep = sorted((request_read, reply_write))
                os.closerange(3, keep[0])  # the sandboxes' pipes included
                os.closerange(keep[0] + 1, keep[1])
                os.closerange(keep[1] + 1, os.sysconf("SC_OPEN_MAX"))
                _limit_address_space(memory_bytes)
                _serve_references(functions, request_read, reply_write)
            finally:
                os._exit(0)
        os.close(request_read)
        os.close(reply_write)
        self._buffer = b""

    def call(self, callback: dict, remaining) -> dict:
        """The worker's answer to one callback of the submission (waits until ``remaining()`` runs out)."""
        import select

        try:
            data = memoryview(wire.dumps(callback))
            while data:
                _, ready, _ = select.select([], [self._request], [], remaining())
                if ready:
                    data = data[os.write(self._request, data[:65536]):]
            while b"\n" not in self._buffer:
                ready, _, _ = select.select([self._reply], [], [], remaining())
                if not ready:
                    continue
                chunk = os.read(self._reply, 1 << 20)
                if not chunk:  # the worker died: its memory limit, most likely
                    self.close()
                    return {"raised": "MemoryError"}
                self._buffer += chunk
                if len(self._buffer) > wire.MAX_MESSAGE_BYTES:
                    self.close()
                    return {"raised": "MemoryError"}
        except OSError:
            self.close()
            return {"raised": "MemoryError"}
        except BaseException:
            self.close()  # the deadline: the worker goes with the submission
            raise
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            return wire.loads(line)
        except wire.WireError:
            return {"raised": "RuntimeError"}

    def close(self) -> None:
        if self.pid is None:
            return
        for fd in (self._request, self._reply):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        self.pid = None


def _serve_references(functions: dict, request_fd: int, reply_fd: int) -> None:
    """The worker's loop: one callback line in, one answer line out, until the grader closes the pipe."""
    requests = os.fdopen(request_fd, "rb")
    replies = os.fdopen(reply_fd, "wb", buffering=0)
    for line in requests:
        try:
            callback = wire.loads(line)
            function = functions[callback["callback"]]
            args = wire.decode(callback.get("args"), _no_handles)
            kwargs = wire.decode(callback.get("kwargs"), _no_handles)
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise TypeError("malformed callback")
            _check_reference_arguments(function, args, kwargs)
            value = function(*args, **kwargs)
            # the arguments after the call go back too (an rng the reference advanced)
            result = {"ok": wire.encode(value), "args": wire.encode(args), "kwargs": wire.encode(kwargs)}
        except Exception as err:  # noqa: BLE001 - reported to the sandbox
            result = {"raised": type(err).__name__}
        replies.write(wire.dumps(result))


class RemoteObject(wire.Handle):
    """A function or object of the submission: it stays in the sandbox; only data comes back."""

    __slots__ = ("_wire_ref", "_session")

    def __init__(self, session: Session, ref: int):
        object.__setattr__(self, "_wire_ref", ref)
        object.__setattr__(self, "_session", session)

    def __call__(self, *args, **kwargs):
        session = object.__getattribute__(self, "_session")
        message = {"op": "call", "ref": object.__getattribute__(self, "_wire_ref"),
                   "args": wire.encode(list(args)), "kwargs": wire.encode(dict(kwargs)),
                   "substitute": sorted(session.substitutes)}
        answer = session.request(message)
        result = session.value(answer)
        # Bring back what the call did to its arguments (a model trained in place, an rng advanced).
        try:
            after_args = wire.decode(answer.get("args"), session.handle)
            after_kwargs = wire.decode(answer.get("kwargs"), session.handle)
        except (wire.WireError, ValueError, TypeError, KeyError):
            after_args, after_kwargs = [], {}
        if isinstance(after_args, list):
            for original, new in zip(args, after_args):
                wire.sync(original, new)
        if isinstance(after_kwargs, dict):
            for key, original in kwargs.items():
                if key in after_kwargs:
                    wire.sync(original, after_kwargs[key])
        return result

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        session = object.__getattribute__(self, "_session")
        return session.value(session.request(
            {"op": "getattr", "ref": object.__getattribute__(self, "_wire_ref"), "name": name}))

    def __getitem__(self, key):
        session = object.__getattribute__(self, "_session")
        return session.value(session.request(
            {"op": "getitem", "ref": object.__getattribute__(self, "_wire_ref"), "key": wire.encode(key)}))

    def __len__(self):
        session = object.__getattribute__(self, "_session")
        value = session.value(session.request({"op": "len", "ref": object.__getattribute__(self, "_wire_ref")}))
        if not isinstance(value, int) or value < 0:
            raise TypeError("len() of the submission's object is not a non-negative int")
        return value

    def __iter__(self):
        session = object.__getattribute__(self, "_session")
        value = session.value(session.request({"op": "iter", "ref": object.__getattribute__(self, "_wire_ref")}))
        return iter(value if isinstance(value, list) else [])

    def __repr__(self):
        return "<an object of the submission>"


class Reference:
    """What a hidden test asks for as ``reference``: run earlier questions' reference code.

    ``with reference.use(boltzmann_probabilities=exact.probabilities): ...`` makes the
    student's functions, while called inside the block, see the named functions
    replaced by the given reference implementations (run by the grader), so that
    a mistake in an earlier question is charged to that question only. Under
    Otter's own runner ``reference`` is ``None``; tests then use the student's
    functions throughout.
    """

    def __init__(self, session: Session):
        self._session = session

    def use(self, **functions):
        return _Substitution(self._session, functions)


class _Substitution:
    """The block ``reference.use(...)`` returns: reusable, like the ``contextlib.nullcontext()``
    a test falls back on under Otter, so ``given = reference.use(...)`` can be entered again
    (in a loop, or a second ``with given:``). A generator-based context manager could be
    entered once only: the second ``with`` raised inside the test and failed it for every
    submission, the reference solution included.
    """

    def __init__(self, session: Session, functions: dict):
        self._session = session
        self._functions = dict(functions)
        self._saved: list = []  # one entry per open ``with`` (nesting allowed)

    def __enter__(self):
        self._saved.append(dict(self._session.substitutes))
        self._session.substitutes = {**self._session.substitutes, **self._functions}
        return self

    def __exit__(self, *exc_info):
        self._session.substitutes = self._saved.pop()
        return False


class RemoteEnv:
    """The "global environment" Otter's test cases read their arguments from."""

    def __init__(self, session: Session):
        self._session = session
        self._cache_hits = 0

    def get(self, name, default=None):
        if name == "reference":
            return Reference(self._session)
        answer = self._session.request({"op": "get", "name": str(name)})
        if answer.get("missing"):
            return default
        return self._session.value(answer)

    def __getitem__(self, name):
        return self.get(name)

    def __contains__(self, name):
        return True


# ---------------------------------------------------------------------------
# Grading one submission
# ---------------------------------------------------------------------------
def _format_errors(errors: list) -> str:
    parts = []
    for err in errors[:MAX_ERRORS_LISTED]:
        message = " ".join(str(err.get("evalue", "")).split())
        if len(message) > 80:
            message = message[:77] + "..."
        parts.append(f"cell {err.get('cell')} raised {err.get('ename', 'an error')}"
                     + (f": {message}" if message else ""))
    more = len(errors) - MAX_ERRORS_LISTED
    return f"{len(errors)} cell(s) raised errors: " + "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def run_tests(ag: Autograder, session: Session) -> tuple[dict, list]:
    """Run every question's tests in this process against the sandboxed submission."""
    env = RemoteEnv(session)
    scores, failures = {}, []
    for question in ag.questions:
        test_file = _test_file(question, ag.tests[question])
        try:
            test_file.run(env)
        except (KeyboardInterrupt, AutograderChanged):
            raise
        except BaseException as err:  # noqa: BLE001 - e.g. SystemExit: this question scores 0
            scores[question] = 0.0
            failures.append(f"{question}: 0/{test_file.possible:g} (its tests could not run: "
                            f"{_describe(err)})")
            if session.timed_out or session.broken:
                break
            continue
        scores[question] = float(test_file.score)
        failed = [tcr.test_case for tcr in test_file.test_case_results if not tcr.passed]
        if failed:
            names = ", ".join(("hidden " if tc.hidden else "")
                              + getattr(getattr(tc.body, "test_func", None), "__name__", str(tc.name))
                              for tc in failed)
            failures.append(f"{question}: {scores[question]:g}/{test_file.possible:g} (failed {names})")
        if session.timed_out or session.broken:
            break
    return scores, failures


def grade_one(sub: Submission, ag: Autograder, timeout: float = DEFAULT_TIMEOUT,
              log_dir: Path | None = None, *, unsafe: bool = False,
              limits: sandbox.Limits | None = None) -> dict:
    """Grade one submission in its sandbox; return its CSV row (a dict)."""
    row = {"student": sub.student, "scores": {}, "notes": list(sub.notes)}
    if sub.notebook is None:
        return row
    try:
        nb = read_notebook(sub.notebook)
    except NotebookError as err:
        row["notes"].append(f"not a valid notebook: {err}; scored 0")
        return row
    meta = nb.get("metadata", {}).get("otter", {})
    claimed = meta.get("assignment_name") if isinstance(meta, dict) else None
    if isinstance(claimed, str) and claimed != ag.name:
        row["notes"].append(f"this is a notebook of assignment {claimed!r}, not {ag.name!r}; scored 0")
        return row
    if ag.template is not None:
        row["notes"] += _compare_with_template(nb, ag.template)
    verify_autograder(ag)
    slot = sandbox.Slot()
    try:
        session = Session(slot.number, timeout, limits or sandbox.Limits(), unsafe=unsafe)
    except BaseException:
        slot.release()
        raise
    failures = []
    try:
        try:
            errors = session.start(nb, ag.name)
        except SandboxGone:
            errors = None
        if errors:
            row["notes"].append(_format_errors(errors))
        if errors is not None:
            row["scores"], failures = run_tests(ag, session)
    finally:
        leftover = session.close()
        slot.release()
    if leftover:
        row["notes"].append(f"{len(leftover)} process(es) outlived the sandbox and were killed")
    if session.timed_out:
        row["scores"] = {q: 0.0 for q in ag.questions}
        row["notes"].append(f"stopped at the {timeout:g} s time limit (an endless loop, "
                            "or far too slow); scored 0")
    elif session.broken:
        code = None if session.memory_exceeded else session.exit_code
        why = ("" if code is None else f", exit code {code}"
               + (f", killed by signal {-code}: a CPU limit, or the code killed itself" if code < 0 else ""))
        row["notes"].append(f"grading stopped: {session.broken}{why}; the remaining tests scored 0")
    elif failures:
        row["notes"].append("tests failed: " + "; ".join(failures))
    if session.output_dropped:
        row["notes"].append(f"printed more than {session.limits.output_bytes // 1024} KiB; "
                            "the rest of its output was discarded")
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / f"{_safe_filename(sub.student)}.log").write_bytes(bytes(session.output))
    return row


def _describe(err: BaseException) -> str:
    message = " ".join(str(err).split())[:160]
    return type(err).__name__ + (f": {message}" if message else "")


def _safe_filename(student: str) -> str:
    return re.sub(r"[^\w.-]", "_", student)[:100] or "_"


def grade_submissions(folder: Path, ag: Autograder, timeout: float = DEFAULT_TIMEOUT,
                      jobs: int = 1, log_dir: Path | None = None, *, unsafe: bool = False,
                      limits: sandbox.Limits | None = None) -> list[dict]:
    """Grade every submission of ``folder``; return one row per student, in order.

    With ``jobs > 1`` several sandboxes run at once, each with its own uid. A
    changed autograder zip stops the batch (:class:`RuntimeError`).
    """
    subs = collect(folder)
    jobs = max(1, jobs)

    def one(sub):
        # Whatever goes wrong with one submission (SystemExit included) is that submission's row;
        # only Ctrl-C and a changed autograder stop the batch.
        try:
            return grade_one(sub, ag, timeout, log_dir, unsafe=unsafe, limits=limits)
        except (KeyboardInterrupt, AutograderChanged):
            raise
        except BaseException as err:  # noqa: BLE001
            return {"student": sub.student, "scores": {},
                    "notes": [*sub.notes, f"the grader could not grade it ({_describe(err)}); scored 0"]}

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, subs))


def _fmt(points: float) -> str:
    return f"{points:g}"


def csv_cell(text: str) -> str:
    """Text safe in a spreadsheet: a leading ``= + - @`` (or tab/CR) would start a formula."""
    text = str(text).replace("\r", " ").replace("\n", " ")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text


def write_csv(rows: list[dict], ag: Autograder, out: Path) -> None:
    """One row per student: a column per question, total, possible, reason (written atomically)."""
    possible = sum(ag.possible.values())
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent or ".")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", *ag.questions, "total", "possible", "reason"])
            for row in rows:
                scores = [float(row["scores"].get(q, 0.0)) for q in ag.questions]
                notes = list(row["notes"])
                if sum(scores) < possible and not notes:
                    notes.append("no answer earned points" if sum(scores) == 0 else "some tests failed")
                writer.writerow([csv_cell(row["student"]), *map(_fmt, scores), _fmt(sum(scores)),
                                 _fmt(possible), csv_cell("; ".join(notes))])
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
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
    parser.add_argument("--logs", type=Path, help="save each submission's output here")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run submissions WITHOUT any isolation (no bubblewrap): only in a "
                             "throwaway machine or container; a submission can then forge its "
                             "score and harm other rows")
    args = parser.parse_args(argv)
    try:
        if args.unsafe_no_sandbox:
            print("warning: --unsafe-no-sandbox: submissions run with your privileges and can "
                  "forge scores", file=sys.stderr)
        else:
            sandbox.check()
        ag = load_autograder(args.assignment, args.autograder)
        rows = grade_submissions(args.submissions, ag, args.timeout, args.jobs, args.logs,
                                 unsafe=args.unsafe_no_sandbox)
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
