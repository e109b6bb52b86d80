"""Benchmarks of the engagement service (``python -m bench.engagement.health``)."""
