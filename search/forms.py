"""Validation of search parameters, shared by the page and the API."""
from django import forms

from .backends.base import MAX_PER_PAGE, SORTS
from .syntax import MAX_QUERY_CHARS

SORT_LABELS = {"relevance": "相关度", "number": "序号", "newest": "最新"}


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=MAX_QUERY_CHARS, strip=True)
    sort = forms.ChoiceField(required=False, choices=[(s, SORT_LABELS[s]) for s in SORTS])
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)
    per_page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PER_PAGE)

    def clean_sort(self):
        return self.cleaned_data.get("sort") or "relevance"

    def clean_page(self):
        return self.cleaned_data.get("page") or 1

    def clean_per_page(self):
        return self.cleaned_data.get("per_page") or 20

    def error_text(self):
        """All errors as one line for a message or a JSON body."""
        return "；".join(f"{name}: {' '.join(errs)}" for name, errs in self.errors.items())
