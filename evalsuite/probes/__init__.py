"""Faithfulness probes (``evalsuite probe``): does a student's answer depend on its rationale?

Interventions on the rationale (:mod:`.steps`), the probe registry (:mod:`.registry`), greedy
decoding after a forced prefix (:mod:`.forcing`), the probe run (:mod:`.runner`, records in
:mod:`.records`) and its summary (:mod:`.summary`).
"""

from evalsuite.probes.records import Intervention, interventions_of
from evalsuite.probes.registry import PROBES, check_applies
from evalsuite.probes.summary import summarize_probes

__all__ = ["PROBES", "Intervention", "check_applies", "interventions_of", "summarize_probes"]
