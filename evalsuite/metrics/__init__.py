"""Metrics: pure functions on numpy arrays and run records. Nothing here imports torch.

Modules, one family each:

- ``rates``: proportions with counts and Wilson intervals;
- ``extraction``: the warning of a run whose answers mostly could not be read;
- ``calibration``: reliability curve, ECE/MCE, debiased ECE, smooth ECE, Brier, MMCE, AURC;
- ``calibration_bootstrap``: bootstrap intervals of ECE, smooth ECE and Brier;
- ``smooth_ece_batch``: relplot's smooth ECE of many resamples at once (for its interval);
- ``temperature``: temperature scaling fitted on a named split (never test);
- ``significance``: McNemar, paired bootstrap and permutation tests, Cochran's Q, Holm, seeds;
- ``pairing`` and ``comparison``: aligning runs by id and what ``evalsuite compare`` reports;
- ``mutual_info`` and ``critics``: KSG, InfoNCE/NWJ/SMILE/CLUB with numpy critics, probe bound;
- ``mi_bootstrap``, ``mi_truth``, ``mi_checks``: MI intervals over examples, known-truth bias
  checks, warnings when estimates contradict;
- ``rationale``: rationale length and BLEU / ROUGE-L overlap with the teacher;
- ``paths``: multi-path students: accuracy per path kind, voting, PoT failures, agreement;
- ``summary``: ``summarize_run``, the metrics.json of a run;
- ``resampling``: the injected-rng and interval helpers they share.
"""

__all__ = [
    "calibration",
    "calibration_bootstrap",
    "comparison",
    "critics",
    "extraction",
    "mi_bootstrap",
    "mi_checks",
    "mi_truth",
    "mutual_info",
    "pairing",
    "paths",
    "rates",
    "rationale",
    "resampling",
    "significance",
    "smooth_ece_batch",
    "summary",
    "temperature",
]
