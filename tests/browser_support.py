"""Test data and small helpers for the end-to-end browser tests
(tests/test_browser.py). Essays are built as real essay files and go through
the real import path, so the browser sees exactly what an editor's upload
would produce."""
from pathlib import Path

from .conftest import essay_file

ESSAY_COUNT = 45  # 20 per page, orphans 3: pages of 20, 20 and 5

VERBS = ["坚持", "深化", "推动", "把握", "践行", "弘扬", "锤炼", "强化", "涵养"]
OBJECTS = ["实干精神", "担当作为", "调查研究", "群众路线", "改革创新"]

QUOTE = "天下大事必作于细"
# Essays that quote it (with punctuation inside: matching ignores it), and
# where. Essay 7 is long and quotes it far down the page.
QUOTE_ESSAY, QUOTE_PARAGRAPH = 7, 15
QUOTE_ELSEWHERE = (20, 33)

KEYWORD = "钉钉子精神"  # jieba: 钉钉子 + 精神; only odd-numbered essays have both
LONG_ESSAY = 3  # has long unbroken Latin and number strings, in a paragraph and its title
LONG_LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 4
LONG_DIGITS = "1234567890" * 12
LONG_URL = "https://example.org/" + "very-long-path-segment/" * 6 + "index.html"

_POOL = [
    "反对空谈、强调实干、注重落实，是我们党的优良传统。干事创业，既要有激情，更要有韧劲，一张蓝图绘到底。",
    "党员、干部要把心思用在干事业上，把功夫下在抓落实上，以滴水穿石般的韧性把各项任务落到实处。",
    "调查研究是谋事之基、成事之道。没有调查就没有发言权，更没有决策权，必须深入基层、深入群众。",
    "衡量工作成效，不看汇报材料写得多漂亮，而看群众得到了多少实惠，问题解决了多少。",
    "形式主义、官僚主义是抓落实的大敌。开会不在多而在于解决问题，发文不在多而在于管用。",
    "改革越到深处，越要担当作为、敢闯敢试。面对矛盾不回避，面对困难不退缩，面对风险不躲闪。",
    "群众路线是党的生命线和根本工作路线。问需于民、问计于民，才能把好事办好、实事办实。",
    "实践没有止境，创新也没有止境。要在学思践悟中提升本领，在攻坚克难中增长才干。",
]


def title_for(number):
    """The title of essay `number` (1-based): unique, and all Chinese except
    the essay with the long strings."""
    i = number - 1
    title = VERBS[i // len(OBJECTS) % len(VERBS)] + OBJECTS[i % len(OBJECTS)]
    if number == LONG_ESSAY:
        title += "：编号" + LONG_LATIN[:52] + LONG_DIGITS[:40]
    return title


def paragraphs_for(number):
    count = 18 if number == QUOTE_ESSAY else 5
    paragraphs = [f"{_POOL[(number + k) % len(_POOL)]}{_POOL[(number + 3 * k + 1) % len(_POOL)]}"
                  for k in range(count)]
    if number % 2 == 1:
        paragraphs[1] += f"抓落实要发扬{KEYWORD}，一锤接着一锤敲，直到把钉子钉实钉牢。"
    if number == QUOTE_ESSAY:
        paragraphs[QUOTE_PARAGRAPH - 1] = (
            "古人说：“天下大事，必作于细。”抓落实，就要从小处着眼、从细处入手，"
            "把每一项工作做细做实，积小胜为大胜。" + paragraphs[QUOTE_PARAGRAPH - 1])
    if number in QUOTE_ELSEWHERE:
        paragraphs[1] = "《道德经》有言：天下大事必作于细，天下难事必作于易。" + paragraphs[1]
    if number == LONG_ESSAY:
        paragraphs[1] = (f"一段没有空格的长串：{LONG_LATIN}，数字：{LONG_DIGITS}，"
                         f"网址：{LONG_URL}。" + paragraphs[1])
    return paragraphs


def create_essays(count=ESSAY_COUNT):
    """Import essays 1..count through the real import path, indexed in one
    batch. Returns {number: Essay}."""
    from essays.importing import import_essay_bytes
    from essays.models import Essay
    from search.sync import batched_indexing

    ids = {}
    with batched_indexing() as batch:
        for n in range(1, count + 1):
            outcome = import_essay_bytes(essay_file(n, title_for(n), paragraphs_for(n)), f"{n:04d}.txt")
            assert outcome.status == "created", outcome
            batch.touch(outcome.essay_id)
            ids[n] = outcome.essay_id
    essays = Essay.objects.in_bulk(ids.values())
    return {n: essays[pk] for n, pk in ids.items()}


def hostile_essay_bytes(number):
    """An essay file whose HTML and title try to run script."""
    first = f"{number}<script>alert(1)</script>恶意标题.txt"
    body = (
        "<div><span>　　正文开头<script>alert(1)</script>第一段文字。</span></div>"
        "<div><img src=x onerror=alert(1)>图片之后的文字。</div>"
        '<div><a href="javascript:alert(1)">链接</a>在这里，恶意内容测试。</div>'
        "<div>字面的&lt;script&gt;alert(2)&lt;/script&gt;与&lt;img src=x onerror=alert(3)&gt;文字。</div>"
    )
    return (first + "\n" + body).encode("utf-8")


def normalize(text):
    """Text without spaces and punctuation, to compare a highlight with the
    quotation it matched."""
    import unicodedata

    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZC")


def screenshot(page, request, suffix="", full_page=False):
    """Save the page as test-artifacts/screenshots/<test name><suffix>.png."""
    folder = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{request.node.name}{suffix}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def open_at(open_page, width, **options):
    """A page at the desktop (1280 px) or phone (390 px, touch) width."""
    if width == "phone":
        return open_page(viewport=PHONE, is_mobile=True, has_touch=True, **options)
    return open_page(viewport=DESKTOP, **options)
