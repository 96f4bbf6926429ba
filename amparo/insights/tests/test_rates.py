from __future__ import annotations

import math

import pytest
from django.utils import translation

from amparo.insights.lib.rates import binom_cdf, clopper_pearson, rate_ratio


def test_wald_interval_matches_the_hand_computed_example():
    # 40 reports in 10 months before a police directive, 20 in 10 months after.
    # Rate ratio = (20/10) / (40/10) = 0.5
    # SE(log RR) = sqrt(1/40 + 1/20) = sqrt(0.075) = 0.273861
    # 95% interval = 0.5 · exp(∓1.96 · 0.273861) = 0.5 · exp(∓0.536768) = 0.2923 … 0.8552
    r = rate_ratio(before_count=40, before_months=10, after_count=20, after_months=10, method="wald")
    assert r.ratio == pytest.approx(0.5)
    assert r.low == pytest.approx(0.2923, abs=1e-4)
    assert r.high == pytest.approx(0.8552, abs=1e-4)
    assert r.rate_before == 4 and r.rate_after == 2


def test_exact_interval_is_a_little_wider_than_wald_and_contains_the_estimate():
    exact = rate_ratio(before_count=40, before_months=10, after_count=20, after_months=10)
    wald = rate_ratio(before_count=40, before_months=10, after_count=20, after_months=10, method="wald")
    assert exact.low < exact.ratio < exact.high
    assert exact.low < wald.low + 0.02 and exact.high > wald.high - 0.02
    # By hand: π = 20/60; the exact interval for π is 0.2169 … 0.4664 (Clopper–Pearson),
    # so RR = π/(1−π) is 0.2770 … 0.8739.
    assert exact.low == pytest.approx(0.2770, abs=2e-3)
    assert exact.high == pytest.approx(0.8739, abs=2e-3)


def test_unequal_periods_are_compared_per_month():
    r = rate_ratio(before_count=24, before_months=12, after_count=6, after_months=6)
    assert r.ratio == pytest.approx(0.5)


def test_clopper_pearson_has_closed_forms_at_the_edges():
    low, high = clopper_pearson(0, 10)
    assert low == 0.0
    assert high == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-9)
    low, high = clopper_pearson(10, 10)
    assert low == pytest.approx(0.025 ** (1 / 10), abs=1e-9)
    assert high == 1.0


def test_binomial_cdf():
    assert binom_cdf(1, 2, 0.5) == pytest.approx(0.75)
    assert binom_cdf(-1, 2, 0.5) == 0.0


def test_it_says_no_clear_change_when_the_interval_crosses_one():
    r = rate_ratio(before_count=6, before_months=6, after_count=4, after_months=6)
    assert not r.clear_change
    with translation.override("en"):
        assert r.summary().startswith("No clear change")
        assert "reports, not violence" in r.summary()


def test_it_words_a_clear_fall_as_reports_not_violence():
    r = rate_ratio(before_count=40, before_months=10, after_count=20, after_months=10)
    with translation.override("en"):
        text = r.summary()
    assert text.startswith("Reports fell by 50% per month")
    assert "violence fell" not in text


def test_it_handles_no_reports_before():
    r = rate_ratio(before_count=0, before_months=6, after_count=4, after_months=6)
    assert r.ratio is None and math.isinf(r.high)
    r = rate_ratio(before_count=0, before_months=6, after_count=0, after_months=6)
    with translation.override("en"):
        assert r.summary() == "Too few reports to compare the periods."


def test_it_rejects_empty_periods():
    with pytest.raises(ValueError):
        rate_ratio(before_count=1, before_months=0, after_count=1, after_months=3)
