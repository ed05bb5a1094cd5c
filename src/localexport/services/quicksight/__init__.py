"""Amazon QuickSight: the assets asset bundles carry, and asset bundle export and import jobs."""

from ...core.runtime import Runtime
from . import assets, exports, handlers, imports  # noqa: F401  (handlers registers its operations)

operations = assets.op


def install(runtime: Runtime) -> None:
    runtime.engine.register(exports.KIND, exports.make_runner(runtime))
    runtime.engine.register(imports.KIND, imports.make_runner(runtime))
