"""Scoring: batched generation and confidences, representations, run I/O.

PoT programs run in :mod:`evalsuite.sandbox`, a package of its own.
"""

from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.imports import import_predictions, import_teacher
from evalsuite.scoring.rundir import Run, RunWriter, read_run, validate_record
from evalsuite.scoring.scorer import ScoreConfig, ScoreResult, score_checkpoint

__all__ = [
    "DecodingConfig",
    "Run",
    "RunWriter",
    "ScoreConfig",
    "ScoreResult",
    "import_predictions",
    "import_teacher",
    "read_run",
    "score_checkpoint",
    "validate_record",
]
