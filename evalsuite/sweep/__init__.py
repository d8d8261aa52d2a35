"""The sweep experiments: accuracy against the fraction of training data, and against the
teacher's label noise (synthetic task), with intervals and tests against a baseline.

``plan`` (what runs) -> ``run`` (train and score, resumable) -> ``analysis`` (numbers from the
runs) -> ``table``, ``figure``, ``report`` (what is written). The package exports the plan only,
so that ``evalsuite sweep --help`` imports no numerics library; the stages are imported from
their modules.
"""

from evalsuite.sweep.plan import NOISE_TARGETS, SweepConfig, SweepPoint, plan_points

__all__ = ["NOISE_TARGETS", "SweepConfig", "SweepPoint", "plan_points"]
