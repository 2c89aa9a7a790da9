"""Exception hierarchy; only the CLI turns these into messages and exit codes."""

from __future__ import annotations


class FwcorrError(Exception):
    """Base class for errors a user can act on."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return f"{where}{self.message}"


class InputError(FwcorrError):
    """An input path is missing, unreadable or not usable."""


class ParseError(FwcorrError):
    """A whole input could not be parsed (single bad records are rejects, not errors)."""


class ConfigError(FwcorrError):
    """The site configuration or a command-line option is invalid."""
