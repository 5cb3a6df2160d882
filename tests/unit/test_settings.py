"""Every training loop takes its hyperparameters as one frozen, validated settings object."""

import dataclasses
import importlib
import inspect
import pkgutil

import pytest

import dreambook
from dreambook._validation import Settings

#: Names that are hyperparameters of how an update is made: they belong in a settings object.
HYPERPARAMETERS = {"lr", "momentum", "batch_size", "weight_decay", "k", "method", "update", "beta",
                   "lr_start", "lr_end", "step", "n_chains", "n_steps", "fast_lr", "fast_decay", "tol"}


def _training_loops():
    loops = []
    for info in pkgutil.walk_packages(dreambook.__path__, "dreambook."):
        if info.name.split(".")[-1].startswith("_") or info.name.startswith("dreambook.widgets"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isfunction(obj) and (name == "train" or name.startswith("train_")):
                loops.append(pytest.param(obj, id=f"{info.name}.{name}"))
    return loops


LOOPS = _training_loops()


def test_the_scan_finds_the_loops():
    names = {p.id for p in LOOPS}
    assert {"dreambook.training.train_rbm", "dreambook.eqprop.train", "dreambook.encoder.train_paper",
            "dreambook.forward_forward.train_ff", "dreambook.wake_sleep.train_population"} <= names
    assert len(names) >= 13


@pytest.mark.parametrize("loop", LOOPS)
def test_loop_takes_one_frozen_settings_object_and_no_loose_hyperparameters(loop):
    params = inspect.signature(loop, eval_str=True).parameters
    settings = [p for p in params.values()
                if isinstance(p.default, Settings) or (inspect.isclass(p.annotation) and issubclass(p.annotation, Settings))]
    assert len(settings) == 1, f"{loop.__name__}: expected one settings parameter, found {[p.name for p in settings]}"
    param = settings[0]
    assert param.kind is inspect.Parameter.KEYWORD_ONLY
    cls = param.annotation if inspect.isclass(param.annotation) else type(param.default)
    assert issubclass(cls, Settings) and dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    if param.default is not inspect.Parameter.empty:
        assert isinstance(param.default, cls)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(param.default, dataclasses.fields(param.default)[0].name, None)
    loose = HYPERPARAMETERS & set(params)
    assert not loose, f"{loop.__name__} takes {sorted(loose)} outside its settings"
    options = [p for p in params.values() if p.default is not inspect.Parameter.empty]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in options), f"{loop.__name__}: options by position"


def test_settings_are_validated_again_when_replaced():
    from dreambook.forward_forward import SGD

    sgd = SGD()
    assert sgd.replace(lr=0.5).lr == 0.5 and sgd.lr == 0.1
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        sgd.replace(lr=-1.0)
