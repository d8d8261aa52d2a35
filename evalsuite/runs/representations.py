"""representations.npz: read back checked against the records, and written resumably.

The file holds ``ids`` (one per row) and named arrays of pooled hidden states, one row per
id: ``label_repr``, ``rationale_repr``, ``label_prompt_repr``, ``rationale_prompt_repr``
(docs/runs.md; runs scored before causal students name the last two ``*_encoder_repr``).
:func:`read_representations` refuses ids that match no record, duplicate ids, and arrays whose
row count disagrees with the ids, so ``mi`` and ``report`` never pair rows with the wrong
examples.

Writing: one shard per scored batch, merged when the run ends.

A shard is written (atomically) before its batch's records are appended, so every record on
disk has its representation rows. A batch recomputed after a kill writes a newer shard; when
shards are merged, the newest row of an id wins, which is the one whose record was kept. A run
that is re-run after it completed starts from its merged ``representations.npz``.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evalsuite.errors import DataError
from evalsuite.io import atomic_write_bytes
from evalsuite.runs.layout import REPRESENTATIONS

__all__ = [
    "KEY_ALIASES",
    "SHARD_DIR",
    "RepresentationShards",
    "Representations",
    "read_representations",
    "save_npz",
]

KEY_ALIASES = {
    "label_prompt_repr": "label_encoder_repr",
    "rationale_prompt_repr": "rationale_encoder_repr",
}
"""Architecture-neutral key -> the name runs scored before causal students stored it under
(an encoder-decoder's pooled prompt states are its encoder's). Either name reads either."""

_CURRENT_NAME = {old: new for new, old in KEY_ALIASES.items()}


@dataclass(frozen=True)
class Representations:
    """The rows of representations.npz: one per id, every array with the same row order.

    Examples
    --------
    >>> reps = Representations(("a", "b"), {"label_encoder_repr": np.zeros((2, 3))})
    >>> reps.array("label_prompt_repr").shape, reps.keys()
    ((2, 3), ['label_encoder_repr'])
    """

    ids: tuple[str, ...]
    """The example id of each row."""
    arrays: Mapping[str, np.ndarray]
    """Named arrays of shape (len(ids), d): pooled hidden states."""

    def keys(self) -> list[str]:
        """The names of the arrays, sorted."""
        return sorted(self.arrays)

    def _resolve(self, key: str) -> str | None:
        if key in self.arrays:
            return key
        for alias, name in KEY_ALIASES.items():
            if key == alias and name in self.arrays:
                return name
            if key == name and alias in self.arrays:
                return alias
        return None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._resolve(key) is not None

    def array(self, key: str) -> np.ndarray:
        """The array named ``key`` (or its alias).

        Raises
        ------
        KeyError
            When neither is stored.
        """
        name = self._resolve(key)
        if name is None:
            raise KeyError(key)
        return self.arrays[name]


def read_representations(path: Path, record_ids: Sequence[str]) -> Representations:
    """Read representations.npz and check its ids against the run's records.

    Raises
    ------
    DataError
        One line naming ``path``: unreadable, no ``ids``, ids that are not one flat list, an id
        that occurs twice or matches no record, or an array whose row count differs from the
        number of ids.
    """
    arrays = _load_npz(path)
    if "ids" not in arrays:
        raise DataError(f"{path}: no 'ids' array (one example id per row)")
    raw = arrays.pop("ids")
    if raw.ndim != 1:
        raise DataError(f"{path}: 'ids' must be a flat list of example ids, got shape {raw.shape}")
    ids = tuple(str(i) for i in raw.tolist())
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise DataError(f"{path}: id '{i}' occurs twice in 'ids'")
        seen.add(i)
    known = set(record_ids)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise DataError(
            f"{path}: {len(unknown)} ids match no record of the run, e.g. '{unknown[0]}'"
        )
    for key, array in arrays.items():
        if array.ndim < 1 or array.shape[0] != len(ids):
            rows = array.shape[0] if array.ndim else 0
            raise DataError(f"{path}: '{key}' has {rows} rows but 'ids' has {len(ids)} entries")
    return Representations(ids, arrays)


SHARD_DIR = ".representations"
_SHARD = re.compile(r"^(\d{8})\.npz$")


def save_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write arrays as an uncompressed .npz through a temporary name and a rename."""
    buffer = io.BytesIO()
    np.savez(buffer, **dict(arrays))  # type: ignore[arg-type]
    atomic_write_bytes(path, buffer.getvalue())


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise DataError(f"{path}: unreadable ({err})") from None


class RepresentationShards:
    """Per-batch representation shards of one run directory.

    Parameters
    ----------
    run_dir : Path
        The run directory; shards live in its ``.representations/`` folder until merged.
    """

    def __init__(self, run_dir: Path) -> None:
        self.dir = Path(run_dir) / SHARD_DIR
        self._next = 1 + max(self._sequence_numbers(), default=0)

    def _sequence_numbers(self) -> list[int]:
        if not self.dir.is_dir():
            return []
        return sorted(
            int(m.group(1)) for p in self.dir.iterdir() if (m := _SHARD.match(p.name)) is not None
        )

    def write(self, ids: Sequence[str], arrays: Mapping[str, np.ndarray]) -> None:
        """Store the rows of ``ids`` (each array has shape (len(ids), d))."""
        if not ids:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        save_npz(self.dir / f"{self._next:08d}.npz", {"ids": np.asarray(ids), **arrays})
        self._next += 1

    def merge(self, order: Sequence[str]) -> dict[str, np.ndarray]:
        """Write ``representations.npz`` with rows in ``order``, then remove the shards.

        Returns the merged arrays.

        Raises
        ------
        DataError
            When an id of ``order`` has no row, or shards disagree on keys or widths.
        """
        rows: dict[str, dict[str, np.ndarray]] = {}
        keys: tuple[str, ...] | None = None
        # A run finished before (and now re-run) holds its rows in the merged file already.
        merged_before = self.dir.parent / REPRESENTATIONS
        sources = [merged_before] if merged_before.is_file() else []
        sources += [self.dir / f"{n:08d}.npz" for n in self._sequence_numbers()]
        for path in sources:
            # A run begun under the old key names and resumed now merges under the new ones.
            shard = {_CURRENT_NAME.get(k, k): v for k, v in _load_npz(path).items()}
            shard_keys = tuple(sorted(k for k in shard if k != "ids"))
            if keys is not None and shard_keys != keys:
                raise DataError(f"{path}: keys {shard_keys} differ from earlier shards {keys}")
            keys = shard_keys
            for j, example_id in enumerate(shard["ids"].tolist()):
                rows[str(example_id)] = {key: shard[key][j] for key in shard_keys}
        missing = [i for i in order if i not in rows]
        if missing:
            raise DataError(
                f"{self.dir}: no representation for {len(missing)} examples, e.g. '{missing[0]}'"
            )
        merged: dict[str, np.ndarray] = {"ids": np.asarray(list(order), dtype=str)}
        for key in keys or ():
            merged[key] = np.stack([rows[i][key] for i in order])
        save_npz(merged_before, merged)
        if self.dir.is_dir():
            shutil.rmtree(self.dir)
        return merged
