"""Model families: plain-Python fit, predict and evaluate per task, no ZenML and no Feast.

Each family module (``forecasting``, ``language``, ``ranking``, ``retrieval``, ``text``,
``vision``, and the tabular and anomaly families) exports ``fit(model, frame, seed)``,
``predict(model, fitted, frame)`` and ``evaluate(model, fitted, holdout)``; ``model`` is the
plan's ``models[]`` entry (see :mod:`.common` for the attributes read). The pipeline steps call
them, so a user can run or change a family without the orchestrator.
"""
