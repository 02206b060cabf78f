"""The search page and the search API: validate, call the service, render."""
import logging

from urllib.parse import quote

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from config.throttle import throttled_search

from . import service
from .documents import paragraph_url
from .forms import SearchForm
from .highlight import hit_items_html

log = logging.getLogger(__name__)

EXAMPLES = ['"天下大事必作于细"', "抓落实", "担当 -形式主义", "title:落实", "初心 OR 使命"]
UNAVAILABLE = "搜索暂时不可用：搜索索引缺失或损坏。请管理员运行 python manage.py rebuild_index。"


def _run(form):
    """(result, error message, http status, error code)."""
    data = form.cleaned_data
    try:
        return (service.search(data["q"], sort=data["sort"], page=data["page"], per_page=data["per_page"]),
                None, 200, None)
    except service.QueryError as err:
        return None, str(err), 400, "invalid_query"
    except service.IndexUnavailable:
        log.exception("search index unavailable")
        return None, UNAVAILABLE, 503, "index_unavailable"


def result_link_param(q_param, result):
    """The query part that links from a results page carry to the essay:
    the query (for highlights) and, when not the defaults, this page's
    sort and page number as `rsort`/`rpage`, so that the essay's
    "返回搜索结果" leads back to this very page (essays.views)."""
    extra = (f"&rsort={result.sort}" if result.sort != "relevance" else "") + \
            (f"&rpage={result.page}" if result.page > 1 else "")
    return q_param + extra


@require_safe
@throttled_search
def search_page(request):
    form = SearchForm(request.GET)
    q = request.GET.get("q", "")[:500]
    # q_param: the query for links, quoted as the urlencode filter would,
    # once per page instead of once per snippet.
    context = {"form": form, "examples": EXAMPLES, "q": q, "q_param": quote(q, safe="/")}
    status = 200
    if not form.is_valid():
        context["error"] = form.error_text()
        status = 400
    elif form.cleaned_data["q"]:
        result, error, status, _code = _run(form)
        context.update(result=result, error=error)
        if result is not None:
            context["hits_html"] = hit_items_html(result.hits, result_link_param(context["q_param"], result)
                                                  if q else "")
            context.update(pagination(result, context["q_param"]))
    return render(request, "search/results.html", context, status=status)


def pagination(result, q_param):
    """What essays/_pagination.html needs for a results page: Django's
    Paginator over the count (a range: no rows), its elided page range
    (1 … 4 5 [6] 7 8 … 20, as the essay list shows it) and the query the
    page links keep. Empty when the page is past the last (the page then
    says so)."""
    paginator = Paginator(range(result.count), result.per_page)
    if not 1 <= result.page <= paginator.num_pages:
        return {}
    per_page = f"per_page={result.per_page}&" if result.per_page != 20 else ""
    return {
        "page": paginator.page(result.page),
        "paginator": paginator,
        "page_range": paginator.get_elided_page_range(result.page, on_each_side=2, on_ends=1),
        "page_query": f"q={q_param}&sort={result.sort}&{per_page}",
    }


@require_safe
@throttled_search
def search_api(request):
    form = SearchForm(request.GET)
    if not form.is_valid():
        return _json({"error": form.error_text(), "code": form.error_code()}, 400)
    q = form.cleaned_data["q"]
    if not q:
        return _json({"error": "请提供搜索词。", "code": "missing_query"}, 400)
    result, error, status, code = _run(form)
    if result is None:
        return _json({"error": error, "code": code}, status)
    origin = request.build_absolute_uri("/")[:-1]  # once, not a host check per hit
    return _json({
        "query": q,
        "mode": result.mode,
        "count": result.count,
        "page": result.page,
        "per_page": result.per_page,
        "sort": result.sort,
        **({"notice": result.notice} if result.notice else {}),
        "results": [{
            "id": h.id, "number": h.number, "title": h.title,
            "url": origin + h.url,
            "score": h.score, "occurrences": h.occurrences,
            # Only where the count is a lower bound (snippets.HIT_SPAN_BUDGET).
            **({} if h.occurrences_exact else {"occurrences_exact": False}),
            "snippets": [{"paragraph": s.paragraph, "text": s.text, "highlights": [list(x) for x in s.highlights],
                          # the paragraph itself (its page of a long essay, #p<n>), or the title
                          "url": origin + (paragraph_url(h.url, s.paragraph) if s.paragraph else h.url)}
                         for s in h.snippets],
        } for h in result.hits],
    })


def _json(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
