"""Is a variant's rate really different from the control's? Two proportions compared with
scipy.stats, and the sample size a test of them needs.

The test is the two-sided two-proportion z-test (pooled variance): the rates an experiment
compares are proportions of accounts, samples run to thousands, and the same normal
approximation gives the sample-size formula, so the verdict and the "accounts still
needed" agree. Where the approximation is poor (an expected count below 5 in any cell of
the 2x2 table, e.g. a rare opt-out in a small sample) Fisher's exact test decides instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from scipy import stats

ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True)
class Comparison:
    control_hits: int
    control_n: int
    variant_hits: int
    variant_n: int
    p_value: Optional[float]  # None: a side has no accounts yet
    test: Optional[str]  # "z-test" | "fisher"

    @property
    def control_rate(self) -> Optional[float]:
        return self.control_hits / self.control_n if self.control_n else None

    @property
    def variant_rate(self) -> Optional[float]:
        return self.variant_hits / self.variant_n if self.variant_n else None

    def significant(self, alpha: float = ALPHA) -> bool:
        return self.p_value is not None and self.p_value < alpha


def compare(control_hits: int, control_n: int, variant_hits: int, variant_n: int) -> Comparison:
    if not (0 <= control_hits <= control_n and 0 <= variant_hits <= variant_n):
        raise ValueError("hits must lie between 0 and the number of accounts")
    if not control_n or not variant_n:
        return Comparison(control_hits, control_n, variant_hits, variant_n, None, None)
    n = control_n + variant_n
    pooled = (control_hits + variant_hits) / n
    expected = min(pooled, 1 - pooled) * min(control_n, variant_n)
    if expected < 5:
        table = [[control_hits, control_n - control_hits], [variant_hits, variant_n - variant_hits]]
        _, p_value = stats.fisher_exact(table, alternative="two-sided")
        return Comparison(control_hits, control_n, variant_hits, variant_n, float(p_value), "fisher")
    error = math.sqrt(pooled * (1 - pooled) * (1 / control_n + 1 / variant_n))
    z = (variant_hits / variant_n - control_hits / control_n) / error
    p_value = 2 * stats.norm.sf(abs(z))
    return Comparison(control_hits, control_n, variant_hits, variant_n, float(p_value), "z-test")


def sample_size(rate: float, other: float, alpha: float = ALPHA, power: float = POWER) -> Optional[int]:
    """Accounts per variant a two-sided z-test needs to tell `rate` from `other` with
    this power (None: the rates are equal, no sample is enough)."""
    if rate == other:
        return None
    z_alpha, z_power = stats.norm.isf(alpha / 2), stats.norm.isf(1 - power)
    mean = (rate + other) / 2
    spread = (z_alpha * math.sqrt(2 * mean * (1 - mean))
              + z_power * math.sqrt(rate * (1 - rate) + other * (1 - other)))
    return math.ceil(spread ** 2 / (rate - other) ** 2)


def percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def p_text(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.2g}" if p_value < 0.01 else f"p = {p_value:.2f}"


def verdict(
    comparison: Comparison, variant: str, control: str, what: str,
    minimum_effect: Optional[float] = None, alpha: float = ALPHA,
) -> dict:
    """The plain-language verdict, and the accounts per variant still needed (power 0.8)
    to detect `minimum_effect` (absolute), or else the change observed so far."""
    c = comparison
    if c.p_value is None:
        return {"text": f"not enough data yet: no results for {control if not c.control_n else variant}",
                "needed_per_variant": None, "more_needed": None}
    low, high = c.control_rate, c.variant_rate
    if c.significant(alpha):
        direction = "raises" if high > low else "lowers"
        return {"text": f"{variant} {direction} {what} from {percent(low)} to {percent(high)}, "
                        f"{p_text(c.p_value)}", "needed_per_variant": None, "more_needed": 0}
    target = low + minimum_effect if minimum_effect else high
    if minimum_effect and target > 1:
        target = low - minimum_effect
    needed = sample_size(low, target, alpha) if 0 <= target <= 1 else None
    have = min(c.control_n, c.variant_n)
    if needed is None:
        return {"text": f"not enough data yet: {variant} and {control} both at {percent(low)} "
                        f"({p_text(c.p_value)}); set minimum_effect to know how many accounts "
                        "a test needs", "needed_per_variant": None, "more_needed": None}
    if have < needed:
        return {"text": f"not enough data yet: {what} {percent(low)} ({control}) against "
                        f"{percent(high)} ({variant}), {p_text(c.p_value)}; about {needed} accounts "
                        f"per variant are needed to detect {percent(low)} against {percent(target)} "
                        f"({needed - have} more)",
                "needed_per_variant": needed, "more_needed": needed - have}
    return {"text": f"no difference found: {what} {percent(low)} ({control}) against "
                    f"{percent(high)} ({variant}), {p_text(c.p_value)}, with enough accounts to "
                    f"detect {percent(low)} against {percent(target)}",
            "needed_per_variant": needed, "more_needed": 0}
