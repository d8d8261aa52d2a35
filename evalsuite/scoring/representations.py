"""representations.npz, written resumably: one shard per scored batch, merged when the run ends.

A shard is written (atomically) before its batch's records are appended, so every record on
disk has its representation rows. A batch recomputed after a kill writes a newer shard; when
shards are merged, the newest row of an id wins, which is the one whose record was kept. A run
that is re-run after it completed starts from its merged ``representations.npz``.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from evalsuite.errors import DataError
from evalsuite.io import atomic_write_bytes
from evalsuite.scoring.rundir import REPRESENTATIONS

__all__ = ["SHARD_DIR", "RepresentationShards", "save_npz"]

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
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: unreadable representation shard ({err})") from None


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
            shard = _load_npz(path)
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
