"""Tandem profiles service package."""
