"""Scoring: batched generation and confidences, representations, the PoT sandbox, run I/O."""

from evalsuite.scoring.rundir import Run, RunWriter, read_run, validate_record

__all__ = ["Run", "RunWriter", "read_run", "validate_record"]
