"""Amazon Personalize (personalize, personalize-events): datasets, their records,
and dataset import and export jobs."""

from ...core.runtime import Runtime
from . import events, exports, handlers, imports, tags  # noqa: F401  (tags registers its operations)

operations = (handlers.op, events.op)


def install(runtime: Runtime) -> None:
    runtime.engine.register(imports.KIND, imports.make_runner(runtime))
    runtime.engine.register(exports.KIND, exports.make_runner(runtime))
