"""Browse pages and the essays JSON API. Views validate input and render;
the work happens in models and the search layer."""
from urllib.parse import quote

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from search import service
from search.service import occurrence_marks

from .citations import bibtex, gbt7714, ris, work_of
from .forms import LIST_SORTS, EssayListForm
from .models import Essay, paragraph_url


def _page(request, per_page):
    """The requested page number, or None when it is not a positive integer."""
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 10**6 else None


@require_safe
def essay_list(request):
    form = EssayListForm(request.GET)
    if not form.is_valid():
        return render(request, "essays/list.html", {"form": form, "error": form.error_text(),
                                                    **Essay.objects.metadata_choices()}, status=400)
    data = form.cleaned_data
    sort = data["sort"] or Essay.objects.default_sort()
    essays = Essay.objects.with_metadata(**data["filters"])
    for word in data["title_words"]:
        essays = essays.filter(title__icontains=word)
    essays = (essays.sorted_by(sort)
              .only("id", "number", "title", "paragraphs", "date_start", "date_precision", "source", "source_name"))
    paginator = list_paginator(essays)
    page = paginator.get_page(data["page"] or 1)
    listing_all = not form.active_filters()
    return render(request, "essays/list.html", {
        "form": form,
        "sort": sort,
        "sorts": LIST_SORTS,
        "filters": form.active_filters(),
        "page": page,
        "paginator": paginator,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "page_query": query_without(request.GET, "page"),
        "jump_params": [(k, v) for k in request.GET if k != "page" for v in request.GET.getlist(k)],
        "numbers_repeat": _repeated_numbers(page.object_list),
        # The home page (all essays, first page) shows what came in last,
        # unless the list is already in that order.
        "recent": (Essay.objects.sorted_by("newest").only("id", "number", "title", "created")[:RECENT_COUNT]
                   if listing_all and page.number == 1 and sort != "newest" and paginator.count > RECENT_COUNT
                   else ()),
        "total": paginator.count if listing_all else Essay.objects.count(),
        "near_empty": NEAR_EMPTY,
        **Essay.objects.metadata_choices(),
    })


RECENT_COUNT = 5  # essays in the home page's 最近收录
NEAR_EMPTY = 5  # an archive this small shows how to add essays


def list_paginator(essays):
    """The one paging rule of the list and its API: ESSAYS_PER_PAGE a page,
    a last page of up to 3 more joining the one before."""
    return Paginator(essays, settings.ESSAYS_PER_PAGE, orphans=3)


def _repeated_numbers(essays):
    """The sequence numbers on this page that more than one essay of the
    archive carries (numbers restart with each batch): the list shows
    those with the essay's source (or source file) so that "1, 1" reads as
    two different essays."""
    numbers = {e.number for e in essays if e.number is not None}
    if not numbers:
        return set()
    repeated = (Essay.objects.filter(number__in=numbers).values("number")
                .annotate(n=Count("id")).filter(n__gt=1).values_list("number", flat=True))
    return set(repeated)


def query_without(params, *names):
    """The query string of `params` less `names`, ending in '&' when not
    empty: links to other pages keep the filters and the sort."""
    kept = params.copy()
    for name in names:
        kept.pop(name, None)
    encoded = kept.urlencode()
    return encoded + "&" if encoded else ""


