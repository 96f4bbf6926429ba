"""Before/after comparison of monthly report rates around a milestone, with an honest interval.

Counts of reports in two periods are treated as Poisson with rates λ₀ (before) and λ₁ (after).
Conditional on the total n = a + b, the count after is Binomial(n, π) with
π = t₁·RR / (t₀ + t₁·RR), where RR = λ₁/λ₀ and t are the months observed. An exact
(Clopper–Pearson) interval for π therefore gives an exact interval for the rate ratio, which
stays honest with the small counts community organisations have. The log-normal (Wald)
interval is offered for comparison; it is what one computes by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

Z_95 = 1.959963984540054


def _log_binom_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return (
        math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)
    )


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return min(1.0, sum(math.exp(_log_binom_pmf(i, n, p)) for i in range(k + 1)))


def _bisect(f, lo: float, hi: float) -> float:
    """Root of a monotone function on [lo, hi] to double precision."""
    for _step in range(200):
        mid = (lo + hi) / 2
        if (f(lo) < 0) == (f(mid) < 0):
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    return (lo + hi) / 2


def clopper_pearson(x: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact two-sided interval for a binomial proportion."""
    if n <= 0 or not 0 <= x <= n:
        raise ValueError("need 0 ≤ x ≤ n and n > 0")
    lower = 0.0 if x == 0 else _bisect(lambda p: (1 - binom_cdf(x - 1, n, p)) - alpha / 2, 0.0, 1.0)
    upper = 1.0 if x == n else _bisect(lambda p: binom_cdf(x, n, p) - alpha / 2, 0.0, 1.0)
    return lower, upper


@dataclass(frozen=True)
class RateComparison:
    before_count: int
    before_months: int
    after_count: int
    after_months: int
    ratio: float | None
    low: float | None
    high: float | None
    method: str

    @property
    def rate_before(self) -> float:
        return self.before_count / self.before_months

    @property
    def rate_after(self) -> float:
        return self.after_count / self.after_months

    @property
    def clear_change(self) -> bool:
        return self.low is not None and self.high is not None and (self.high < 1 or self.low > 1)

    def summary(self) -> str:
        """Careful words: these are reports, not the amount of violence."""
        if self.ratio is None or self.low is None or self.high is None:
            return _("Too few reports to compare the periods.")
        if self.ratio < 1:
            text = _("Reports fell by %(pct)s%% per month") % {"pct": round((1 - self.ratio) * 100)}
        elif self.ratio > 1:
            text = _("Reports rose by %(pct)s%% per month") % {"pct": round((self.ratio - 1) * 100)}
        else:
            text = _("Reports per month stayed the same")
        interval = _("95%% interval for the ratio after/before: %(low)s to %(high)s") % {
            "low": f"{self.low:.2f}",
            "high": "∞" if math.isinf(self.high) else f"{self.high:.2f}",
        }
        if not self.clear_change:
            text = _("No clear change") + " (" + text.lower() + ")"
        return f"{text}; {interval}. " + _(
            "Fewer reports can also mean less reporting: this counts reports, not violence."
        )


def rate_ratio(
    *, before_count: int, before_months: int, after_count: int, after_months: int, method: str = "exact"
) -> RateComparison:
    """Rate ratio after/before with a 95% interval (method "exact" or "wald")."""
    for name, value in (
        ("before_count", before_count),
        ("after_count", after_count),
        ("before_months", before_months),
        ("after_months", after_months),
    ):
        if value < 0 or (name.endswith("months") and value == 0):
            raise ValueError(f"{name} must be positive")
    a, b, t0, t1 = before_count, after_count, before_months, after_months
    if a + b == 0:
        return RateComparison(a, t0, b, t1, None, None, None, method)
    ratio = (b / t1) / (a / t0) if a else math.inf
    if method == "wald":
        if a == 0 or b == 0:
            return RateComparison(a, t0, b, t1, ratio if a else None, None, None, method)
        se = math.sqrt(1 / a + 1 / b)
        low, high = ratio * math.exp(-Z_95 * se), ratio * math.exp(Z_95 * se)
        return RateComparison(a, t0, b, t1, ratio, low, high, method)
    if method != "exact":
        raise ValueError("method must be 'exact' or 'wald'")
    p_low, p_high = clopper_pearson(b, a + b)

    def to_ratio(p: float) -> float:
        return math.inf if p >= 1 else (p / (1 - p)) * (t0 / t1)

    return RateComparison(a, t0, b, t1, ratio if a else None, to_ratio(p_low), to_ratio(p_high), method)
