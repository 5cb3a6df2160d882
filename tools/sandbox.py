"""The operating-system sandbox in which one submission runs (bubblewrap).

``command(...)`` builds a ``bwrap`` command line that gives the submission

* its own mount, PID, IPC, UTS, cgroup and network namespaces (no network at
  all; only a loopback device), ``--die-with-parent``, a new session;
* an unprivileged user: bubblewrap runs as root only to set the mounts up, then
  ``setpriv`` drops to a uid/gid of its own (no supplementary groups, no
  capabilities, ``no_new_privs``) before any student code runs;
* a read-only view of exactly: ``/usr`` (the system's programs and libraries),
  the Python installation and virtual environment that grade, the ``dreambook``
  package, and the two grader files the harness needs; a private, size-limited
  ``/tmp`` and home folder (``/home/student``, where the notebook is written),
  both empty at the start. Nothing else of the host exists inside: not the
  repository, the masters, the hidden tests, other submissions or the output;
* limits (``setrlimit``, inherited by every process inside): address space,
  CPU seconds, processes (per uid, and each concurrent sandbox has its own
  uid), open files, size of any file written. Captured output is limited by
  the grader, which reads it. The resident memory of all the sandbox's
  processes together is polled by the grader (``Limits.sandbox_memory_bytes``)
  and the sandbox killed beyond it: no cgroup is used (where this was built,
  cgroup v2 has no memory controller and systemd is not PID 1), so that bound
  holds between polls only; the hard bound is ``processes x memory_bytes``.

When the harness ends or is killed, its PID namespace goes with it: the kernel
kills every process the submission started.

If bubblewrap or setpriv is missing or cannot create the sandbox, :func:`check`
raises :class:`SandboxError`; the grader then refuses to run (fail closed).
"""

from __future__ import annotations

import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
HOME = "/home/student"
GRADER_DIR = "/opt/grader"
UID_BASE = 61000  # uid of sandbox slot k is UID_BASE + k


class SandboxError(RuntimeError):
    """The sandbox cannot be created on this machine."""


SLOTS = 1000


class Slot:
    """A sandbox uid reserved for one submission at a time (across processes, by a file lock).

    Each running sandbox has a uid no other sandbox uses at the same time, so a
    process limit or a ``kill`` inside one can never reach another.
    """

    def __init__(self):
        import fcntl
        import tempfile

        folder = Path(tempfile.gettempdir()) / f"dreambook-grade-slots-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        for k in range(SLOTS):
            fd = os.open(folder / f"{k}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.number, self._fd = k, fd
            return
        raise SandboxError(f"all {SLOTS} sandbox uids are in use")

    @property
    def uid(self) -> int:
        return UID_BASE + self.number

    def release(self) -> None:
        os.close(self._fd)


@dataclass
class Limits:
    """What one sandbox may use.

    Measured on the solutions of two-phases, boltzmann-encoder, pcd-and-ais and
    hopfield-unlearning (sampled every 0.05 s): one process with 2 threads, at
    most 452 MiB of address space and 181 MiB resident. The per-process limits
    leave 4 times that; ``sandbox_memory_bytes`` bounds the processes together.
    """

    memory_bytes: int = 2 * 2**30  # address space of each process
    sandbox_memory_bytes: int = 3 * 2**30  # resident memory of all its processes together (polled)
    cpu_seconds: int = 600
    processes: int = 8  # per sandbox uid, threads included
    open_files: int = 256
    file_bytes: int = 64 * 2**20  # largest file written
    tmp_bytes: int = 128 * 2**20  # size of /tmp and of the home folder, each
    output_bytes: int = 256 * 2**10  # captured stdout+stderr kept by the grader


def _dreambook_folders() -> list[Path]:
    """The folders of the ``dreambook`` package the grader imports (bound read-only inside)."""
    spec = importlib.util.find_spec("dreambook")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(location).resolve() for location in spec.submodule_search_locations]


