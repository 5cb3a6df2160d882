"""Repository-wide pytest settings.

Notebook kernels started by nbval inherit this process's environment, so the
notebook environment of tools/notebook_env.py is applied here, and nbval's
per-cell timeout is taken from the same file, unless given on the command line.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
import notebook_env  # noqa: E402

notebook_env.apply()

collect_ignore = ["_build", "_vendor", "tools", ".venv", "assignments"]


def pytest_configure(config):
    option = config.option
    if getattr(option, "nbval_cell_timeout", None) in (None, 2000, "2000"):
        option.nbval_cell_timeout = notebook_env.CELL_TIMEOUT
    if getattr(option, "nbval_kernel_startup_timeout", None) in (None, 60, "60"):
        option.nbval_kernel_startup_timeout = notebook_env.KERNEL_STARTUP_TIMEOUT
