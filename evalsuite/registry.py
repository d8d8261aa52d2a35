"""A registry: an ordered ``name -> entry`` mapping that refuses an unknown name in one line.

Every concept with names (recipes, output formats, path modes, paired tests, MI estimators,
metrics) keeps them in one :class:`Registry`, so a name is written once and every caller's error
reads the same: ``unknown recipe 'x'; choose from standard, single, ...``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from evalsuite.errors import UsageError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(dict[str, T]):
    """Entries by name, in the order registered; ``registry[name]`` refuses unknown names.

    ``in``, ``get`` and iteration behave as for a dict; only indexing an unknown name raises,
    with a :class:`~evalsuite.errors.UsageError` (exit status 2 in the CLI), or ``error`` where
    the registry belongs to a library layer that raises ``ValueError`` (:mod:`evalsuite.metrics`).

    Examples
    --------
    >>> colours = Registry("colour", {"red": "#f00", "blue": "#00f"})
    >>> colours["red"], colours.names
    ('#f00', ('red', 'blue'))
    >>> colours["green"]
    Traceback (most recent call last):
    ...
    evalsuite.errors.UsageError: unknown colour 'green'; choose from red, blue
    """

    def __init__(
        self,
        concept: str,
        entries: Mapping[str, T] | Iterable[tuple[str, T]] = (),
        *,
        error: type[Exception] = UsageError,
    ) -> None:
        super().__init__(entries)
        self.concept = concept
        self.error = error

    def __missing__(self, name: str) -> T:
        raise self.error(f"unknown {self.concept} '{name}'; choose from {', '.join(self)}")

    @property
    def names(self) -> tuple[str, ...]:
        """The names, in order (what an argparse ``choices`` takes)."""
        return tuple(self)

    def check(self, name: str) -> str:
        """``name`` itself when registered; else the one-line error."""
        self[name]
        return name