def _python_paths() -> list[Path]:
    """The folders of the running Python and its environment (read-only inside)."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
             Path(sysconfig.get_paths()["stdlib"]).parent}
    exe = Path(sys.executable)
    paths.add(exe.resolve().parent.parent)
    paths.update(_dreambook_folders())
    # Drop paths inside others (bind each tree once) and anything under /usr.
    paths = sorted({p.resolve() for p in paths if p.exists()}, key=lambda p: len(p.parts))
    kept = []
    for path in paths:
        if path == Path("/usr") or Path("/usr") in path.parents:
            continue
        if not any(parent == path or parent in path.parents for parent in kept):
            kept.append(path)
    return kept


def command(slot: int, request_fd: int, reply_fd: int, limits: Limits) -> list[str]:
    """The bwrap command that runs the harness for sandbox slot ``slot``."""
    uid = str(UID_BASE + slot)
    cmd = ["bwrap", "--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox",
           "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/" + link)
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), f"/{link}"]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), f"/{link}"]
    # The private /tmp and home first, so that binds below them (a checkout under /tmp) stay visible.
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp",
            "--size", str(limits.tmp_bytes), "--perms", "1777", "--tmpfs", HOME]
    binds = [(str(path), str(path)) for path in _python_paths()]
    binds += [(str(TOOLS / name), f"{GRADER_DIR}/{name}") for name in ("grade_harness.py", "grading_wire.py")]
    # The folders above the mount points, readable (bubblewrap would make them 0700).
    parents = sorted({str(parent) for _, dest in binds for parent in Path(dest).parents
                      if str(parent) != "/"}, key=lambda p: (p.count("/"), p))
    for parent in parents:
        cmd += ["--perms", "0755", "--dir", parent]
    for source, dest in binds:
        cmd += ["--ro-bind", source, dest]
    cmd += ["--chdir", HOME, "--clearenv",
            "--setenv", "HOME", HOME, "--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "--setenv", "TMPDIR", "/tmp", "--setenv", "MPLBACKEND", "Agg",
            "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib", "--setenv", "IPYTHONDIR", "/tmp/ipython",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "PYTHONHASHSEED", "0",
            "--setenv", "LANG", "C.UTF-8"]
    # Import the dreambook the grader imports (bound above), also when the environment's own
    # install points elsewhere (an editable install of another checkout).
    roots = [str(folder.parent) for folder in _dreambook_folders()]
    if roots:
        cmd += ["--setenv", "PYTHONPATH", os.pathsep.join(dict.fromkeys(roots))]
    for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        cmd += ["--setenv", key, "1"]
    cmd += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
            sys.executable, "-B", f"{GRADER_DIR}/grade_harness.py",
            str(request_fd), str(reply_fd)]
    return cmd


def unsandboxed_command(request_fd: int, reply_fd: int) -> list[str]:
    """The harness run directly (``--unsafe-no-sandbox``): no isolation at all."""
    return [sys.executable, "-B", str(TOOLS / "grade_harness.py"), str(request_fd), str(reply_fd)]


def set_limits(limits: Limits):
    """A ``preexec_fn`` that applies ``limits`` (inherited by everything the child starts)."""
    def apply():
        for which, value in ((resource.RLIMIT_AS, limits.memory_bytes),
                             (resource.RLIMIT_CPU, limits.cpu_seconds),
                             (resource.RLIMIT_NPROC, limits.processes),
                             (resource.RLIMIT_NOFILE, limits.open_files),
                             (resource.RLIMIT_FSIZE, limits.file_bytes),
                             (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(which, (value, value))
    return apply


def check() -> None:
    """Raise :class:`SandboxError` unless a sandbox can be made here and really isolates."""
    for tool in ("bwrap", "setpriv"):
        if shutil.which(tool) is None:
            raise SandboxError(
                f"{tool} is not installed, so submissions cannot be isolated. Install it "
                "(Debian/Ubuntu: apt-get install bubblewrap util-linux) or, only on a throwaway "
                "machine, pass --unsafe-no-sandbox")
    probe = ("import os, socket, sys\n"
             "assert os.getuid() != 0 and os.getgid() != 0, 'still root'\n"
             "assert not os.path.exists(sys.argv[1]), 'the host is visible'\n"
             "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\nexcept OSError:\n    pass\n"
             "else:\n    raise SystemExit('network reachable')\n"
             "print('isolated')\n")
    read_fd, write_fd = os.pipe()
    try:
        cmd = command(0, read_fd, write_fd, Limits())
        cmd = cmd[:len(cmd) - 3] + ["-c", probe, str(TOOLS)]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                                pass_fds=(read_fd, write_fd), preexec_fn=set_limits(Limits()))
    except (OSError, subprocess.SubprocessError) as err:
        raise SandboxError(f"bubblewrap could not start a sandbox: {err}") from None
    finally:
        os.close(read_fd)
        os.close(write_fd)
    if result.returncode != 0 or result.stdout.strip() != "isolated":
        raise SandboxError("bubblewrap could not create an isolated sandbox here (exit "
                           f"{result.returncode}): {(result.stderr or result.stdout).strip()[-300:]}")
