"""Benchmark of the `tandem` command's start-up (`python -m bench.cli`)."""
