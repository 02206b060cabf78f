"""Timeline buckets (search.timeline) compared with a brute-force count."""
import datetime
import random
from collections import defaultdict

import pytest

from search import timeline as tl


def random_matches(rng, n):
    out = []
    for i in range(n):
        kind = rng.random()
        day = datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(2000))
        if kind < 0.1:
            date, precision = None, ""
        elif kind < 0.2:
            date, precision = datetime.date(day.year, 1, 1), "year"
        elif kind < 0.3:
            date, precision = datetime.date(day.year, day.month, 1), "month"
        else:
            date, precision = day, "day"
        out.append(tl.Match(i, date, precision, rng.randrange(1, 9), (rng.randrange(50), i)))
    return out


@pytest.mark.parametrize("by", ["year", "month"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_buckets_equal_a_brute_force_count(by, seed):
    rng = random.Random(seed)
    matches = random_matches(rng, 300)
    archive = [(m.date, m.precision) for m in random_matches(rng, 900)] + [(m.date, m.precision) for m in matches]
    got = tl.build(matches, tl.archive_periods(archive, by), by)

    def key(date, precision):
        if date is None or (by == "month" and precision == "year"):
            return None
        return f"{date.year:04d}" if by == "year" else f"{date.year:04d}-{date.month:02d}"

    essays, occ, in_period = defaultdict(int), defaultdict(int), defaultdict(int)
    for m in matches:
        k = key(m.date, m.precision)
        if k:
            essays[k] += 1
            occ[k] += m.occurrences
    for d, p in archive:
        k = key(d, p)
        if k:
            in_period[k] += 1
    periods = [b.period for b in got.buckets]
    assert periods[0] == min(essays) and periods[-1] == max(essays)
    assert len(periods) == len(set(periods)) and periods == sorted(periods)
    if by == "year":
        assert len(periods) == int(periods[-1]) - int(periods[0]) + 1
    else:
        first, last = periods[0], periods[-1]
        assert len(periods) == (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    for b in got.buckets:
        assert (b.essays, b.occurrences, b.essays_in_period) == (essays[b.period], occ[b.period], in_period[b.period])
    undated = [m for m in matches if m.date is None]
    assert got.undated == {"essays": len(undated), "occurrences": sum(m.occurrences for m in undated)}
    year_only = [m for m in matches if m.precision == "year"]
    if by == "month":
        assert sum(v["essays"] for v in got.year_only.values()) == len(year_only)
    else:
        assert got.year_only == {}
    dated = [m for m in matches if m.date]
    assert got.first == min(dated, key=lambda m: (m.date, m.order))
    assert got.last == max(dated, key=lambda m: (m.date, m.order))


def test_nothing_dated_gives_no_buckets():
    got = tl.build([tl.Match(1, None, "", 3)], {}, "year")
    assert got.buckets == [] and got.undated == {"essays": 1, "occurrences": 3} and got.first is None


def test_periods_between_crosses_years():
    assert tl.periods_between("2019-11", "2020-02", "month") == ["2019-11", "2019-12", "2020-01", "2020-02"]
