"""Citations (essays.citations): GB/T 7714 strings for full, partial and
missing metadata; RIS and BibTeX read back by libraries that read them."""
import datetime

import bibtexparser
import pytest
import rispy

from essays.citations import Work, bibtex, gbt7714, kind, ris
from essays.dates import PartialDate

ACCESSED = datetime.date(2026, 12, 2)
URL = "https://archive.example.org/a/k3x9/#p3"


@pytest.mark.parametrize("work, expected", [
    (Work("让抓落实成为鲜明特质", URL, ACCESSED, author="任仲平", source="人民日报", date=PartialDate(2019, 7, 1)),
     "任仲平. 让抓落实成为鲜明特质[N/OL]. 人民日报, 2019-07-01[2026-12-02]. https://archive.example.org/a/k3x9/#p3."),
    (Work("以自我革命引领社会革命", URL, ACCESSED, source="求是", date=PartialDate(2023, 5)),
     "以自我革命引领社会革命[J/OL]. 求是, 2023-05[2026-12-02]. https://archive.example.org/a/k3x9/#p3."),
    (Work("无日期的评论", URL, ACCESSED, author="本报评论员", source="光明日报"),
     "本报评论员. 无日期的评论[N/OL]. 光明日报[2026-12-02]. https://archive.example.org/a/k3x9/#p3."),
    (Work("只有年份", URL, ACCESSED, date=PartialDate(2020)),
     "只有年份[EB/OL]. 2020[2026-12-02]. https://archive.example.org/a/k3x9/#p3."),
    (Work("什么都不知道", URL, ACCESSED),
     "什么都不知道[EB/OL]. [2026-12-02]. https://archive.example.org/a/k3x9/#p3."),
])
def test_gbt7714_for_full_partial_and_missing_metadata(work, expected):
    text = gbt7714(work)
    assert text == expected
    assert "  " not in text and "None" not in text and ", ." not in text and ".." not in text


def test_document_type_follows_the_source():
    assert [kind(Work("t", URL, ACCESSED, source=s)) for s in ("人民日报", "求是", "新华社", "")] == [
        "N", "J", "N", "EB"]


def test_ris_reads_back_with_rispy():
    work = Work("让抓落实成为鲜明特质", URL, ACCESSED, author="任仲平", source="人民日报",
                date=PartialDate(2019, 7, 1), paragraph=3)
    [entry] = rispy.loads(ris(work))
    assert entry["type_of_reference"] == "NEWS"
    assert entry["title"] == "让抓落实成为鲜明特质" and entry["authors"] == ["任仲平"]
    assert entry["secondary_title"] == "人民日报" and entry["year"] == "2019" and entry["date"] == "2019/07/01"
    assert entry["urls"] == [URL] and entry["access_date"] == "2026/12/02"
    [bare] = rispy.loads(ris(Work("什么都不知道", URL, ACCESSED)))
    assert bare["type_of_reference"] == "ELEC" and "authors" not in bare and "year" not in bare


def test_bibtex_reads_back_with_bibtexparser():
    work = Work("标题含 {括号} 与 50% & #号_", URL, ACCESSED, author="任仲平", source="人民日报",
                date=PartialDate(2019, 7))
    library = bibtexparser.parse_string(bibtex(work, "k3x9"))
    assert not library.failed_blocks
    [entry] = library.entries
    assert entry.entry_type == "article" and entry.key == "essayk3x9-2019"
    assert entry["author"] == "{任仲平}" and entry["journal"] == "人民日报" and entry["date"] == "2019-07"
    assert entry["url"] == URL and entry["urldate"] == "2026-12-02"
    assert entry["title"] == r"标题含 \{括号\} 与 50\% \& \#号\_"
    [online] = bibtexparser.parse_string(bibtex(Work("无元数据", URL, ACCESSED), "z")).entries
    assert online.entry_type == "online" and online.key == "essayz-nd" and "author" not in online.fields_dict


# ------------------------------------------------------------ on the site

@pytest.fixture
def cited(make_essay):
    essay = make_essay(3, "让抓落实成为鲜明特质", ["第一段。", "第二段。"])
    essay.date, essay.source, essay.author = PartialDate(2019, 7, 1), "人民日报", "任仲平"
    essay.save()
    return essay


def test_the_essay_page_carries_its_citation_without_javascript(client, cited):
    from django.utils import timezone

    body = client.get(cited.get_absolute_url()).content.decode()
    today = timezone.localdate().isoformat()
    url = f"http://testserver{cited.get_absolute_url()}"
    assert f'<p class="cite-text" id="cite-essay">任仲平. 让抓落实成为鲜明特质[N/OL]. 人民日报, 2019-07-01[{today}]. {url}.</p>' in body
    assert 'href="?cite=2#cite"' in body and 'id="cite-paragraph"' not in body
    body = client.get(cited.get_absolute_url(), {"cite": "2"}).content.decode()
    assert f"人民日报, 2019-07-01[{today}]. {url}#p2.</p>" in body
    assert 'id="p2" class="para cited"' in body
    assert 'id="cite-paragraph"' not in client.get(cited.get_absolute_url(), {"cite": "9"}).content.decode()


def test_ris_and_bibtex_downloads(client, cited):
    response = client.get(f"/essays/{cited.pk}/cite.ris", {"p": "2"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/x-research-info-systems")
    assert f'filename="essay-{cited.pk}-p2.ris"' in response["Content-Disposition"]
    [entry] = rispy.loads(response.content.decode())
    assert entry["title"] == "让抓落实成为鲜明特质" and entry["urls"][0].endswith(f"/essays/{cited.pk}/#p2")
    response = client.get(f"/essays/{cited.pk}/cite.bib")
    [entry] = bibtexparser.parse_string(response.content.decode()).entries
    assert entry["journal"] == "人民日报" and entry["url"].endswith(f"/essays/{cited.pk}/")


def test_unknown_formats_and_essays_answer_404(client, cited):
    assert client.get(f"/essays/{cited.pk}/cite.docx").status_code == 404
    assert client.get("/essays/999999/cite.ris").status_code == 404
