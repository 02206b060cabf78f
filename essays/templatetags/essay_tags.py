"""Small template filters of the essay pages."""
from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key], or None (a dict looked up by a loop variable)."""
    return mapping.get(key) if mapping else None


@register.filter
def essay_total(passages):
    """How many distinct other essays share any of these passages."""
    return len({e["id"] for p in passages for e in p["essays"]})
