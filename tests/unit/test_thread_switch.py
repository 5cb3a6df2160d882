"""The thread pin has one switch, DREAMBOOK_THREADS (tools/notebook_env.py), and it is honoured."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import notebook_env  # noqa: E402


@pytest.mark.parametrize("environ, expected", [
    ({}, "1"),
    ({"DREAMBOOK_THREADS": "3"}, "3"),
    ({"DREAMBOOK_THREADS": " OFF "}, "off"),
    ({"DREAMBOOK_THREADS": "2", "OMP_NUM_THREADS": "8"}, "2"),   # the switch wins, explicitly
    ({"OMP_NUM_THREADS": "1"}, "1"),                             # a preset equal to the pin is fine
])
def test_thread_setting(environ, expected):
    assert notebook_env.thread_setting(environ) == expected


@pytest.mark.parametrize("environ, message", [
    ({"OMP_NUM_THREADS": "2"}, "OMP_NUM_THREADS=2 is set but DREAMBOOK_THREADS is not"),
    ({"OPENBLAS_NUM_THREADS": "4"}, "OPENBLAS_NUM_THREADS=4 is set"),
    ({"DREAMBOOK_THREADS": "0"}, "positive integer or 'off'"),
    ({"DREAMBOOK_THREADS": "two"}, "positive integer or 'off'"),
])
def test_thread_setting_refuses_ambiguous_settings(environ, message):
    with pytest.raises(RuntimeError, match=message):
        notebook_env.thread_setting(environ)


def _kernel_threads(extra):
    """BLAS threads a fresh process sees after notebook_env.apply() under the given environment."""
    env = {k: v for k, v in os.environ.items()
           if k != notebook_env.THREADS_SWITCH and k not in notebook_env.THREAD_VARIABLES}
    env.update(extra)
    code = ("import sys; sys.path.insert(0, 'tools'); import notebook_env; notebook_env.apply(); "
            "import json, subprocess; print(subprocess.run([sys.executable, 'tools/notebook_env.py', '--json'],"
            " capture_output=True, text=True, check=True).stdout)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    return {b["num_threads"] for b in json.loads(out)["blas"]}


def test_the_switch_reaches_a_kernel_started_afterwards():
    assert _kernel_threads({}) == {1}
    assert _kernel_threads({"DREAMBOOK_THREADS": "2"}) == {2}
    assert _kernel_threads({"DREAMBOOK_THREADS": "off", "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}) == {2}
