"""Benchmarks of the running matching service (``python -m bench.matching_service.round``)."""
