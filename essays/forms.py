"""Validation of the essay list's parameters, and the metadata filters that
the list, the search page and the APIs share (from, to, source, author,
column)."""
from django import forms

from .dates import DateError, parse_bound

LIST_SORTS = {"date": "发表日期（新→旧）", "date_asc": "发表日期（旧→新）", "number": "序号", "newest": "最近收录"}
MAX_VALUES = 20  # values of one repeatable filter
MAX_TITLE_CHARS = 100
FILTER_LABELS = {"source": "来源", "author": "作者", "column": "栏目", "title": "标题"}


class MetadataFilterForm(forms.Form):
    """`from`/`to`: YYYY, YYYY-MM or YYYY-MM-DD, both inclusive; `source`,
    `author`, `column`: repeatable, any of the values. cleaned_data then
    holds `filters`, the arguments of EssayQuerySet.with_metadata."""

    # "from" is a Python keyword: the field is declared under its own name.
    to = forms.CharField(required=False, max_length=20, strip=True)
    source = forms.CharField(required=False)
    author = forms.CharField(required=False)
    column = forms.CharField(required=False)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.fields["from"] = forms.CharField(required=False, max_length=20, strip=True)
        self._lists = {name: [v.strip() for v in data.getlist(name) if v.strip()][:MAX_VALUES + 1]
                       for name in ("source", "author", "column")} if data is not None else {}

    def _bound(self, name, upper):
        try:
            return parse_bound(self.cleaned_data.get(name, ""), upper=upper)
        except DateError as err:
            label = "起始日期" if name == "from" else "截止日期"
            self.add_error(name, f"{label}：{err.reason}")
            return None

    def clean(self):
        data = super().clean()
        start, end = self._bound("from", upper=False), self._bound("to", upper=True)
        if start and end and start > end:
            self.add_error("to", "起始日期晚于截止日期")
        for name, values in self._lists.items():
            label = FILTER_LABELS[name]
            if len(values) > MAX_VALUES:
                self.add_error(name, f"{label}：同一筛选条件最多 {MAX_VALUES} 个值")
            if any(len(v) > 100 for v in values):
                self.add_error(name, f"{label}：筛选值过长（最多 100 字）")
        data["filters"] = {"start": start, "end": end, **{k: tuple(v) for k, v in self._lists.items()}}
        return data

    def active_filters(self):
        """[(name, value)] of the filters given, for the page to show and undo."""
        if not self.is_valid():
            return []
        out = []
        for name in ("from", "to"):
            if self.cleaned_data.get(name):
                out.append((name, self.cleaned_data[name]))
        for name in ("source", "author", "column"):
            out += [(name, v) for v in self._lists.get(name, ())]
        return out

    def error_text(self):
        """Every error as one Chinese line: each message names its field by
        its Chinese label, never by its parameter name."""
        return "；".join(" ".join(errs) for errs in self.errors.values())


class EssayListForm(MetadataFilterForm):
    """The list's parameters: the metadata filters, `title` (words the
    title contains, all of them, in any order), `sort` and `page`.
    cleaned_data["title_words"] holds the title's words."""

    title = forms.CharField(required=False, max_length=MAX_TITLE_CHARS, strip=True,
                            error_messages={"max_length": f"标题：最多 {MAX_TITLE_CHARS} 个字",
                                            "null_characters_not_allowed": "标题：不能含有空字符"})
    sort = forms.ChoiceField(required=False, choices=list(LIST_SORTS.items()),
                             error_messages={"invalid_choice": "排序：只能按" + "、".join(LIST_SORTS.values())})
    page = forms.CharField(required=False)

    def clean_title(self):
        return self.cleaned_data.get("title") or ""

    def clean(self):
        data = super().clean()
        data["title_words"] = tuple((data.get("title") or "").split())[:10]
        return data

    def active_filters(self):
        shown = super().active_filters()
        if self.is_valid() and self.cleaned_data.get("title"):
            shown.insert(0, ("title", self.cleaned_data["title"]))
        return shown

    def clean_page(self):
        """A page number that is not one shows the first page, and one past
        the end the last (Paginator.get_page), as readers expect of a list."""
        try:
            number = int(self.cleaned_data.get("page") or 1)
        except ValueError:
            return 1
        return number if 1 <= number <= 10**6 else 1
