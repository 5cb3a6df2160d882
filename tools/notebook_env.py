"""The one place that says how notebooks are executed.

Both ``tools/execute_notebooks.py`` (which refreshes stored outputs) and nbval
(through the root ``conftest.py``) take their settings from here, so a stored
output is produced under exactly the conditions in which it is re-checked.
"""

import os

# A hung cell becomes a clear failure after this many seconds.
CELL_TIMEOUT = 120
KERNEL_STARTUP_TIMEOUT = 60

# One BLAS/OpenMP thread: results (and timings) do not depend on the machine's
# core count, and summation order is fixed.
ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


def apply() -> None:
    """Put the notebook environment into ``os.environ`` (inherited by kernels)."""
    os.environ.update(ENV)
