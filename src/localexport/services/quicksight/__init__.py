"""Amazon QuickSight: the assets asset bundles carry, asset bundle export and import jobs, and the users, groups,
namespaces and account settings around them."""

from ...core.runtime import Runtime
from . import account, assets, exports, handlers, identity, imports, ingestions, search  # noqa: F401  (register on import)

operations = assets.op


def install(runtime: Runtime) -> None:
    runtime.engine.register(exports.KIND, exports.make_runner(runtime))
    runtime.engine.register(imports.KIND, imports.make_runner(runtime), imports.abandoned)
    runtime.engine.register(ingestions.KIND, ingestions.make_runner(runtime))
