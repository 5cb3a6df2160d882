"""Entry point: ``python -m benchmarks [--quick] [--reps N] [--json FILE]``."""

from benchmarks.run import main

main()
