"""The concordance's page (/search/concordance/), its export (?format=csv|tsv)
and its API (/api/concordance): validate with ConcordanceForm, call the
service, render, stream or answer JSON."""
import logging
from urllib.parse import quote

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from config.throttle import throttled_search

from . import export, service
from .forms import ConcordanceForm
from .kwic import NEIGHBOUR_SAMPLE, SORT_LABELS
from .views import FILTER_NAMES, UNAVAILABLE, _json, filter_query

log = logging.getLogger(__name__)

TEMPLATE = "search/concordance.html"


def _run(data, with_neighbours=True):
    """(page dict, error message, status, code)."""
    try:
        return service.concordance_page(
            data["q"], filters=data["filters"], sort=data["sort"], page=data["page"], per_page=data["per_page"],
            width=data["width"], neighbour=data["neighbour"], essay=data["essay"],
            with_neighbours=with_neighbours), None, 200, None
    except service.ConcordanceError as err:
        return None, str(err), 400, err.code
    except service.QueryError as err:
        return None, str(err), 400, "invalid_query"
    except service.IndexUnavailable:
        log.exception("search index unavailable")
        return None, UNAVAILABLE, 503, "index_unavailable"


def _state(params, drop=()):
    """The page's own parameters (query, filters, sort, width, per_page,
    essay, neighbour) as a query string ending in '&', without `drop`."""
    kept = params.copy()
    for name in ("page", "format", *drop):
        kept.pop(name, None)
    for name in list(kept):
        if not any(v.strip() for v in kept.getlist(name)):
            kept.pop(name)
    encoded = kept.urlencode()
    return encoded + "&" if encoded else ""


@require_safe
@throttled_search
def concordance_page(request):
    form = ConcordanceForm(request.GET)
    q = request.GET.get("q", "")[:500]
    context = {"form": form, "q": q, "q_param": quote(q, safe="/"), "sort_labels": SORT_LABELS,
               "export_cap": export.max_rows(), "neighbour_sample": NEIGHBOUR_SAMPLE,
               "filter_pairs": [(n, v) for n in FILTER_NAMES for v in request.GET.getlist(n) if v.strip()]}
    if not form.is_valid():
        context["error"] = form.error_text()
        return render(request, TEMPLATE, context, status=400)
    data = form.cleaned_data
    if not data["q"]:
        if request.GET:
            context["error"] = "请提供搜索词。"
        return render(request, TEMPLATE, context, status=400 if request.GET else 200)
    if data["format"]:
        return _export(request, data)
    got, error, status, _code = _run(data)
    if got is None:
        context["error"] = error
        return render(request, TEMPLATE, context, status=status)
    state = _state(request.GET)
    context.update(result=got, data=data, state=state, filter_params=filter_query(request.GET),
                   neighbour_links=_neighbour_links(got["neighbours"], request.GET),
                   unfiltered=("?" + _state(request.GET, ("side", "word"))) if data["neighbour"] else "",
                   whole_archive=("?" + _state(request.GET, ("essay",))) if data["essay"] else "")
    paginator = Paginator(range(got["total"]), got["per_page"])
    if got["total"] and 1 <= got["page"] <= paginator.num_pages:
        context.update(page=paginator.page(got["page"]), paginator=paginator,
                       page_range=paginator.get_elided_page_range(got["page"], on_each_side=2, on_ends=1),
                       page_query=state)
    return render(request, TEMPLATE, context)


def _neighbour_links(neighbours, params):
    """[(label, side, [(word, n, link narrowing the rows to it)])]."""
    out = []
    for side, label in (("left", "左邻词"), ("right", "右邻词")):
        links = []
        for word, n in (neighbours or {}).get(side, []):
            narrowed = params.copy()
            narrowed.pop("page", None)
            narrowed["side"], narrowed["word"] = side, word
            links.append((word, n, "?" + narrowed.urlencode()))
        out.append((label, side, links))
    return out


def _export(request, data):
    fmt = data["format"]
    try:
        total, rows = service.concordance_rows(data["q"], filters=data["filters"], sort=data["sort"],
                                               width=data["width"], neighbour=data["neighbour"],
                                               essay=data["essay"], limit=export.max_rows())
    except service.ConcordanceError as err:
        return render(request, TEMPLATE, {"form": ConcordanceForm(request.GET), "q": data["q"], "error": str(err)},
                      status=400)
    except service.QueryError as err:
        return render(request, TEMPLATE, {"form": ConcordanceForm(request.GET), "q": data["q"], "error": str(err)},
                      status=400)
    except service.IndexUnavailable:
        return render(request, TEMPLATE, {"form": ConcordanceForm(request.GET), "q": data["q"], "error": UNAVAILABLE},
                      status=503)
    filters = filter_query(request.GET).rstrip("&")
    lines = [("# 筛选 filters", filters or "（无）"), ("# 排序 sort", data["sort"]), ("# 语境宽度 width", data["width"])]
    if data["essay"]:
        lines.append(("# 文章 essay", data["essay"]))
    if data["neighbour"]:
        lines.append(("# 相邻词 neighbour", f"{data['neighbour'].side}:{data['neighbour'].word}"))
    origin = request.build_absolute_uri("/")[:-1]
    body = export.stream(fmt, {"query": data["q"], "lines": lines}, total, rows, origin)
    content_type = "text/csv" if fmt == "csv" else "text/tab-separated-values"
    response = StreamingHttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="concordance.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@throttled_search
def concordance_api(request):
    """GET /api/concordance?q=…&sort=&page=&per_page=&width= (and the
    filters, essay, side/word)."""
    form = ConcordanceForm(request.GET)
    if not form.is_valid():
        return _json({"error": form.error_text(), "code": form.error_code()}, 400)
    data = form.cleaned_data
    if not data["q"]:
        return _json({"error": "请提供搜索词。", "code": "missing_query"}, 400)
    if data["format"]:
        return _json({"error": "导出请用 /search/concordance/?format=csv 或 tsv。", "code": "invalid_format"}, 400)
    got, error, status, code = _run(data)
    if got is None:
        return _json({"error": error, "code": code}, status)
    origin = request.build_absolute_uri("/")[:-1]
    keys = ("essay_id", "number", "title", "date", "source", "paragraph", "offset", "left", "match", "right")
    return _json({
        "query": got["query"], "total": got["total"], "page": got["page"], "per_page": got["per_page"],
        "sort": got["sort"], "width": got["width"],
        "rows": [{**{k: r[k] for k in keys}, "url": origin + r["url"]} for r in got["rows"]],
        "neighbours": got["neighbours"],
        **({"neighbours_sampled": True} if got["neighbours_sampled"] else {}),
    })
