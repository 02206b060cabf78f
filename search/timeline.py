"""A formulation's timeline: for the essays matching a query, how many there
are and how many occurrences they hold (search.concordance's rule) per year
or per month, beside how many dated essays the archive holds in that period,
so that a reader can see a rate and not only a count.

Pure: the caller gives each matching essay's publication date (its first
day and precision, essays.dates) and occurrence count, and the number of
dated essays per period over the same filters. By year, every dated essay
has its bucket. By month, an essay dated only to a year has no month: it is
counted under `year_only` (per year), never spread over months or put in
January. Undated essays are counted apart. Buckets run from the first
period with a matching essay to the last, every period in between present,
zeros included.
"""
from collections import Counter
from dataclasses import dataclass, field

BYS = ("year", "month")


@dataclass(frozen=True)
class Match:
    essay: int
    date: object  # datetime.date: the first day of its period, or None
    precision: str  # "year", "month", "day" or ""
    occurrences: int
    order: tuple = ()  # tie-break for first/last (number, id)


@dataclass(frozen=True)
class Bucket:
    period: str  # "2019" or "2019-07"
    essays: int
    occurrences: int
    essays_in_period: int


@dataclass
class Timeline:
    by: str
    buckets: list
    undated: dict = field(default_factory=lambda: {"essays": 0, "occurrences": 0})
    year_only: dict = field(default_factory=dict)  # by month: year -> {"essays", "occurrences"}
    first: Match | None = None
    last: Match | None = None


def period_of(date, precision, by):
    """The bucket of a date ("2019" / "2019-07"), None if it has none."""
    if date is None:
        return None
    if by == "year":
        return f"{date.year:04d}"
    if precision == "year":
        return None
    return f"{date.year:04d}-{date.month:02d}"


def periods_between(first, last, by):
    """Every period from `first` to `last` inclusive."""
    if by == "year":
        return [f"{y:04d}" for y in range(int(first), int(last) + 1)]
    y, m = int(first[:4]), int(first[5:])
    end = (int(last[:4]), int(last[5:]))
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def archive_periods(dates, by):
    """Counter of dated essays per period from (date, precision) pairs."""
    return Counter(p for p in (period_of(d, prec, by) for d, prec in dates) if p)


def build(matches, in_period, by="year"):
    """The Timeline of `matches` (Match objects), with `in_period` the
    Counter of dated essays per period (archive_periods)."""
    if by not in BYS:
        raise ValueError(f"unknown period {by!r}")
    essays, occurrences = Counter(), Counter()
    tl = Timeline(by=by, buckets=[])
    dated = []
    for m in matches:
        if m.date is None:
            tl.undated["essays"] += 1
            tl.undated["occurrences"] += m.occurrences
            continue
        dated.append(m)
        period = period_of(m.date, m.precision, by)
        if period is None:
            got = tl.year_only.setdefault(f"{m.date.year:04d}", {"essays": 0, "occurrences": 0})
            got["essays"] += 1
            got["occurrences"] += m.occurrences
            continue
        essays[period] += 1
        occurrences[period] += m.occurrences
    if essays:
        for period in periods_between(min(essays), max(essays), by):
            tl.buckets.append(Bucket(period, essays[period], occurrences[period], in_period.get(period, 0)))
    if dated:
        tl.first = min(dated, key=lambda m: (m.date, m.order))
        tl.last = max(dated, key=lambda m: (m.date, m.order))
    return tl
