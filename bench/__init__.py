"""Benchmarks and the matching evaluation: scripts run as modules (`python -m bench.evaluate_matching`)."""
