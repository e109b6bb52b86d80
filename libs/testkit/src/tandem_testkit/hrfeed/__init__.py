"""Synthetic HR feed: a deterministic organisation as hr.employees events."""
