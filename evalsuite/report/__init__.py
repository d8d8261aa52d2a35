"""Report output: LaTeX tables and figures, computed from runs only (never from a model)."""

__all__ = ["reliability"]
