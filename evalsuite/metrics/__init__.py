"""Metrics: pure functions on numpy arrays and run records. Nothing here imports torch."""

__all__: list[str] = []
