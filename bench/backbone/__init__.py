"""Backbone benchmark: relay and consumer throughput beside raw Kafka and PostgreSQL rates."""
