"""Benchmarks of the matching engine (`python -m bench.matching`)."""
