"""An explicit registry of modules by name, imported on first use (so a run that needs one
parser does not load them all)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType


class ModuleRegistry(Mapping[str, ModuleType]):
    """name -> module, declared as dotted paths in a fixed order."""

    def __init__(self, paths: dict[str, str]) -> None:
        self._paths = dict(paths)

    def __getitem__(self, name: str) -> ModuleType:
        return importlib.import_module(self._paths[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)
