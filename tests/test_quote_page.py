"""A quotation's own page: every essay using it in publication order, the
first appearance, the count per year, and each use's citation."""
import re

import pytest

from essays.models import Essay

from .test_research import make_corpus, matches

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_use_in_date_order_with_citations(client):
    corpus = make_corpus(50)
    expected = [e for e in corpus if matches(e, "高质量发展")]
    dated = sorted((e for e in expected if e.date), key=lambda e: (e.date_start, e.number, e.pk))
    undated = sorted((e for e in expected if not e.date), key=lambda e: (e.number, e.pk))
    response = client.get("/search/quote/", {"q": "高质量发展"})  # typed unquoted: followed as a quote
    body = response.content.decode()
    assert response.status_code == 200
    assert f"共 {len(expected)} 篇文章引用" in body
    titles = [line.split("</a>")[0].rsplit(">", 1)[-1] for line in body.split('<li>\n    <p><a href="')[1:]]
    assert titles == [e.title for e in dated + undated][:50]
    first = dated[0]
    assert f"最早见于 <a href=\"/essays/{first.pk}/" in body and "（最早）" in body
    one = Essay.objects.get(pk=first.pk)
    assert f"{one.title}[N/OL]. {one.source}, {one.date.iso()}[" in body or f"{one.title}[J/OL]. {one.source}" in body
    years = sorted({e.date_start.year for e in dated})
    for y in years:
        n = sum(1 for e in dated if e.date_start.year == y)
        assert f'<th scope="row">{y}</th><td>{n}</td>' in body


@pytest.mark.parametrize("params", [{}, {"q": "，。"}])
def test_a_missing_or_empty_quote_answers_400_in_chinese(client, params):
    make_corpus(5)
    response = client.get("/search/quote/", params)
    assert response.status_code == 400
    notice = re.search(r'<p class="notice" role="alert">([^<]+)</p>', response.content.decode())
    assert notice and re.search(r"[\u4e00-\u9fff]", notice.group(1)), response.content.decode()[:500]