@require_safe
def essay_detail(request, pk):
    """An essay, ESSAY_PARAGRAPHS_PER_PAGE paragraphs a page (`?page=`),
    so that a very long one costs a bounded page; an essay that fits one
    page (every normal one) is shown as before, with no page links. The
    paragraph numbers stay the essay's, so `#p<n>` anchors keep their
    meaning; links to a paragraph compute its page (models.paragraph_url),
    and /essays/<id>/p<n>/ redirects to it."""
    essay = get_object_or_404(Essay, pk=pk)
    query = request.GET.get("q", "")[:500]
    back = _results_state(request)
    paginator = Paginator(essay.numbered_paragraphs(), settings.ESSAY_PARAGRAPHS_PER_PAGE)
    page = paginator.get_page(_page(request, settings.ESSAY_PARAGRAPHS_PER_PAGE) or 1)
    paged = paginator.num_pages > 1
    paragraphs, marks = occurrence_marks(essay.title, essay.numbered_paragraphs(),
                                         {n for n, _text in page.object_list}, query)
    return render(request, "essays/detail.html", {
        "essay": essay,
        "paragraphs": paragraphs,
        "marks": _mark_links(essay, query, marks),
        "parallels": _parallels_by_paragraph(essay, compute=request.GET.get("parallels") == "1"),
        "parallel_min_chars": settings.PARALLEL_MIN_CHARS,
        "query": query,
        "previous": essay.previous_essay(),
        "next": essay.next_essay(),
        "page": page if paged else None,
        "paginator": paginator,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1) if paged else (),
        "page_query": urlencode({"q": query, **back}) + "&" if query else "",
        "results_url": reverse("search") + "?" + urlencode({"q": query, **_results_params(back)}) if query else "",
        **_citation_context(request, essay),
    })


def _mark_links(essay, query, marks):
    """The essay page's 上一处 / 下一处 (search.service.occurrence_marks):
    plain links to a mark (#m<k>, on this page or the page holding it), so
    they work without JavaScript; static/js/occurrences.js steps from the
    current one and adds the keys n / p."""
    if marks is None:
        return None
    q_param = quote(query, safe="/")

    def elsewhere(found):
        if found is None:
            return ""
        number, k = found
        return paragraph_url(essay.get_absolute_url(), number, q_param).rsplit("#", 1)[0] + f"#m{k}"

    before, after = elsewhere(marks["before"]), elsewhere(marks["after"])
    first, last = marks["first"], marks["last"]
    return {**marks, "before_url": before, "after_url": after,
            "next_url": f"#m{first}" if first else after, "prev_url": f"#m{last}" if last else before,
            "concordance_url": reverse("search-concordance") + "?" + urlencode({"q": query, "essay": essay.pk})}


RESULT_SORTS = ("relevance", "number", "newest")


def _results_state(request):
    """{rsort, rpage} of the search results page the reader came from, if
    valid (search.views.result_link_param): kept on the essay's own page
    links and used by "返回搜索结果"."""
    state = {}
    sort, page = request.GET.get("rsort", ""), request.GET.get("rpage", "")
    if sort in RESULT_SORTS and sort != "relevance":
        state["rsort"] = sort
    if page.isdigit() and len(page) < 7 and int(page) > 1:
        state["rpage"] = str(int(page))
    return state


def _results_params(state):
    return {**({"sort": state["rsort"]} if "rsort" in state else {}),
            **({"page": state["rpage"]} if "rpage" in state else {})}


def _parallels_by_paragraph(essay, compute):
    """paragraph number -> its parallel passages (search.service.parallels),
    as far as already found for the current index, or found now with
    `compute` (?parallels=1: a link on the page, since finding them takes
    a quote query per 8 characters); None when not found yet; {} while the
    index is unavailable (the page still shows the essay)."""
    try:
        found = service.parallels(essay.pk, cached_only=not compute)
    except service.IndexUnavailable:
        return {}
    return None if found is None else {p["paragraph"]: p["passages"] for p in found}


def _cited_paragraph(request, essay):
    """The paragraph number of ?cite= / ?p= if it is one of the essay's, else None."""
    raw = request.GET.get("cite") or request.GET.get("p") or ""
    number = int(raw) if raw.isdigit() and len(raw) < 7 else 0
    return number if 1 <= number <= essay.paragraph_count else None


def _citation_context(request, essay):
    """The references the page shows: the essay's, and with ?cite=N that
    paragraph's (text in the page, no JavaScript needed)."""
    today = timezone.localdate()
    url = request.build_absolute_uri(essay.get_absolute_url())
    context = {"citation": gbt7714(work_of(essay, url, today))}
    number = _cited_paragraph(request, essay)
    if number:
        context.update(cited_paragraph=number, paragraph_citation=gbt7714(
            work_of(essay, request.build_absolute_uri(paragraph_url(essay.get_absolute_url(), number)), today,
                    paragraph=number)))
    return context


