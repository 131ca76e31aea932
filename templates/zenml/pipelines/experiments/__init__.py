"""The read-out of the plan's A/B experiments: lift, sample ratio and saturation per metric.

``python -m pipelines.experiments.analysis`` reads an experiment's exposure log, the outcomes
of its predictions and, when the service logged them, its disagreement sample; it writes
``report.json`` and ``report.md``. The modules, in the order the read-out uses them:
:mod:`.design` (the plan's experiment), :mod:`.logs` (reading and checking the files),
:mod:`.assignment` (stickiness and sample-ratio mismatch), :mod:`.estimates` (lift and its
interval at the randomisation unit), :mod:`.saturation` (how often the arms disagree and
what that does to the sample size) and :mod:`.report` (verdict and rendering).
"""
