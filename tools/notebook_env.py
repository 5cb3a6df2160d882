"""The one place that says how notebooks are executed.

Both ``tools/execute_notebooks.py`` (which refreshes stored outputs) and nbval
(through the root ``conftest.py``) take their settings from here, so a stored
output is produced under exactly the conditions in which it is re-checked.

The thread pin has one switch, the environment variable ``DREAMBOOK_THREADS``:

* unset or ``1`` (the default): every BLAS/OpenMP pool gets one thread;
* an integer ``N``: every pool gets ``N`` threads;
* ``off``: nothing is pinned; the thread variables of the environment (or the
  libraries' own defaults) stay as they are, as under ``make lab``, Binder or Colab.

A thread variable such as ``OMP_NUM_THREADS`` that is already set while
``DREAMBOOK_THREADS`` is not is refused with an error naming the switch, rather
than silently overridden.

``python tools/notebook_env.py`` prints the numeric configuration a notebook
kernel started now would run under (OpenBLAS core and threads, numpy SIMD);
``--portable-core`` and ``--simd-found`` print what ``make test-numeric`` uses
to select a portable BLAS core and to switch numpy's SIMD dispatch off.
"""

import json
import os
import subprocess
import sys

# A hung cell becomes a clear failure after this many seconds.
CELL_TIMEOUT = 120
KERNEL_STARTUP_TIMEOUT = 60

#: The switch of the thread pin (see the module docstring).
THREADS_SWITCH = "DREAMBOOK_THREADS"
#: The variables the pin sets, all to the same value.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
#: The variables that choose numeric kernels; reported, never set here.
KERNEL_VARIABLES = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES")
#: Variables that change only how idle BLAS threads wait (not a number); reported, never set here.
#: ``make test-numeric-threads`` sets OPENBLAS_THREAD_TIMEOUT=4 (idle threads sleep after 2**4
#: cycles instead of spinning), so two workers of two threads each share two cores.
SCHEDULING_VARIABLES = ("OPENBLAS_THREAD_TIMEOUT",)

# Everything else a kernel needs, independent of the thread pin.
ENV = {
    "PYTHONHASHSEED": "0",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


def thread_setting(environ=None) -> str:
    """The value of the switch: ``"off"`` or a positive integer as a string (default ``"1"``)."""
    environ = os.environ if environ is None else environ
    value = environ.get(THREADS_SWITCH, "").strip().lower()
    if value == "":
        preset = {k: environ[k] for k in THREAD_VARIABLES if k in environ and environ[k] != "1"}
        if preset:
            raise RuntimeError(
                f"{', '.join(f'{k}={v}' for k, v in preset.items())} is set but {THREADS_SWITCH} is not. "
                f"The thread pin has one switch: run with {THREADS_SWITCH}=N to give every BLAS/OpenMP "
                f"pool N threads, or {THREADS_SWITCH}=off to keep the environment's thread settings.")
        return "1"
    if value == "off" or (value.isdigit() and int(value) >= 1):
        return value
    raise RuntimeError(f"{THREADS_SWITCH} must be a positive integer or 'off', got {value!r}")


def apply() -> None:
    """Put the notebook environment into ``os.environ`` (inherited by kernels)."""
    threads = thread_setting()
    os.environ.update(ENV)
    os.environ[THREADS_SWITCH] = threads
    if threads != "off":
        os.environ.update({k: threads for k in THREAD_VARIABLES})


def describe() -> dict:
    """The numeric configuration in force in *this* process (imports numpy, threadpoolctl)."""
    import numpy as np
    from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    from threadpoolctl import threadpool_info

    import scipy.linalg  # noqa: F401  (loads scipy's own OpenBLAS, so that it is reported too)

    return {
        "environment": {k: os.environ.get(k) for k in (THREADS_SWITCH, *KERNEL_VARIABLES, *SCHEDULING_VARIABLES,
                                                         *THREAD_VARIABLES)
                        if k in os.environ},
        "numpy": np.__version__,
        "numpy_simd_baseline": list(__cpu_baseline__),
        "numpy_simd_found": [f for f in __cpu_dispatch__ if __cpu_features__.get(f)],
        "blas": [{k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                 for info in threadpool_info() if info.get("user_api") == "blas"],
    }


def blas_threads():
    """Threads per BLAS pool for code that limits them itself (scripts): the switch, or None for 'off'."""
    threads = thread_setting()
    return None if threads == "off" else int(threads)


def provenance() -> str:
    """The configuration of this process as a JSON string, for a stored data file to record."""
    import numpy  # noqa: F401  (load both BLAS libraries before limiting them)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=blas_threads()):  # as the script's own computations see it
        config = describe()
    return json.dumps({"thread_pin": f"{THREADS_SWITCH}={thread_setting()}", **config}, sort_keys=True)


def same_configuration(recorded, current=None) -> bool:
    """Whether two configurations (as :func:`provenance` writes them) compute alike: same BLAS
    cores and threads, numpy version and SIMD features (the environment text aside)."""
    recorded = json.loads(recorded) if isinstance(recorded, str) else recorded
    current = json.loads(provenance()) if current is None else current
    fields = ("blas", "numpy", "numpy_simd_found", "numpy_simd_baseline")

    def norm(config):
        return {f: sorted(map(json.dumps, config[f])) if f == "blas" else config[f] for f in fields}

    return norm(recorded) == norm(current)


def summary(config: dict) -> str:
    """One line: OpenBLAS cores and threads, numpy SIMD features."""
    blas = ", ".join(f"{b['internal_api']} {b['version']} core {b['architecture']} x{b['num_threads']} threads"
                     for b in config["blas"])
    simd = " ".join(config["numpy_simd_baseline"]) + " + " + (" ".join(config["numpy_simd_found"]) or "nothing")
    return f"BLAS: {blas}; numpy {config['numpy']} SIMD: {simd}"


def kernel_configuration() -> dict:
    """What a notebook kernel started now would run under: :func:`describe` in a fresh process."""
    env = dict(os.environ)
    out = subprocess.run([sys.executable, __file__, "--json"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def portable_core(machine=None) -> str:
    """An OpenBLAS core that runs on every CPU of this architecture (``OPENBLAS_CORETYPE``)."""
    import platform

    machine = (machine or platform.machine()).lower()
    if machine in ("x86_64", "amd64", "i686", "i386"):
        return "Prescott"  # SSE3 kernels; OpenBLAS reports this core as "Katmai"
    if machine in ("arm64", "aarch64"):
        return "ARMV8"
    return ""


def simd_found() -> str:
    """The numpy SIMD dispatch targets found on this CPU (for ``NPY_DISABLE_CPU_FEATURES``)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return " ".join(f for f in __cpu_dispatch__ if __cpu_features__.get(f))


if __name__ == "__main__":
    if "--json" in sys.argv:
        print(json.dumps(describe()))
    elif "--portable-core" in sys.argv:
        print(portable_core())
    elif "--simd-found" in sys.argv:
        print(simd_found())
    else:
        apply()
        config = kernel_configuration()
        print("numeric configuration:", summary(config))
        print("  environment:", " ".join(f"{k}={v}" for k, v in config["environment"].items()))
