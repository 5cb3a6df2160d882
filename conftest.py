"""Repository-wide pytest settings.

Notebook kernels started by nbval inherit this process's environment, so the
notebook environment of tools/notebook_env.py is applied here (its thread pin
has one switch, ``DREAMBOOK_THREADS``), and nbval's per-cell timeout is taken
from the same file, unless given on the command line. The header of every run
reports the numeric configuration in force: OpenBLAS core and threads, numpy
SIMD features (``-q`` hides the header, so each make target also prints it with
``python tools/notebook_env.py``).
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
import notebook_env  # noqa: E402

try:
    notebook_env.apply()
except RuntimeError as err:
    raise pytest.UsageError(str(err)) from None

collect_ignore = ["_build", "_vendor", "tools", ".venv", "assignments"]


def pytest_configure(config):
    option = config.option
    if getattr(option, "nbval_cell_timeout", None) in (None, 2000, "2000"):
        option.nbval_cell_timeout = notebook_env.CELL_TIMEOUT
    if getattr(option, "nbval_kernel_startup_timeout", None) in (None, 60, "60"):
        option.nbval_kernel_startup_timeout = notebook_env.KERNEL_STARTUP_TIMEOUT
    threads = notebook_env.thread_setting()
    if threads != "off":
        # numpy may have been imported before the environment was set: pin this process too
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=int(threads))


def pytest_report_header(config):
    lines = ["numeric configuration: " + notebook_env.summary(notebook_env.describe())]
    env = notebook_env.describe()["environment"]
    lines.append("  environment: " + " ".join(f"{k}={v}" for k, v in env.items()))
    if getattr(config.option, "nbval", False):
        lines.append("  notebook kernels: " + notebook_env.summary(notebook_env.kernel_configuration()))
    return lines
