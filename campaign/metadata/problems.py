"""What is wrong with a metadata file: each problem with its file, line and field, all together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from campaign.errors import ConfigError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a metadata file: where (file, line, field), what, and how to fix it."""

    source: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}, line {self.line}"
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class InvalidMetadata(ConfigError):
    """Metadata with one or more problems; ``problems`` lists them all, in file order."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: p.line)
        n = len(self.problems)
        head = f"{source} has {n} problem{'s' if n != 1 else ''}; fix {'them' if n != 1 else 'it'} and load it again:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class Missing:
    """Marks a value that is absent or could not be read (its problem is already recorded)."""


MISSING = Missing()
