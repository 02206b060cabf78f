"""A quotation's own page, /search/quote/?q=…: every essay that uses it, in
publication order (undated last), with its first appearance, the count per
year (the timeline) and each use's citation (GB/T 7714), so a researcher can
follow a 提法 from its first appearance and cite every use."""
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from config.throttle import throttled_search

from . import documents, service
from .forms import SearchForm

PER_PAGE = 50


@require_safe
@throttled_search
def quote_page(request):
    form = SearchForm(request.GET)
    context = {"form": form, "q": request.GET.get("q", "")[:500]}
    if not form.is_valid() or not form.cleaned_data["q"]:
        context["error"] = form.error_text() if not form.is_valid() else "请给出要追踪的原文，例如 ?q=天下大事必作于细"
        return render(request, "search/quote.html", context, status=400)
    data = form.cleaned_data
    # A quotation page follows the words as quoted, however they were typed.
    text = data["q"] if data["q"][:1] in '"“「『' else f'"{data["q"]}"'
    try:
        result = service.search(text, sort="date_asc", page=data["page"], per_page=PER_PAGE,
                                filters=data["filters"])
        tl = service.timeline(text, by="year", filters=data["filters"])
    except service.QueryError as err:
        context["error"] = str(err)
        return render(request, "search/quote.html", context, status=400)
    except service.IndexUnavailable:
        context["error"] = "搜索暂时不可用：搜索索引缺失或损坏。"
        return render(request, "search/quote.html", context, status=503)
    today = timezone.localdate()
    uses = documents.citations(result.hits, request.build_absolute_uri("/")[:-1], today)
    context.update(result=result, timeline=tl, uses=uses, quote=text.strip('"“”「」『』'))
    return render(request, "search/quote.html", context)
