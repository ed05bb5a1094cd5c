"""Amazon Personalize (personalize, personalize-events): datasets, their records,
dataset import and export jobs, recipes, solutions, solution versions (training jobs) and campaigns."""

from ...core.runtime import Runtime

# (each module registers its operations)
from . import campaigns, events, exports, handlers, imports, recipes, solutions, tags, training  # noqa: F401

operations = (handlers.op, events.op)


def install(runtime: Runtime) -> None:
    runtime.engine.register(imports.KIND, imports.make_runner(runtime))
    runtime.engine.register(exports.KIND, exports.make_runner(runtime))
    runtime.engine.register(training.KIND, training.make_runner(runtime))
