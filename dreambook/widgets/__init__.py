"""Explorers: small ipywidgets apps the chapters display.

Each explorer keeps its figure and controls, recomputes in ``update`` (the
callback its controls call), and shows the figure as an ``HTML`` widget holding
an inline PNG with alt text. Because the picture lives in the widget's state,
the static website shows the last picture even without a running kernel.

One module per chapter; each defines ``benchmark_cases()`` so that
``python -m benchmarks.widgets`` times every explorer's callback. ipywidgets
and matplotlib are imported only when an explorer is built.
"""

from .base import Explorer, time_callback
from .cd import CDExplorer
from .encoder import EncoderExplorer
from .forward_forward import BlockLengthExplorer
from .hopfield import UnlearningExplorer
from .langevin import LangevinExplorer
from .nce import NoiseRatioExplorer
from .notation import TemperatureExplorer
from .pcd import AISExplorer, DreamGalleryExplorer
from .phases import PhasesExplorer
from .replay import ReplayExplorer
from .sampling import SamplingExplorer
from .wake_sleep import WakeSleepExplorer
from .zero_temperature import PathTemperatureExplorer

__all__ = ["Explorer", "time_callback", "TemperatureExplorer", "PhasesExplorer", "SamplingExplorer",
           "ReplayExplorer", "UnlearningExplorer", "WakeSleepExplorer", "CDExplorer",
           "EncoderExplorer", "AISExplorer", "DreamGalleryExplorer", "PathTemperatureExplorer",
           "NoiseRatioExplorer", "LangevinExplorer", "BlockLengthExplorer"]

#: Submodules whose ``benchmark_cases()`` the widget benchmark runs.
EXPLORER_MODULES = ["notation", "phases", "sampling", "replay", "hopfield", "wake_sleep", "cd", "encoder", "pcd", "zero_temperature", "nce", "langevin", "forward_forward"]
