"""Partial publication dates (essays.dates)."""
import datetime

import pytest

from essays.dates import DateError, PartialDate, parse_bound, parse_date


@pytest.mark.parametrize("text, expected", [
    ("2019", PartialDate(2019)),
    ("2019-07", PartialDate(2019, 7)),
    ("2019年7月", PartialDate(2019, 7)),
    ("2019-07-01", PartialDate(2019, 7, 1)),
    ("2019/7/1", PartialDate(2019, 7, 1)),
    ("2019.07.01", PartialDate(2019, 7, 1)),
    ("2019年7月1日", PartialDate(2019, 7, 1)),
    ("2019年7月1号", PartialDate(2019, 7, 1)),
    ("２０１９年７月１日", PartialDate(2019, 7, 1)),  # full-width digits
    (" 2019 年 7 月 ", PartialDate(2019, 7)),
    ("2019年", PartialDate(2019)),
    ("2020-02-29", PartialDate(2020, 2, 29)),
    ("", None),
    ("   ", None),
])
def test_every_accepted_form(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, says", [
    ("2019-02-30", "不存在"),
    ("2019-13", "月份 13 不存在"),
    ("2019年0月", "月份 0 不存在"),
    ("2021-02-29", "不存在"),
    ("1200", "不在"),
    ("2019-07/01", "无法识别"),  # mixed separators
    ("七月", "无法识别"),
    ("2019-7-1-2", "无法识别"),
    ("19-07-01", "无法识别"),
])
def test_impossible_or_unreadable_dates_say_why_in_chinese(text, says):
    with pytest.raises(DateError) as err:
        parse_date(text)
    assert says in err.value.reason


def test_periods_precision_and_display():
    year, month, day = PartialDate(2019), PartialDate(2020, 2), PartialDate(2019, 7, 1)
    assert (year.start, year.end) == (datetime.date(2019, 1, 1), datetime.date(2019, 12, 31))
    assert (month.start, month.end) == (datetime.date(2020, 2, 1), datetime.date(2020, 2, 29))
    assert day.start == day.end == datetime.date(2019, 7, 1)
    assert [d.precision for d in (year, month, day)] == ["year", "month", "day"]
    assert [d.iso() for d in (year, month, day)] == ["2019", "2020-02", "2019-07-01"]
    assert [d.chinese() for d in (year, month, day)] == ["2019年", "2020年2月", "2019年7月1日"]
    for d in (year, month, day):
        assert PartialDate.from_stored(d.start, d.precision) == d
    assert PartialDate.from_stored(None, None) is None


def test_filter_bounds_cover_whole_periods():
    assert parse_bound("2019", upper=False) == datetime.date(2019, 1, 1)
    assert parse_bound("2019", upper=True) == datetime.date(2019, 12, 31)
    assert parse_bound("2019-02", upper=True) == datetime.date(2019, 2, 28)
    assert parse_bound("", upper=True) is None
