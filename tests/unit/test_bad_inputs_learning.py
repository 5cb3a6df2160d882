"""Bad inputs to learning, estimate and data raise a clear error that names the argument."""

import dataclasses
import re
import warnings

import numpy as np
import pytest

from dreambook.data import bars_and_stripes, helmholtz_bars, helmholtz_bars_distribution, load_digits_binary
from dreambook.estimate import ais_log_partition, estimated_log_likelihood, linear_betas
from dreambook.learning import cd_gradient, fpcd_gradient, init_visible_bias, pcd_gradient
from dreambook.training import (GradientAscent, TrainingSettings, fit_like_sklearn, momentum_schedule, train_bm,
                                train_rbm)
from dreambook.sampling import sample_chains
from dreambook.models import RBM

DATA = bars_and_stripes(3)  # 14 x 9


def _rbm():
    return RBM.random(9, 4, rng=0)


def _train(**overrides):
    kwargs = dict(method="cd", epochs=1, batch_size=7, rng=0, record_exact=False)
    kwargs.update(overrides)
    data = kwargs.pop("data", DATA)
    rbm = kwargs.pop("rbm", _rbm())
    fields = {f.name for f in dataclasses.fields(TrainingSettings)}
    settings = TrainingSettings(**{key: kwargs.pop(key) for key in list(kwargs) if key in fields})
    return train_rbm(rbm, data, settings=settings, **kwargs)


def _fpcd(**overrides):
    fast = {"W": np.zeros((9, 4)), "b": np.zeros(9), "c": np.zeros(4)}
    kwargs = dict(v=DATA, chains=np.zeros((3, 4)), fast=fast, k=1, rng=0)
    kwargs.update(overrides)
    return fpcd_gradient(_rbm(), **kwargs)


NAN_DATA = DATA.copy()
NAN_DATA[0, 0] = np.nan

