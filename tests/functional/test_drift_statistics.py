"""The drift statistics of a generated stack, checked against SciPy and hand-computed values.

``pipelines/monitoring/statistics.py`` is numpy only (the stack pins no SciPy); here, in the
stack's environment where SciPy is installed through scikit-learn, KS, the Jensen-Shannon
distance and the Wasserstein distance are compared with SciPy's, PSI with its formula on
known histograms, and the derived text features with counts made by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.conftest import SPECS
from tests.functional.stack_env import run_json, stack_python
from tests.functional.zenml_stacks import build

CHECK = """
import json
import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, wasserstein_distance
from pipelines.monitoring import statistics as st
from pipelines.monitoring.features import TEXT_FEATURES
rng = np.random.default_rng(1)
a, b = rng.normal(0, 1, 3000), rng.normal(0.3, 1.5, 2000)
counts_a, counts_b = np.array([50.0, 30.0, 20.0]), np.array([20.0, 30.0, 50.0])
text = pd.Series(["héllo wörld 42", "plain ascii", "1234"])
print(json.dumps({
    "ks": [st.ks_statistic(a, b), float(ks_2samp(a, b).statistic)],
    "js": [st.jensen_shannon(counts_a, counts_b), float(jensenshannon(counts_a, counts_b))],
    "w": [st.wasserstein_in_sd(a, b), float(wasserstein_distance(a, b) / np.std(a))],
    "psi": st.psi(counts_a, counts_b),
    "psi_empty_bin": st.psi(np.array([100.0, 0.0]), np.array([90.0, 10.0])),
    "same": st.numeric_score("psi", a, a, 10),
    "edges": len(st.quantile_edges(a, 10)),
    "tv": st.category_score("ks", ["x"] * 8 + ["y"] * 2, ["x"] * 5 + ["y"] * 5),
    "text": {k: [None if pd.isna(v) else float(v) for v in f(text)]
             for k, f in TEXT_FEATURES.items()},
}))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack_python()
    return build(SPECS / "nlp.yaml", tmp_path_factory.mktemp("stats") / "stack")


def test_statistics_match_scipy_and_their_formulas(stack: Path) -> None:
    got = run_json(stack, CHECK)
    for name in ("ks", "js", "w"):
        ours, scipy = got[name]
        assert ours == pytest.approx(scipy, rel=1e-9), name
    expected = sum((q - p) * math.log(q / p) for p, q in ((0.5, 0.2), (0.3, 0.3), (0.2, 0.5)))
    assert got["psi"] == pytest.approx(expected)
    # an empty reference bin counts as 0.1 %: high, finite
    floor = (0.1 - 1e-3) * math.log(0.1 / 1e-3) + (0.9 - 1.0) * math.log(0.9 / 1.0)
    assert got["psi_empty_bin"] == pytest.approx(floor)
    assert got["same"] == 0.0
    assert got["edges"] == 9  # ten decile bins of a continuous sample
    assert got["tv"] == pytest.approx(0.3)  # categories under ks: total variation


def test_text_is_compared_through_derived_numbers(stack: Path) -> None:
    text = run_json(stack, CHECK)["text"]
    assert text["characters"] == [14, 11, 4]
    assert text["tokens"] == [3, 2, 1]
    # é and ö of 10 letters; no letters at all in "1234"
    assert text["non_ascii_letter_share"][:2] == [0.2, 0.0]
    assert text["non_ascii_letter_share"][2] is None
    assert text["digit_share"] == pytest.approx([2 / 14, 0.0, 1.0])
