"""Publication dates that may be known only to the year or the month.

A `PartialDate` is what a manifest or an editor says: 2019, 2019-07 or
2019-07-01. It is stored as the first and last day of the period it names
(essays.models.Essay.date_start / date_end) plus its precision, so that a
range filter is one overlap test on two indexed columns, sorting uses the
first day, and the page shows only what is known.
"""
import calendar
import datetime
import re
import unicodedata
from dataclasses import dataclass

YEAR, MONTH, DAY = "year", "month", "day"
MIN_YEAR, MAX_YEAR = 1800, 2200  # outside this, a date is a typing slip, not an essay's

# 2019 · 2019-07 · 2019-07-01 · 2019/7/1 · 2019.07.01 · 2019年7月 · 2019年7月1日
_FORMS = (
    re.compile(r"(?P<y>\d{4})"),
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})\s*年(?:\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?)?"),
)


class DateError(ValueError):
    """A date that cannot be read or does not exist; `reason` is for people (Chinese)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, order=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self):
        return DAY if self.day else MONTH if self.month else YEAR

    @property
    def start(self):
        """The first day of the period."""
        return datetime.date(self.year, self.month or 1, self.day or 1)

    @property
    def end(self):
        """The last day of the period."""
        if self.day:
            return self.start
        month = self.month or 12
        return datetime.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def iso(self):
        """As precise as known: '2019', '2019-07' or '2019-07-01'."""
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    def chinese(self):
        """For the page: 2019年, 2019年7月 or 2019年7月1日."""
        return f"{self.year}年" + (f"{self.month}月" if self.month else "") + (f"{self.day}日" if self.day else "")

    @classmethod
    def from_stored(cls, start, precision):
        """The date stored as its first day and precision (None if no date)."""
        if start is None:
            return None
        if precision == YEAR:
            return cls(start.year)
        if precision == MONTH:
            return cls(start.year, start.month)
        return cls(start.year, start.month, start.day)


def parse_date(text):
    """The PartialDate written in `text` (full-width digits and spaces
    allowed), or None for an empty one; DateError for anything else,
    including a date that does not exist (2019-02-30)."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip()
    if not text:
        return None
    for form in _FORMS:
        m = form.fullmatch(text)
        if m:
            break
    else:
        raise DateError(f"无法识别的日期「{text[:40]}」：请写成 2019、2019-07、2019-07-01 或 2019年7月1日")
    parts = m.groupdict()
    year = int(parts["y"])
    month = int(parts["m"]) if parts.get("m") else None
    day = int(parts["d"]) if parts.get("d") else None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateError(f"年份 {year} 不在 {MIN_YEAR}–{MAX_YEAR} 之间")
    if month is not None and not 1 <= month <= 12:
        raise DateError(f"日期「{text}」的月份 {month} 不存在")
    if day is not None:
        try:
            datetime.date(year, month, day)
        except ValueError:
            raise DateError(f"日期「{text}」不存在（{year}年{month}月没有{day}日）") from None
    return PartialDate(year, month, day)


def parse_bound(text, upper):
    """A filter bound (`from`/`to`: YYYY, YYYY-MM or YYYY-MM-DD, both
    inclusive) as a day: the first day of its period, or its last with
    `upper`. None for an empty bound; DateError otherwise."""
    date = parse_date(text)
    if date is None:
        return None
    return date.end if upper else date.start
