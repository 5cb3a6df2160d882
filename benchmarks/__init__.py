"""Benchmarks of dreambook against scikit-learn's BernoulliRBM; run ``python -m benchmarks``."""
