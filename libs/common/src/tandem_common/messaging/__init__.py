"""Kafka: broker factory, topic provisioning, reliable consumption, dead letters."""
