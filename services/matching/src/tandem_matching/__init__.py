"""Tandem matching service package."""
