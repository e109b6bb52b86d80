"""Tandem's shared backbone. Importing this package has no side effects."""
