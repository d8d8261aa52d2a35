"""Fixtures of the run-directory tests: the scoring tests' small e-SNLI-format file."""

from tests.scoring.conftest import nli_file

__all__ = ["nli_file"]
