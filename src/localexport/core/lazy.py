"""Heavy libraries imported at their first use, not when the module naming them is imported: the first
call under ``mock_export()`` pays only for the services it calls (DuckDB and pyarrow are 0.1 s of an
import, pyzipper and its crypto 0.06 s).

Not ``importlib.util.LazyLoader``: on Python 3.11 its first attribute access is not thread-safe (two job
threads could each run the module's code); ``import_module`` here takes the import lock."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``; the first attribute read imports it."""

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:  # only for what this object does not hold itself
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name}{'' if self._module is None else ' (loaded)'}>"
