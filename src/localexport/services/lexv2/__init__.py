"""Amazon Lex V2 (lexv2-models): bot building and export jobs."""

from ...core.runtime import Runtime
from . import (  # noqa: F401  (operations register on import)
    aliases,
    builtins,
    exports,
    handlers,
    imports,
    policies,
    tags,
    testsets,
    vocabulary,
)

operations = handlers.op


def install(runtime: Runtime) -> None:
    runtime.engine.register(exports.KIND, exports.make_runner(runtime))
    runtime.engine.register(imports.KIND, imports.make_runner(runtime))
