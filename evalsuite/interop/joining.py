"""Which task example a sample of another tool's log is about: by its id and its doc's text.

lm-eval and inspect_ai log each sample with an id (lm-eval's ``doc_id`` is the position in the
dataset *they* loaded; inspect's sample ``id`` is whatever the task gave) and the document or
input the model saw. An id alone cannot be trusted: the same split loaded from another copy of
the dataset comes in another order. So a sample is joined by the text too: the example whose
input lines (premise, hypothesis, question, ...) the doc holds. A sample that matches no
example, or an id that names an example whose input the doc does not hold, is an error that
names the file and line; nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalsuite.errors import DataError
from evalsuite.example import Example

__all__ = ["JOIN_MODES", "ExampleIndex", "Join", "text_segments"]

JOIN_MODES = ("auto", "text")
"""``auto``: a positional id must agree with the text; ``text``: the text alone decides (the
file's order differs from the split's)."""

_SEGMENT_BREAK = re.compile(r"\n|</s>")
_SPACE = re.compile(r"\s+")
_ID_FIELDS = ("id", "uid", "ID", "pairID")
"""Fields of a doc that hold the dataset's own id (CQA ``id``, ANLI ``uid``)."""


def _normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold().rstrip(" .?!")


def text_segments(text: str) -> set[str]:
    """The lines of a text, whitespace-collapsed and case-folded (the unit of the text join).

    Examples
    --------
    >>> sorted(text_segments("The cat sat.</s>A cat  sits.\\nHow many?"))
    ['a cat sits', 'how many', 'the cat sat']
    """
    return {s for s in (_normalize(part) for part in _SEGMENT_BREAK.split(text)) if s}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


@dataclass(frozen=True)
class Join:
    """The example a sample is about, and what decided it (``id and text`` or ``text``)."""

    example: Example
    by: str


class ExampleIndex:
    """A split's examples, looked up by id, by position and by the lines of their input.

    ``by_id`` is :func:`evalsuite.runs.imports.examples_by_id` of the examples: their ids and,
    where the ids are positions (``test-3``), the bare positions too (``"3"``).
    """

    def __init__(
        self,
        task_name: str,
        split: str,
        examples: Sequence[Example],
        by_id: Mapping[str, Example],
    ) -> None:
        self.task_name, self.split, self.examples = task_name, split, list(examples)
        self.by_id = dict(by_id)
        self._own_ids = {e.id for e in self.examples}
        self.positional = len(self.by_id) > len(self._own_ids)
        self._by_segment: dict[str, list[int]] = {}
        self._n_segments: list[int] = []
        for i, e in enumerate(self.examples):
            segments = text_segments(e.input)
            self._n_segments.append(len(segments))
            for segment in segments:
                self._by_segment.setdefault(segment, []).append(i)

    @property
    def scope(self) -> str:
        return f"task '{self.task_name}' split '{self.split}'"

    def by_position(self, doc_id: Any) -> Example | None:
        """The example a tool's id names: an example id, or a position (``3``, ``"3"``) where
        the split's ids are positional; else None."""
        if isinstance(doc_id, int) and not isinstance(doc_id, bool):
            doc_id = str(doc_id)
        return self.by_id.get(doc_id) if isinstance(doc_id, str) else None

    def _text_candidates(self, doc: Any) -> list[Example]:
        """The examples whose input lines the doc holds best: the largest share of their own
        lines first, then the most lines (a premise repeated as hypothesis is one line)."""
        segments: set[str] = set()
        for text in _strings(doc):
            segments |= text_segments(text)
        hits: Counter[int] = Counter()
        for segment in segments:
            hits.update(self._by_segment.get(segment, ()))
        if not hits:
            return []
        rank = {i: (n / self._n_segments[i], n) for i, n in hits.items()}
        best = max(rank.values())
        return [self.examples[i] for i in sorted(i for i, r in rank.items() if r == best)]

    def _holds_input(self, doc: Any, example: Example) -> bool:
        mine = text_segments(example.input)
        return any(text_segments(text) & mine for text in _strings(doc))

    def match(self, *, doc_id: Any, doc: Any, where: str, mode: str = "auto") -> Join:
        """The example a sample is about.

        Parameters
        ----------
        doc_id
            The sample's id as the tool logged it (lm-eval ``doc_id``, inspect sample ``id``).
        doc
            What the model was asked about: lm-eval's ``doc``, inspect's input and metadata.
            Any JSON value; its strings are searched for the example's input lines.
        where : str
            "FILE line N" (or "FILE sample K"), the start of every error.
        mode : {"auto", "text"}
            ``auto``: an id naming an example must agree with the text; ``text``: the text
            alone decides, the id is only recorded.

        Raises
        ------
        DataError
            When no example's input is in the doc, when the id names an example whose input it
            does not hold, or when the text fits several examples and the id picks none.
        """
        strong = [doc[f] for f in _ID_FIELDS if isinstance(doc, Mapping) and f in doc]
        for value in strong:
            named = self.by_id.get(str(value)) if str(value) in self._own_ids else None
            if named is not None:
                if not self._holds_input(doc, named):
                    raise DataError(
                        f"{where}: the doc's id '{value}' is example '{named.id}' of "
                        f"{self.scope}, but the doc does not hold that example's input"
                    )
                return Join(named, "id and text")
        candidates = self._text_candidates(doc)
        positioned = self.by_position(doc_id)
        if mode == "auto" and self.positional and positioned is None:
            raise DataError(
                f"{where}: doc_id {doc_id!r} is no example of {self.scope} "
                f"({len(self.examples)} examples); if the file's order differs from the "
                "split's, pass --join text"
            )
        if not candidates:
            if positioned is not None and mode == "auto":
                raise DataError(
                    f"{where}: doc_id {doc_id!r} is example '{positioned.id}' of {self.scope}, "
                    "but the doc does not hold that example's input (wrong --task or --split?)"
                )
            raise DataError(
                f"{where}: doc_id {doc_id!r} matches no example of {self.scope}: "
                "no example's input is in the doc (wrong --task or --split?)"
            )
        if mode == "auto" and positioned is not None:
            if positioned.id in {c.id for c in candidates}:
                return Join(positioned, "id and text")
            raise DataError(
                f"{where}: doc_id {doc_id!r} is example '{positioned.id}' of {self.scope}, "
                f"but the doc holds the input of '{candidates[0].id}'; if the file's order "
                "differs from the split's, pass --join text"
            )
        if len(candidates) > 1:
            if positioned is not None and positioned.id in {c.id for c in candidates}:
                return Join(positioned, "id and text")
            listed = ", ".join(f"'{e.id}'" for e in candidates[:3])
            raise DataError(
                f"{where}: the doc's text fits {len(candidates)} examples of {self.scope} "
                f"({listed}) and doc_id {doc_id!r} picks none of them"
            )
        return Join(candidates[0], "text")
