"""Test infrastructure shared by every test tier (not imported by production code)."""