CASES = [
    # (id, callable, exception type, argument name that the message must contain)
    ("k zero", lambda: _train(k=0), ValueError, "k"),
    ("k float", lambda: _train(k=1.5), TypeError, "k"),
    ("lr zero", lambda: _train(lr=0.0), ValueError, "lr"),
    ("lr negative", lambda: _train(lr=-0.1), ValueError, "lr"),
    ("lr nan", lambda: _train(lr=float("nan")), ValueError, "lr"),
    ("batch_size too large", lambda: _train(batch_size=15), ValueError, "batch_size"),
    ("batch_size zero", lambda: _train(batch_size=0), ValueError, "batch_size"),
    ("epochs negative", lambda: _train(epochs=-1), ValueError, "epochs"),
    ("data wrong width", lambda: _train(data=np.zeros((5, 8))), ValueError, "data"),
    ("data 1-d", lambda: _train(data=np.zeros(9)), ValueError, "data"),
    ("data non-binary", lambda: _train(data=DATA * 0.5), ValueError, "data"),
    ("data NaN", lambda: _train(data=NAN_DATA), ValueError, "data"),
    ("data strings", lambda: _train(data=[["a"] * 9]), TypeError, "data"),
    ("method unknown", lambda: _train(method="contrastive"), ValueError, "method"),
    ("method not a string", lambda: _train(method=1), TypeError, "method"),
    ("rng None", lambda: _train(rng=None), TypeError, "rng"),
    ("rng negative seed", lambda: _train(rng=-1), ValueError, "rng"),
    ("momentum one", lambda: _train(momentum=1.0), ValueError, "momentum"),
    ("momentum unknown name", lambda: _train(momentum="fast"), ValueError, "momentum"),
    ("momentum schedule out of range", lambda: _train(momentum=lambda epoch: 2.0), ValueError, "momentum"),
    ("weight_decay negative", lambda: _train(weight_decay=-1e-4), ValueError, "weight_decay"),
    ("statistics unknown", lambda: _train(statistics="probs"), ValueError, "statistics"),
    ("statistics mean_field with pcd", lambda: _train(method="pcd", statistics="mean_field"), ValueError,
     "statistics"),
    ("record_exact unknown", lambda: _train(record_exact="sometimes"), ValueError, "record_exact"),
    ("record_exact not bool", lambda: _train(record_exact=1), TypeError, "record_exact"),
    ("test_data wrong width", lambda: _train(test_data=np.zeros((3, 4))), ValueError, "test_data"),
    ("callback not callable", lambda: _train(callback=3), TypeError, "callback"),
    ("shuffle not bool", lambda: _train(shuffle="yes"), TypeError, "shuffle"),
    ("rbm not an RBM", lambda: _train(rbm="model"), TypeError, "rbm"),
    ("n_chains zero", lambda: _train(method="pcd", n_chains=0), ValueError, "n_chains"),
    ("chains wrong width", lambda: _train(method="pcd", chains=np.zeros((7, 5))), ValueError, "chains"),
    ("fast_lr negative", lambda: _train(method="fpcd", fast_lr=-1.0), ValueError, "fast_lr"),
    ("fast_decay one", lambda: _train(method="fpcd", fast_decay=1.0), ValueError, "fast_decay"),
    ("dtype integer", lambda: _train(dtype=np.int64), ValueError, "dtype"),
    ("dtype nonsense", lambda: _train(dtype="float99"), TypeError, "dtype"),
    ("cd_gradient v wrong width", lambda: cd_gradient(_rbm(), np.zeros((2, 3)), 1, 0), ValueError, "v"),
    ("cd_gradient k zero", lambda: cd_gradient(_rbm(), DATA, 0, 0), ValueError, "k"),
    ("cd_gradient rng None", lambda: cd_gradient(_rbm(), DATA, 1), TypeError, "rng"),
    ("pcd_gradient chains wrong width", lambda: pcd_gradient(_rbm(), DATA, np.zeros((3, 5)), 1, 0), ValueError,
     "chains"),
    ("pcd_gradient chains non-binary", lambda: pcd_gradient(_rbm(), DATA, np.full((3, 4), 0.5), 1, 0),
     ValueError, "chains"),
    ("fpcd_gradient fast missing key", lambda: _fpcd(fast={"W": np.zeros((9, 4))}), TypeError, "fast"),
    ("fpcd_gradient fast wrong shape", lambda: _fpcd(fast={"W": np.zeros((4, 9)), "b": np.zeros(9),
                                                           "c": np.zeros(4)}), ValueError, "fast"),
    ("init_visible_bias eps too large", lambda: init_visible_bias(DATA, eps=0.7), ValueError, "eps"),
    ("momentum_schedule final one", lambda: momentum_schedule(final=1.0), ValueError, "final"),
    ("train_bm model wrong type", lambda: train_bm("model", DATA), TypeError, "model"),
    ("train_bm lr zero", lambda: train_bm(_rbm(), DATA, settings=GradientAscent(lr=0)), ValueError, "lr"),
    ("sample_chains n_sweeps negative", lambda: sample_chains(_rbm(), DATA, -1, 0), ValueError, "n_sweeps"),
    ("sample_chains v0 wrong width", lambda: sample_chains(_rbm(), np.zeros((2, 3)), 1, 0), ValueError, "v0"),
    ("fit_like_sklearn random_state None", lambda: fit_like_sklearn(DATA, 4), TypeError, "random_state"),
    ("fit_like_sklearn random_state too big", lambda: fit_like_sklearn(DATA, 4, random_state=2**32), ValueError,
     "random_state"),
    ("fit_like_sklearn n_components zero", lambda: fit_like_sklearn(DATA, 0, random_state=0), ValueError,
     "n_components"),
    ("ais n_chains zero", lambda: ais_log_partition(_rbm(), 0, rng=0), ValueError, "n_chains"),
    ("ais betas not from 0", lambda: ais_log_partition(_rbm(), 5, [0.1, 1.0], rng=0), ValueError, "betas"),
    ("ais betas decreasing", lambda: ais_log_partition(_rbm(), 5, [0.0, 0.6, 0.4, 1.0], rng=0), ValueError,
     "betas"),
    ("ais betas NaN", lambda: ais_log_partition(_rbm(), 5, [0.0, np.nan, 1.0], rng=0), ValueError, "betas"),
    ("ais rng None", lambda: ais_log_partition(_rbm(), 5, [0.0, 1.0]), TypeError, "rng"),
    ("ais base_visible_bias wrong shape", lambda: ais_log_partition(_rbm(), 5, [0.0, 1.0], rng=0,
                                                                     base_visible_bias=np.zeros(4)),
     ValueError, "base_visible_bias"),
    ("ais data wrong width", lambda: ais_log_partition(_rbm(), 5, [0.0, 1.0], rng=0, data=np.zeros((3, 4))),
     ValueError, "data"),
    ("ais rbm wrong type", lambda: ais_log_partition("rbm", 5, [0.0, 1.0], rng=0), TypeError, "rbm"),
    ("linear_betas one", lambda: linear_betas(1), ValueError, "n_betas"),
    ("estimated_log_likelihood log_z NaN", lambda: estimated_log_likelihood(_rbm(), DATA, np.nan), ValueError,
     "log_z"),
    ("load_digits n_train all", lambda: load_digits_binary(n_train=1797), ValueError, "n_train"),
    ("load_digits threshold string", lambda: load_digits_binary(threshold="8"), TypeError, "threshold"),
    ("load_digits seed negative", lambda: load_digits_binary(seed=-1), ValueError, "seed"),
    ("bars_and_stripes n zero", lambda: bars_and_stripes(0), ValueError, "n"),
    ("helmholtz_bars p_bar above one", lambda: helmholtz_bars(5, rng=0, p_bar=1.5), ValueError, "p_bar"),
    ("helmholtz_bars rng None", lambda: helmholtz_bars(5, rng=None), TypeError, "rng"),
    ("helmholtz_bars n_samples zero", lambda: helmholtz_bars(0, rng=0), ValueError, "n_samples"),
    ("helmholtz_bars_distribution p_vertical NaN", lambda: helmholtz_bars_distribution(p_vertical=np.nan),
     ValueError, "p_vertical"),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input_raises_clear_error(case):
    _, call, exception, argument = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning may escape on the way to the error
        with pytest.raises(exception) as info:
            call()
    assert re.search(rf"(?<![A-Za-z_]){re.escape(argument)}(?![A-Za-z_])", str(info.value)), str(info.value)


def test_at_least_fifteen_distinct_arguments_are_checked():
    assert len({case[3] for case in CASES}) >= 15