CITATION_FORMATS = {"ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
                    "bib": ("application/x-bibtex; charset=utf-8", "bib")}


@require_safe
def essay_citation(request, pk, fmt):
    """The essay's reference as RIS or BibTeX, for reference managers;
    ?p=N cites paragraph N."""
    essay = get_object_or_404(Essay, pk=pk)
    if fmt not in CITATION_FORMATS:
        raise Http404("没有这种引用格式：可用 ris 或 bib")
    number = _cited_paragraph(request, essay)
    link = paragraph_url(essay.get_absolute_url(), number) if number else essay.get_absolute_url()
    work = work_of(essay, request.build_absolute_uri(link), timezone.localdate(), paragraph=number)
    content_type, ext = CITATION_FORMATS[fmt]
    body = ris(work) if fmt == "ris" else bibtex(work, essay.pk)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="essay-{essay.pk}{"-p" + str(number) if number else ""}.{ext}"'
    return response


@require_safe
def paragraph_redirect(request, pk, number):
    """/essays/<id>/p<n>/: to paragraph n on the page that holds it (a
    citable link that survives pagination), keeping ?q= for highlights."""
    essay = get_object_or_404(Essay.objects.only("id"), pk=pk)
    query = request.GET.get("q", "")[:500]
    return redirect(paragraph_url(essay.get_absolute_url(), number, quote(query, safe="/")))


def _essay_summary(request, essay):
    date = essay.date
    return {"id": essay.pk, "number": essay.number, "title": essay.title,
            "url": request.build_absolute_uri(essay.get_absolute_url()),
            "date": date.iso() if date else None, "source": essay.source, "author": essay.author,
            "column": essay.column, "source_url": essay.source_url}


def _json_error(message, code, status):
    """An API error: a Chinese message for people, a stable English code for programs."""
    return JsonResponse({"error": message, "code": code}, status=status, json_dumps_params={"ensure_ascii": False})


@require_safe
def api_essay_list(request):
    number = _page(request, settings.ESSAYS_PER_PAGE)
    if number is None:
        return _json_error("页码须是正整数。", "invalid_page", 400)
    paginator = list_paginator(Essay.objects.in_order().defer("paragraphs"))
    if number > paginator.num_pages:
        return _json_error(f"没有第 {number} 页（共 {paginator.num_pages} 页）。", "page_not_found", 404)
    page = paginator.page(number)
    return JsonResponse({
        "count": paginator.count,
        "page": number,
        "num_pages": paginator.num_pages,
        "results": [_essay_summary(request, e) for e in page.object_list],
    }, json_dumps_params={"ensure_ascii": False})


@require_safe
def api_essay_detail(request, pk):
    try:
        essay = get_object_or_404(Essay, pk=pk)
    except Http404:
        return _json_error("没有这篇文章。", "essay_not_found", 404)
    data = _essay_summary(request, essay)
    data.update(paragraphs=list(essay.paragraphs), source_name=essay.source_name)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@require_safe
def api_essay_parallels(request, pk):
    """GET /api/essays/<id>/parallels: for each paragraph, the passages of
    PARALLEL_MIN_CHARS or more folded characters other essays share, each
    with those essays in date order."""
    if not Essay.objects.filter(pk=pk).exists():
        return _json_error("没有这篇文章。", "essay_not_found", 404)
    try:
        found = service.parallels(pk)
    except service.IndexUnavailable:
        return _json_error("搜索索引暂时不可用，无法查找平行段落。", "index_unavailable", 503)
    origin = request.build_absolute_uri("/")[:-1]
    for paragraph in found:
        for passage in paragraph["passages"]:
            passage.pop("start"), passage.pop("end")
            for e in passage["essays"]:
                e["url"] = origin + e["url"]
    return JsonResponse({"min_chars": settings.PARALLEL_MIN_CHARS, "paragraphs": found},
                        json_dumps_params={"ensure_ascii": False})
