"""Validation of search parameters, shared by the page and the API."""
from django import forms

from . import kwic
from .backends.base import MAX_PER_PAGE
from .concordance import DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH
from .documents import MetadataFilterForm
from .service import SORTS
from .syntax import MAX_QUERY_CHARS

SORT_LABELS = {"relevance": "相关度", "number": "序号", "newest": "最新收录", "date": "发表日期（新→旧）",
               "date_asc": "发表日期（旧→新）"}


class QueryForm(MetadataFilterForm):
    """A query and the metadata filters: what the search, the timeline and
    the concordance all take. Errors speak of the field by its Chinese label
    (MetadataFilterForm.error_text), never its name."""

    q = forms.CharField(label="搜索词", required=False, max_length=MAX_QUERY_CHARS, strip=True,
                        error_messages={"max_length": f"搜索词最多 {MAX_QUERY_CHARS} 个字符，请缩短后再搜。",
                                        "null_characters_not_allowed": "搜索词不能含有空字符（\\x00）。"})

    def error_code(self):
        """A stable English code for API clients: `invalid_<field>` of the
        first field in error."""
        return f"invalid_{next(iter(self.errors), 'query')}"


class SearchForm(QueryForm):
    sort = forms.ChoiceField(label="排序", required=False, choices=[(s, SORT_LABELS[s]) for s in SORTS],
                             error_messages={"invalid_choice": "排序方式只能是相关度、序号、最新收录或发表日期。"})
    page = forms.IntegerField(label="页码", required=False, min_value=1, max_value=100000,
                              error_messages={"invalid": "页码须是正整数。", "min_value": "页码须是正整数。",
                                              "max_value": "页码不能超过 100000。"})
    per_page = forms.IntegerField(label="每页条数", required=False, min_value=1, max_value=MAX_PER_PAGE,
                                  error_messages={"invalid": f"每页条数须是 1 到 {MAX_PER_PAGE} 的整数。",
                                                  "min_value": f"每页条数须是 1 到 {MAX_PER_PAGE} 的整数。",
                                                  "max_value": f"每页条数须是 1 到 {MAX_PER_PAGE} 的整数。"})

    def clean_sort(self):
        return self.cleaned_data.get("sort") or "relevance"

    def clean_page(self):
        return self.cleaned_data.get("page") or 1

    def clean_per_page(self):
        return self.cleaned_data.get("per_page") or 20


class TimelineForm(QueryForm):
    """The timeline's parameters: the query, per year or month, counts or
    the rate per 100 dated essays."""

    by = forms.ChoiceField(label="时间粒度", required=False, choices=[("year", "按年"), ("month", "按月")],
                           error_messages={"invalid_choice": "时间粒度只能是 year（按年）或 month（按月）。"})
    measure = forms.ChoiceField(label="显示", required=False,
                                choices=[("essays", "篇数"), ("occurrences", "出现次数"), ("rate", "每百篇比例")],
                                error_messages={"invalid_choice": "显示只能是篇数、出现次数或每百篇比例。"})

    def clean_by(self):
        return self.cleaned_data.get("by") or "year"

    def clean_measure(self):
        return self.cleaned_data.get("measure") or "essays"


class ConcordanceForm(QueryForm):
    """The concordance's parameters (search.kwic): the query and filters,
    the sort, the context width, paging, one essay, a neighbour word and
    the export format. Errors name their field in Chinese; `error_code`
    gives the API's stable code."""

    sort = forms.ChoiceField(label="排序", required=False, choices=list(kwic.SORT_LABELS.items()),
                             error_messages={"invalid_choice": "排序方式只能是 essay（按文章）、left（按左侧语境）、"
                                                               "right（按右侧语境）或 date（按发表日期）。"})
    width = forms.IntegerField(label="语境宽度", required=False, min_value=MIN_WIDTH, max_value=MAX_WIDTH,
                               error_messages={k: f"语境宽度须是 {MIN_WIDTH} 到 {MAX_WIDTH} 的整数（字符）。"
                                               for k in ("invalid", "min_value", "max_value")})
    page = forms.IntegerField(label="页码", required=False, min_value=1, max_value=100000,
                              error_messages={k: "页码须是 1 到 100000 的整数。" for k in ("invalid", "min_value", "max_value")})
    per_page = forms.IntegerField(label="每页条数", required=False, min_value=1, max_value=kwic.MAX_PER_PAGE,
                                  error_messages={k: f"每页条数须是 1 到 {kwic.MAX_PER_PAGE} 的整数。"
                                                  for k in ("invalid", "min_value", "max_value")})
    essay = forms.IntegerField(label="文章", required=False, min_value=1,
                               error_messages={k: "文章编号须是正整数。" for k in ("invalid", "min_value")})
    side = forms.ChoiceField(label="相邻词位置", required=False, choices=[("left", "左"), ("right", "右")],
                             error_messages={"invalid_choice": "相邻词位置只能是 left（左）或 right（右）。"})
    word = forms.CharField(label="相邻词", required=False, max_length=50, strip=True,
                           error_messages={"max_length": "相邻词最多 50 个字符。"})
    format = forms.ChoiceField(label="导出格式", required=False, choices=[("", "网页"), ("csv", "CSV"), ("tsv", "TSV")],
                               error_messages={"invalid_choice": "导出格式只能是 csv 或 tsv。"})

    def clean_sort(self):
        return self.cleaned_data.get("sort") or "essay"

    def clean_width(self):
        got = self.cleaned_data.get("width")
        return DEFAULT_WIDTH if got is None else got

    def clean_page(self):
        return self.cleaned_data.get("page") or 1

    def clean_per_page(self):
        return self.cleaned_data.get("per_page") or kwic.DEFAULT_PER_PAGE

    def clean(self):
        data = super().clean()
        side, word = data.get("side"), data.get("word")
        if bool(side) != bool(word) and "side" not in self.errors and "word" not in self.errors:
            self.add_error("word", "按相邻词筛选须同时给出位置（side）和词（word）。")
        data["neighbour"] = kwic.Neighbour(side, word) if side and word else None
        return data
