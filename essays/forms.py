"""Validation of the essay list's parameters, and the metadata filters that
the list, the search page and the APIs share (from, to, source, author,
column)."""
from django import forms

from .dates import DateError, parse_bound

LIST_SORTS = {"date": "发表日期（新→旧）", "date_asc": "发表日期（旧→新）", "number": "序号", "newest": "最近收录"}
MAX_VALUES = 20  # values of one repeatable filter


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
            if len(values) > MAX_VALUES:
                self.add_error(name, f"同一筛选条件最多 {MAX_VALUES} 个值")
            if any(len(v) > 100 for v in values):
                self.add_error(name, "筛选值过长")
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
        """Every error as one Chinese line (field labels, not names)."""
        return "；".join(" ".join(errs) for errs in self.errors.values())


class EssayListForm(MetadataFilterForm):
    sort = forms.ChoiceField(required=False, choices=list(LIST_SORTS.items()))
    page = forms.CharField(required=False)

    def clean_page(self):
        """A page number that is not one shows the first page, and one past
        the end the last (Paginator.get_page), as readers expect of a list."""
        try:
            number = int(self.cleaned_data.get("page") or 1)
        except ValueError:
            return 1
        return number if 1 <= number <= 10**6 else 1
