"""Amazon Personalize (personalize, personalize-events, personalize-runtime): datasets, their records,
dataset import and export jobs, recipes, solutions, solution versions (training jobs), campaigns and
recommenders, the recommendations they answer, filters, batch inference and batch segment jobs, data
deletion jobs, and metric attributions."""

from ...core.runtime import Runtime

# (each module registers its operations)
from . import (  # noqa: F401
    batch_inference,
    batch_segments,
    campaigns,
    deletion,
    events,
    exports,
    filters,
    handlers,
    imports,
    metric_attributions,
    recipes,
    recommenders,
    runtime,
    solutions,
    tags,
    training,
)

operations = (handlers.op, events.op, runtime.op)
JOBS = (imports, exports, training, batch_inference, batch_segments, deletion)  # the modules whose jobs the engine runs


def install(runtime_: Runtime) -> None:
    for module in JOBS:
        runtime_.engine.register(module.KIND, module.make_runner(runtime_))
