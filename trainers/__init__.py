"""Training recipes for distilled students: losses, collators, the training loop, students."""

__all__: list[str] = []
