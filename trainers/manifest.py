"""The ``train_manifest.json`` a checkpoint carries: how to prompt it and how it was made.

``evalsuite score`` reads the ``prompt`` block, and ``weights_sha256`` to refuse a manifest copied
beside other weights; the rest is for people and reports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalsuite.checkpoint import BASE_MODEL_FIELD, WEIGHTS_HASH_FIELD, BaseModel, weights_file
from evalsuite.provenance import file_sha256, now_iso, provenance
from trainers.config import TrainConfig
from trainers.data import TrainingData
from trainers.recipes import Recipe

__all__ = ["MANIFEST_VERSION", "Curves", "build_manifest"]

MANIFEST_VERSION = 1


@dataclass
class Curves:
    """Learning curves, appended as training runs (the one mutable record of the loop).

    ``train`` has one entry per step (``step``, ``lr``, every loss part and ``seconds``, the
    step's wall time); ``valid`` one per evaluation (``step``, every loss part, ``accuracy``).
    """

    train: list[dict[str, float]] = field(default_factory=list)
    valid: list[dict[str, float]] = field(default_factory=list)

    def best(self) -> dict[str, float] | None:
        """The evaluation with the highest valid accuracy; ties go to the lower valid loss,
        then to the earlier step."""
        if not self.valid:
            return None
        return max(self.valid, key=lambda row: (row["accuracy"], -row["loss"], -row["step"]))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_manifest(
    *,
    config: TrainConfig,
    recipe: Recipe,
    data: TrainingData,
    curves: Curves,
    step: int,
    status: str,
    started: str,
    world_size: int,
    device: str,
    n_parameters: int,
    train_seconds: float,
    out: Path,
    base_model: BaseModel | None = None,
) -> dict[str, Any]:
    """The manifest of a run that has completed ``step`` steps, written into ``out``.

    ``status`` is ``"running"`` (saved at an evaluation), ``"interrupted"`` or ``"complete"``.
    ``weights_sha256`` is the SHA-256 of ``out/model.safetensors`` (of the adapter's weights for
    LoRA; null before the first save), so that a manifest copied beside other weights is refused
    by ``evalsuite score``. ``base_model`` is a LoRA adapter's base model (null otherwise).
    """
    weights = weights_file(out)
    prompt = recipe.prompt_format()
    best = curves.best()
    done_here = len(curves.train)
    return {
        "manifest_version": MANIFEST_VERSION,
        "recipe": config.recipe,
        "task": config.task,
        "prompt": prompt.to_dict(),
        "input_format": {
            "output": prompt.output,
            "label_prefix": prompt.label_prefix,
            "rationale_prefix": prompt.rationale_prefix,
            "label_source": config.label_source,
            "mi_variant": config.mi_variant if config.recipe == "mi" else None,
        },
        "config": config.to_dict(),
        "seed": config.seed,
        WEIGHTS_HASH_FIELD: file_sha256(weights) if weights.is_file() else None,
        BASE_MODEL_FIELD: base_model.to_dict() if base_model is not None else None,
        "data": {
            **data.fingerprint,
            "n_train": len(data.train),
            "n_valid": len(data.valid),
            "selection_split": "valid",
        },
        "student": {"model": config.model, "n_parameters": n_parameters},
        "steps": {"completed": step, "max": config.max_steps},
        "best": None
        if best is None
        else {
            "step": int(best["step"]),
            "valid_accuracy": best["accuracy"],
            "valid_loss": best["loss"],
        },
        "curves": {
            "train_loss": [[row["step"], row["loss"]] for row in curves.train],
            "valid_loss": [[row["step"], row["loss"]] for row in curves.valid],
            "valid_accuracy": [[row["step"], row["accuracy"]] for row in curves.valid],
            "train": curves.train,
            "valid": curves.valid,
        },
        "throughput": {
            "train_seconds": train_seconds,
            "steps_per_second": done_here / train_seconds if train_seconds > 0 else None,
        },
        "distributed": {"world_size": world_size, "device": device},
        "status": status,
        "started": started,
        "updated": now_iso(),
        "provenance": provenance(),
    }
