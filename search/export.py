"""The concordance's export: every row as CSV (UTF-8 with a BOM, so that
Excel opens it as Chinese) or TSV, streamed.

The file opens with header lines (each a row whose first cell starts with
`#`): the query, the filters, the sort, the time of export, the total, and,
when the total is over the cap, that the file holds only the first
EXPORT_MAX_ROWS rows. Then the column names, then one line per row.

The stream never holds a worker longer than EXPORT_SECONDS: past it, it ends
with a line saying the file was cut there. A client that goes away closes
the generator (the server calls close() on the response's iterator), and no
further row is read.
"""
import csv
import logging
import os
import time

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

COLUMNS = ("essay_id", "number", "title", "date", "source", "author", "paragraph", "left", "match", "right", "url")


def max_rows():
    """The cap on exported rows (setting CONCORDANCE_EXPORT_MAX_ROWS, env
    ARCHIVE_EXPORT_MAX_ROWS; default 200,000)."""
    return int(getattr(settings, "CONCORDANCE_EXPORT_MAX_ROWS", os.environ.get("ARCHIVE_EXPORT_MAX_ROWS", 200_000)))


def max_seconds():
    """The longest an export may run (setting CONCORDANCE_EXPORT_SECONDS,
    env ARCHIVE_EXPORT_SECONDS; default 30, half gunicorn's timeout)."""
    return float(getattr(settings, "CONCORDANCE_EXPORT_SECONDS", os.environ.get("ARCHIVE_EXPORT_SECONDS", 30)))


class _Line:
    """A file-like object for csv.writer that hands back what it is given."""

    def write(self, value):
        return value


def stream(fmt, header, total, rows, origin=""):
    """The export's lines as a generator of str: `header` (label, value)
    pairs, the total, the cap, the columns, the `rows` (row dicts, at most
    the cap), a last line if the time ran out."""
    writer = csv.writer(_Line(), **({"dialect": "excel-tab"} if fmt == "tsv" else {}))
    cap, seconds = max_rows(), max_seconds()
    deadline = time.monotonic() + seconds
    written = 0
    try:
        yield ("\ufeff" if fmt == "csv" else "") + writer.writerow(["# 查询 query", header["query"]])
        for label, value in header["lines"]:
            yield writer.writerow([label, value])
        yield writer.writerow(["# 导出时间 exported", timezone.now().isoformat(timespec="seconds")])
        yield writer.writerow(["# 总数 total", total])
        if total > cap:
            yield writer.writerow(["# 截断 cut", f"只导出了前 {cap} 条（上限 {cap}）；only the first {cap} rows"])
        yield writer.writerow(COLUMNS)
        for row in rows:
            if written >= cap:
                break
            if time.monotonic() > deadline:
                yield writer.writerow(["# 截断 cut", f"导出超过 {seconds:g} 秒，在第 {written} 条后停止；"
                                                      f"stopped after {written} rows (time limit)"])
                return
            yield writer.writerow([row["essay_id"], row["number"], row["title"], row["date"] or "", row["source"],
                                   row["author"], row["paragraph"], row["left"], row["match"], row["right"],
                                   origin + row["url"]])
            written += 1
    finally:
        # Reached at the end, and when the server closes the generator (a
        # client that went away): nothing more is read either way.
        log.info("concordance export of %r: %d of %d rows", header["query"], written, total)
