"""Analyses of whole runs: the steps between reading run directories and the metrics' pure
functions, shared by the CLI verbs, the report and the demo so each is written once.

- ``mutual_information``: label-rationale MI of a run from its representations.npz;
- ``comparison``: reading runs (and groups of runs over seeds) and comparing them.
"""

__all__ = ["comparison", "mutual_information"]
