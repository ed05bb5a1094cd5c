"""Amazon Lex V1 (lex-models): bots, intents, slot types, versions, GetExport and imports; talking to a built
bot (lex-runtime)."""

from ...core.runtime import Runtime
from . import aliases, handlers, jobs, migration, runtime_ops  # noqa: F401  (operations register on import)

operations = (handlers.op, runtime_ops.op)


def install(runtime: Runtime) -> None:
    runtime.engine.register(jobs.EXPORT, jobs.make_export_runner(runtime))
    runtime.engine.register(jobs.IMPORT, jobs.make_import_runner(runtime))
    runtime.engine.register(migration.KIND, migration.make_runner(runtime))
