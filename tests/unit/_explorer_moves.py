"""What a reader does to a live explorer to reach a state of its static grid.

Shared by the tests that compare the website's stored pictures with the live
explorer (``test_static_explorers.py``, ``test_stored_explorer_states.py``;
the latter imports this module inside a notebook kernel).
"""

from __future__ import annotations


def live_default(explorer, values: dict) -> bytes:
    """Move each live control to ``values`` (keyed by description); the picture it then shows."""
    for control in explorer.controls:
        control.value = values[control.description]
    return explorer.png


def live_phases(explorer, values: dict) -> bytes:
    """PhasesExplorer: reset, set the rate, click the step button once per step."""
    explorer.step("reset")
    explorer.lr_slider.value = values["lr"]
    explorer.steps_slider.value = 1
    for _ in range(int(values["steps taken"])):
        explorer.step(values["step"])  # one click each
    return explorer.png


def live_hopfield(explorer, values: dict) -> bytes:
    """UnlearningExplorer: reset, set epsilon, click "dream ×10" until the dreams are reached."""
    explorer.step(0)  # reset
    explorer.eps_slider.value = values["epsilon"]
    for _ in range(int(values["dreams"]) // 10):
        explorer.step(10)  # the "dream ×10" button
    return explorer.png


#: Explorer class name -> its reader's moves (default: :func:`live_default`).
LIVE = {"PhasesExplorer": live_phases, "UnlearningExplorer": live_hopfield}


def live_picture(explorer, values: dict) -> bytes:
    """The PNG the live explorer shows once a reader has brought it to ``values``."""
    return LIVE.get(type(explorer).__name__, live_default)(explorer, values)
