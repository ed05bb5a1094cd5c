"""Amazon Personalize (personalize, personalize-events, personalize-runtime): datasets, their records,
dataset import and export jobs, recipes, solutions, solution versions (training jobs), campaigns, and the
recommendations campaigns answer."""

from ...core.runtime import Runtime

# (each module registers its operations)
from . import campaigns, events, exports, handlers, imports, recipes, runtime, solutions, tags, training  # noqa: F401

operations = (handlers.op, events.op, runtime.op)
JOBS = (imports, exports, training)  # the modules whose jobs the engine runs


def install(runtime_: Runtime) -> None:
    for module in JOBS:
        runtime_.engine.register(module.KIND, module.make_runner(runtime_))
