"""Percentiles and medians of latencies, from `statistics` (the tests'
reliability figures and bench's report use the same definitions)."""
import statistics


def median(xs):
    """The median of the values that are not None, or None if there are none."""
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def percentile(xs, p):
    """The p-th percentile (p in 0..100) by linear interpolation between the
    closest ranks (numpy's default, statistics' "inclusive" method), or
    None for no values."""
    xs = sorted(xs)
    if not xs:
        return None
    if len(xs) == 1 or p <= 0:
        return xs[0]
    if p >= 100:
        return xs[-1]
    if p == int(p):
        return statistics.quantiles(xs, n=100, method="inclusive")[int(p) - 1]
    return statistics.quantiles(xs, n=1000, method="inclusive")[round(p * 10) - 1]
