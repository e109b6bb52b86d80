"""Alembic environment shared by every service.

The runner passes the connection and the target metadata through
``config.attributes``, so no service needs an ``alembic.ini`` or an ``env.py``.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=config.attributes.get("target_metadata"),
    version_table="alembic_version",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
