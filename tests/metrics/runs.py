"""Fixture runs for the analysis tests: write records (and representations) as the scorer does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evalsuite.runs import REPRESENTATIONS, RunWriter


def record(
    i: int | str,
    *,
    gold: str = "1",
    correct: bool = True,
    confidence: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One run record with the fields readers rely on."""
    answer = extra.pop("answer", gold if correct else "0")
    return {
        "id": str(i),
        "gold": gold,
        "prediction": answer,
        "answer": answer,
        "correct": correct,
        "confidence": confidence,
        **extra,
    }


def write_run(
    path: Path,
    records: Sequence[Mapping[str, Any]],
    *,
    representations: Mapping[str, np.ndarray] | None = None,
    task: str = "arith",
    name: str | None = None,
    split: str = "test",
    model_hash: str | None = None,
) -> Path:
    """A complete run directory (manifest, records, optional representations.npz)."""
    manifest: dict[str, Any] = {"kind": "test", "task": task, "split": split,
                                "name": name or path.name}  # fmt: skip
    if model_hash is not None:
        manifest["model_hash"] = model_hash
    writer = RunWriter(path, manifest)
    writer.append(records)
    writer.finish([r["id"] for r in records])
    if representations is not None:
        np.savez(path / REPRESENTATIONS, **representations)
    return path


def simulated_records(
    n: int, *, accuracy: float, rng: np.random.Generator, calibrated: bool = True
) -> list[dict[str, Any]]:
    """Records whose confidence is calibrated (or over-confident) for the given accuracy."""
    conf = np.clip(rng.beta(8 * accuracy, 8 * (1 - accuracy), size=n), 0.0, 1.0)
    hit = rng.random(n) < conf
    if not calibrated:
        conf = np.sqrt(conf)
    return [
        record(i, gold=str(i % 7), correct=bool(h), confidence=float(c))
        for i, (h, c) in enumerate(zip(hit, conf, strict=True))
    ]
