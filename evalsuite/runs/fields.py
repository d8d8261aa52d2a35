"""Reading and writing typed JSON objects: one parser per field, errors that name the field.

Every dataclass of the run contract (:mod:`evalsuite.runs.records`,
:mod:`evalsuite.runs.manifest`) declares its fields with :func:`spec`, naming how a JSON value
is checked and whether an absent optional field is written back as ``null`` or left out. The
generic :func:`from_json` / :func:`to_json` then read and write every such class the same way,
and keep fields the class does not know in its ``extra`` mapping, so a round trip loses nothing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, Self, TypeVar

from evalsuite.errors import DataError

__all__ = [
    "JsonObject",
    "Parser",
    "as_bool",
    "as_int",
    "as_mapping",
    "as_number",
    "as_probability",
    "as_probability_map",
    "as_string_list",
    "as_text",
    "from_json",
    "list_of",
    "nested",
    "spec",
    "to_json",
]

Parser = Callable[[Any, str], Any]
"""``parse(value, name) -> value``; raises ``ValueError`` with what is wrong (``name`` is the
field's dotted name, for nested messages)."""

T = TypeVar("T")


class JsonObject:
    """Base of the contract's dataclasses: ``from_json`` validates, ``to_json`` writes."""

    extra: Mapping[str, Any]

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Self:
        """Read ``obj`` as this class (see :func:`from_json`)."""
        return from_json(cls, obj, where)

    def to_json(self) -> dict[str, Any]:
        """The JSON object (see :func:`to_json`)."""
        return to_json(self)


def spec(
    parse: Parser,
    *,
    required: bool = False,
    omit_none: bool = False,
    default: Any = None,
    fallback: str | None = None,
) -> Any:
    """A dataclass field read by ``parse``.

    ``required``: absent is an error. ``omit_none``: a None value is left out when written
    (fields only some records carry, such as ``paths``); otherwise it is written as ``null``.
    ``fallback``: when absent, read the JSON field of that name instead.
    """
    metadata = {"parse": parse, "required": required, "omit_none": omit_none, "fallback": fallback}
    if required:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def as_text(value: Any, name: str) -> str | None:
    """A string or null."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"field '{name}' must be a string or null, got {value!r}")
    return value


def as_required_text(value: Any, name: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"field '{name}' must be a non-empty string, got {value!r}")
    return value


def as_string(value: Any, name: str) -> str:
    """A string (possibly empty)."""
    if not isinstance(value, str):
        raise ValueError(f"field '{name}' must be a string, got {value!r}")
    return value


def as_bool(value: Any, name: str) -> bool | None:
    """true, false or null."""
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"field '{name}' must be true, false or null, got {value!r}")
    return value


def as_required_bool(value: Any, name: str) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise ValueError(f"field '{name}' must be true or false, got {value!r}")
    return value


def as_int(value: Any, name: str) -> int | None:
    """An integer or null."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError(f"field '{name}' must be an integer or null, got {value!r}")
    return value


def as_number(value: Any, name: str) -> float | int | None:
    """A finite number or null (kept as written: ints stay ints)."""
    if value is not None and not _is_number(value):
        raise ValueError(f"field '{name}' must be a number or null, got {value!r}")
    return value


def as_probability(value: Any, name: str) -> float | int | None:
    """A number in [0, 1] or null."""
    if value is not None and not (_is_number(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"field '{name}' must be a number in [0, 1], got {value!r}")
    return value


def as_probability_map(value: Any, name: str) -> dict[str, float] | None:
    """A mapping of label to a number in [0, 1], or null."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        _is_number(p) and 0.0 <= p <= 1.0 for p in value.values()
    ):
        raise ValueError(f"field '{name}' must map labels to numbers in [0, 1]")
    return dict(value)


def as_mapping(value: Any, name: str) -> dict[str, Any] | None:
    """A JSON object (kept as it is) or null."""
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"field '{name}' must be an object or null, got {value!r}")
    return value


def as_string_list(value: Any, name: str) -> tuple[str, ...] | None:
    """A list of strings or null."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"field '{name}' must be a list of strings or null, got {value!r}")
    return tuple(value)


def nested(cls: type[T]) -> Parser:
    """A JSON object read as ``cls`` (itself declared with :func:`spec`), or null."""

    def parse(value: Any, name: str) -> T | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError(f"field '{name}' must be an object or null, got {value!r}")
        return _build(cls, value, name + ".")

    return parse


def list_of(cls: type[T]) -> Parser:
    """A JSON list of objects read as ``cls``, or null."""

    def parse(value: Any, name: str) -> tuple[T, ...] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise ValueError(f"field '{name}' must be a list or null, got {value!r}")
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise ValueError(f"field '{name}[{i}]' must be an object, got {item!r}")
            items.append(_build(cls, item, f"{name}[{i}]."))
        return tuple(items)

    return parse


def _build(cls: type[T], obj: Mapping[str, Any], prefix: str) -> T:
    values: dict[str, Any] = {}
    known = set()
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name == "extra":
            continue
        known.add(f.name)
        name = prefix + f.name
        key = f.name
        if key not in obj and f.metadata.get("fallback") in obj:
            key = f.metadata["fallback"]
        if key not in obj:
            if f.metadata.get("required"):
                raise ValueError(f"missing field '{name}'")
            continue
        values[f.name] = f.metadata["parse"](obj[key], prefix + key)
    values["extra"] = {k: v for k, v in obj.items() if k not in known}
    return cls(**values)


def from_json(cls: type[T], obj: Any, where: str) -> T:
    """Read ``obj`` as ``cls``; a DataError starting with ``where`` names the bad field.

    Examples
    --------
    >>> from evalsuite.runs.records import Teacher
    >>> from_json(Teacher, {"label": "3", "note": "kept"}, "x").extra
    {'note': 'kept'}
    >>> from_json(Teacher, {"label": 3}, "records.jsonl line 2")
    Traceback (most recent call last):
    ...
    evalsuite.errors.DataError: records.jsonl line 2: field 'label' must be a string or null, got 3
    """
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a JSON object")
    try:
        return _build(cls, obj, "")
    except ValueError as err:
        raise DataError(f"{where}: {err}") from None


def _value_to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value)
    if isinstance(value, tuple):
        return [_value_to_json(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value


def to_json(obj: Any) -> dict[str, Any]:
    """The JSON object of a dataclass declared with :func:`spec`: fields in order, then
    ``extra``; optional fields marked ``omit_none`` are left out when None."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name == "extra":
            continue
        value = getattr(obj, f.name)
        if value is None and f.metadata.get("omit_none"):
            continue
        out[f.name] = _value_to_json(value)
    for key, value in obj.extra.items():
        out.setdefault(key, value)
    return out
