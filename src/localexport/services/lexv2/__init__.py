"""Amazon Lex V2 (lexv2-models): bot building and export jobs."""

from ...core.runtime import Runtime
from . import exports, handlers, imports, testsets, vocabulary  # noqa: F401  (their operations register on import)

operations = handlers.op


def install(runtime: Runtime) -> None:
    runtime.engine.register(exports.KIND, exports.make_runner(runtime))
    runtime.engine.register(imports.KIND, imports.make_runner(runtime))
