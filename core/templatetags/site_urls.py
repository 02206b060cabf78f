"""{% site_url "name" %}: {% url "name" %} for the site's fixed pages
(no arguments), reversed once per process instead of on every page: every
page's header and footer hold six (docs/SEARCH.md, "Figures behind the
code", says what a reverse() costs)."""
from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()


@register.simple_tag
def site_url(name):
    """The URL of the named page without arguments, as {% url %} gives it."""
    return _reversed(name, get_script_prefix())


@lru_cache(maxsize=64)
def _reversed(name, prefix):
    # Keyed on the script prefix too: reverse() puts it in front.
    return reverse(name)
