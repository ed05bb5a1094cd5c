"""Amazon Lex V2: bot building and export jobs (lexv2-models), talking to a built bot (lexv2-runtime)."""

from ...core.runtime import Runtime
from . import (  # noqa: F401  (operations register on import)
    aliases,
    builtins,
    exports,
    handlers,
    imports,
    policies,
    runtime_ops,
    tags,
    test_executions,
    test_set_generation,
    testsets,
    vocabulary,
)

operations = (handlers.op, runtime_ops.op)


def install(runtime: Runtime) -> None:
    runtime.engine.register(exports.KIND, exports.make_runner(runtime))
    runtime.engine.register(imports.KIND, imports.make_runner(runtime))
    runtime.engine.register(test_executions.KIND, test_executions.make_runner(runtime))
    runtime.engine.register(test_set_generation.KIND, test_set_generation.make_runner(runtime))
