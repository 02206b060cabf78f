"""Parallel passages: planted shared passages (15+ characters copied between
essays) are all found, none reported is shorter than the threshold or
absent from either essay, and they follow an edit and a delete."""
import random

import pytest

from essays.importing import import_essay_bytes
from essays.models import Essay
from search import service
from search.sync import batched_indexing

from .conftest import essay_file
from .support.oracle import fold

pytestmark = pytest.mark.django_db(transaction=True)

FILLER = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞"


def text(rng, n):
    return "".join(rng.choice(FILLER) for _ in range(n))


def make(number, paragraphs):
    outcome = import_essay_bytes(essay_file(number, f"平行{number}", paragraphs), f"par{number}.txt")
    assert outcome.status in ("created", "updated"), outcome
    return Essay.objects.get(pk=outcome.essay_id)


@pytest.fixture
def planted():
    """12 essays of random text; passages of 15–40 characters copied from
    essay 1 into others (some with punctuation around or inside them)."""
    rng = random.Random(18)
    base = [text(rng, 120), text(rng, 90), text(rng, 150)]
    plants = []  # (source paragraph, start, length, target essay number)
    with batched_indexing():
        essays = {1: base}
        for n in range(2, 13):
            essays[n] = [text(rng, 100), text(rng, 80)]
        for target in range(2, 10):
            p = rng.randrange(3)
            length = rng.choice([15, 16, 22, 40])
            start = rng.randrange(len(base[p]) - length)
            q = rng.randrange(2)
            cut = rng.randrange(len(essays[target][q]))
            essays[target][q] = essays[target][q][:cut] + "，" + base[p][start:start + length] + "。" + \
                essays[target][q][cut:]
            plants.append((p + 1, start, length, target))
        # A near miss: 14 characters only.
        essays[11][0] = essays[11][0][:10] + "“" + base[0][5:19] + "”" + essays[11][0][10:]
        made = {n: make(n, paragraphs) for n, paragraphs in essays.items()}
    return made, plants


def brute(essay, others, min_chars=15):
    """(paragraph, other id) of every pair sharing a run of min_chars folded characters."""
    out = set()
    for p, para in enumerate(essay.paragraphs, start=1):
        a = fold(para)
        for o in others:
            for q, their in enumerate(o.paragraphs, start=1):
                b = fold(their)
                if any(a[i:i + min_chars] in b for i in range(len(a) - min_chars + 1)):
                    out.add((p, o.pk))
    return out


def test_planted_passages_are_all_found_and_none_is_false(planted):
    made, plants = planted
    one = made[1]
    found = service.parallels(one.pk)
    pairs = {(para["paragraph"], e["id"]) for para in found for passage in para["passages"] for e in passage["essays"]}
    others = [e for n, e in made.items() if n != 1]
    assert pairs == brute(one, others)
    assert {(p, made[t].pk) for p, _s, _l, t in plants} <= pairs
    assert made[11].pk not in {i for _p, i in pairs}  # 14 characters: not a parallel
    for para in found:
        own = fold(one.paragraphs[para["paragraph"] - 1])
        for passage in para["passages"]:
            shared = fold(passage["text"])
            assert len(shared) >= 15 and shared in own
            for e in passage["essays"]:
                theirs = fold(Essay.objects.get(pk=e["id"]).paragraphs[e["paragraph"] - 1])
                assert shared in theirs  # present in both essays
                assert e["url"].endswith(f"#p{e['paragraph']}")


def test_parallels_follow_an_edit_and_a_delete(planted):
    made, plants = planted
    one, target = made[1], made[plants[0][3]]
    before = {e["id"] for para in service.parallels(one.pk) for p in para["passages"] for e in p["essays"]}
    assert target.pk in before
    target.paragraphs = ["改过之后没有共享的段落。"]
    target.save()
    after = {e["id"] for para in service.parallels(one.pk) for p in para["passages"] for e in p["essays"]}
    assert target.pk not in after and after == before - {target.pk}
    gone = made[plants[1][3]]
    gone.delete()
    assert gone.pk not in {e["id"] for para in service.parallels(one.pk) for p in para["passages"]
                           for e in p["essays"]}


def test_the_api(client, planted):
    made, _plants = planted
    data = client.get(f"/api/essays/{made[1].pk}/parallels").json()
    assert data["min_chars"] == 15 and data["paragraphs"]
    passage = data["paragraphs"][0]["passages"][0]
    assert set(passage) == {"text", "common", "essays"}
    assert set(passage["essays"][0]) == {"id", "number", "title", "date", "paragraph", "url"}
    assert passage["essays"][0]["url"].startswith("http://testserver/essays/")
    assert client.get("/api/essays/999999/parallels").status_code == 404


def test_the_essay_page_marks_paragraphs_with_parallels(client, planted):
    made, plants = planted
    url = f"/essays/{made[1].pk}/"
    assert "查找与其他文章相同的段落" in client.get(url).content.decode()  # not found yet: a link
    body = client.get(url, {"parallels": "1"}).content.decode()
    assert 'class="parallels"' in client.get(url).content.decode()  # found once, kept for this index
    paragraphs = {p for p, _s, _l, _t in plants}
    for p in paragraphs:
        assert f'<details class="parallels" id="par{p}">' in body
    assert "另见" in body and "（最早）" in body
    lonely = made[12]
    assert "没有与其他文章共有 15 字以上的段落" in client.get(f"/essays/{lonely.pk}/", {"parallels": "1"}).content.decode()
