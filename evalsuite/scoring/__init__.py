"""Scoring: batched generation and confidences, representations, the PoT sandbox, run I/O."""

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

__all__ = [
    "ERROR_KINDS",
    "PolicyViolation",
    "Run",
    "RunWriter",
    "Sandbox",
    "SandboxConfig",
    "SandboxResult",
    "check_program",
    "read_run",
    "run_program",
    "run_programs",
    "validate_record",
]
