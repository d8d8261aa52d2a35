"""Scoring: batched generation, confidences and representations.

PoT programs run in :mod:`evalsuite.sandbox`; runs are read and written by :mod:`evalsuite.runs`.
"""

from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.scorer import ScoreConfig, ScoreResult, score_checkpoint

__all__ = [
    "DecodingConfig",
    "ScoreConfig",
    "ScoreResult",
    "score_checkpoint",
]
