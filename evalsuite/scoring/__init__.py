"""Scoring: batched generation and confidences, representations, the PoT sandbox, run I/O."""

from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.imports import import_predictions, import_teacher
from evalsuite.scoring.rundir import Run, RunWriter, read_run, validate_record
from evalsuite.scoring.sandbox import (
    ERROR_KINDS,
    Sandbox,
    SandboxConfig,
    SandboxResult,
    run_program,
    run_programs,
)
from evalsuite.scoring.sandbox_policy import PolicyViolation, check_program
from evalsuite.scoring.scorer import ScoreConfig, ScoreResult, score_checkpoint

__all__ = [
    "ERROR_KINDS",
    "DecodingConfig",
    "PolicyViolation",
    "Run",
    "RunWriter",
    "Sandbox",
    "SandboxConfig",
    "SandboxResult",
    "ScoreConfig",
    "ScoreResult",
    "check_program",
    "import_predictions",
    "import_teacher",
    "read_run",
    "run_program",
    "run_programs",
    "score_checkpoint",
    "validate_record",
]
