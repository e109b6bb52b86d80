"""Database access: engine, unit of work, migrations, transient-error classification."""
