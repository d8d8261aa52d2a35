"""evalsuite: evaluation and analysis for distilled reasoners (DSS, MI, mixed, Socratic)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
