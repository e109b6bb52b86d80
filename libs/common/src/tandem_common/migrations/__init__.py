"""Alembic: the backbone branch and the runner every service uses at start-up."""
