"""Alembic's entry point: migrations run on the connection ``upgrade`` hands over (never from a URL)."""

from alembic import context

from localexport.core.store_tables import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata)
with context.begin_transaction():  # the caller's transaction: a no-op here, committed by the caller
    context.run_migrations()
