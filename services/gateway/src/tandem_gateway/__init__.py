"""Tandem GraphQL gateway (port 8000): one API for every front end."""
