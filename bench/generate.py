"""Deterministic generator of essay files in the archive's seed format.

    python -m bench.generate OUT_DIR --count 20000 --seed 1 [--odd 10] [--avg-chars 1500]

Each file ``{seq:06d}.txt`` holds the original name (``{seq}{title}.txt``) on the first
line, then the HTML body on one line (no trailing newline), exactly like the real seed
in ``seeds/``.  Paragraph text mixes sentences of words drawn by frequency from jieba's
bundled ``dict.txt`` with ~25 % real sentences of the seed essay, and inserts the
well-known quotations in ``QUOTES`` into a known subset of essays (see ``quote_seqs``).
Every essay has its own ``random.Random`` derived from ``(seed, seq)``, so output is
byte-identical for the same seed and ``corpus_texts(n)`` is a prefix of ``corpus_texts(m)``.
"""
import argparse
import bisect
import functools
import os
import random
import re
import sys
import time
from pathlib import Path

import jieba

SEED_DIRS = (Path(__file__).resolve().parent.parent / "seeds", Path("/work/shared/seeds"))
SPAN = "<div><span style='font-size:16px;margin-top:15px;line-height:25px;text-indent:30px'> \u3000\u3000"
PARA_END = "</span></div><div>&nbsp;</div>"
TOP_WORDS = 60_000
TABLE_SIZE = 1 << 21
COMMA_RATE = 0.18  # commas per word in generated sentences
SEED_SHARE = 0.25
ENDS, END_CW = ("。", "；", "！", "？"), (80, 90, 96, 100)
# Quotation -> modulus: the quotation is inserted into exactly the essays with seq % m == 0.
# None of them occurs in the seed essay, so hit counts are exact (see quote_seqs).
# (天下大事必作于细 and 大鹏之动，非一羽之轻也 are seed sentences and recur anyway.)
QUOTES = {"天下难事必作于易": 37, "道阻且长，行则将至": 53, "空谈误国，实干兴邦": 71,
          "行百里者半九十": 97, "功崇惟志，业广惟勤": 131}
QUOTE_INTROS = ("古人云：", "正所谓", "习近平同志指出：", "常言道：", "")
POLICY = ("高质量发展", "全面从严治党", "乡村振兴", "新时代", "党员干部", "抓落实", "初心使命",
          "担当作为", "改革开放", "共同富裕", "生态文明", "基层治理", "作风建设", "新发展理念",
          "中国式现代化", "营商环境", "科技创新", "民生福祉", "主题教育", "干事创业")
TITLE_TEMPLATES = ("让{a}成为{b}", "以{a}推动{b}", "在{a}中{b}", "{a}要{b}", "把{a}落到{b}",
                   "{a}{b}", "奋力{a}{b}", "坚持{a}推进{b}", "{a}助力{b}")
# Publication metadata (metadata.csv): dates over 20 years, most to the day,
# some to the month or year only, a few unknown; sources, authors and columns
# drawn with weights, as an archive's are skewed.
FIRST_DAY, DAYS = 731_947, 7_305  # date(2005, 1, 1).toordinal(); 20 years
SOURCES = (("人民日报", 40), ("求是", 12), ("新华社", 15), ("光明日报", 10), ("经济日报", 8), ("学习时报", 6),
           ("中国纪检监察报", 5), ("解放军报", 4))
AUTHORS = (("", 30), ("本报评论员", 25), ("任仲平", 6), ("宣言", 5), ("国纪平", 4), ("钟声", 6), ("辛识平", 8),
           ("仲祖文", 4), ("人民日报评论部", 12))
COLUMNS = (("评论", 35), ("社论", 10), ("评论员文章", 25), ("讲话", 8), ("理论", 12), ("时评", 10))
MANIFEST_COLUMNS = ("file", "date", "source", "author", "column", "url")
ODD_KINDS = ("gb18030", "bom", "crlf", "p_tags", "entities", "no_number", "hostile", "html_only")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")


class _Lexicon:
    """Top dictionary words (CJK only) as a frequency-proportional sampling table.

    ``table`` repeats each word ~freq/total * TABLE_SIZE times (cumulative rounding, so
    every one of the top words gets >= 1 slot), making ``rng.choice``/``rng.choices(table)``
    an O(1) frequency-weighted draw -- ~10x faster than ``choices(cum_weights=...)``.
    """

    def __init__(self):
        rows = []
        with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2 and _CJK.match(parts[0]):
                    rows.append((-int(parts[1]), parts[0]))
        rows.sort()
        rows = rows[:TOP_WORDS]
        self.words = [w for _, w in rows]
        total = -sum(f for f, _ in rows)
        self.table, cum, prev = [], 0, 0
        for f, w in rows:
            cum -= f
            slot = round(cum * TABLE_SIZE / total)
            self.table.extend([w] * (slot - prev))
            prev = slot
        self.tokens = self.table + ["，"] * round(TABLE_SIZE * COMMA_RATE)
        self.title_words = [w for w in self.words[:25_000] if len(w) >= 2]


@functools.lru_cache(maxsize=1)
def lexicon():
    """Return the cached word list / sampling table loaded from jieba's dict.txt."""
    return _Lexicon()


@functools.lru_cache(maxsize=1)
def seed_sentences():
    """Return the sorted, de-duplicated sentences of the seed essay(s) (split at 。！？；)."""
    seed_dir = next((d for d in SEED_DIRS if d.is_dir() and any(d.glob("*.txt"))), None)
    if seed_dir is None:
        raise FileNotFoundError("no seed essay found in %s" % (SEED_DIRS,))
    found = set()
    for path in sorted(seed_dir.glob("*.txt")):
        for para in re.findall(r"<span[^>]*>(.*?)</span>", path.read_text(encoding="utf-8"), re.S):
            for sent in re.findall(r"[^。！？；]+[。！？；]”?", para.strip()):
                if len(sent.strip()) >= 6:
                    found.add(sent.strip())
    return tuple(sorted(found))


def quote_seqs(count):
    """Map each quotation in QUOTES to the sorted list of seqs (1..count) that contain it."""
    return {q: list(range(m, count + 1, m)) for q, m in QUOTES.items()}


def _essay_rng(seed, key):
    return random.Random(f"bench.generate:{seed}:{key}")  # str seeds hash via sha512: stable


def _sentence(rng, lex, seeds):
    rand = rng.random
    if rand() < SEED_SHARE:
        return seeds[int(rand() * len(seeds))]
    # ~8-25 words; commas come from the token table (~1 per 5.5 words), tidied in C.
    text = "".join(rng.choices(lex.tokens, k=int((8 + rand() * 18) * 1.18)))
    text = text.strip("，").replace("，，", "，").replace("，，", "，").replace("，，", "，")
    return text + ENDS[bisect.bisect(END_CW, rand() * 100)]


def _title(rng, lex):
    def phrase(policy=0.3):
        if rng.random() < policy:
            return rng.choice(POLICY)
        return "".join(rng.choice(lex.title_words) for _ in range(rng.randint(1, 2)))

    for _ in range(30):
        a = phrase()
        b = phrase(0.0 if a in POLICY else 0.3)  # at most one policy term: fewer duplicates
        title = rng.choice(TITLE_TEMPLATES).format(a=a, b=b)
        if 8 <= len(title) <= 20:
            return title
    return (title + "".join(rng.choice(lex.title_words) for _ in range(4)))[:20]


def essay_text(rng, seq, avg_chars=1500):
    """Build one essay from ``rng``: return ``(original_name, title, paragraphs)``.

    Paragraph text totals ~avg_chars * triangular(0.4, 2.0, mode 0.6) characters
    (mean avg_chars, 600..3000 for the default) in 3..12 paragraphs; quotations from
    QUOTES are inserted when ``seq`` is a multiple of their modulus.
    """
    lex, seeds = lexicon(), seed_sentences()
    title = _title(rng, lex)
    target = avg_chars * rng.triangular(0.4, 2.0, 0.6)
    k = max(3, min(12, round(target / rng.uniform(160, 320))))
    shares = [rng.uniform(0.6, 1.4) for _ in range(k)]
    scale = target / sum(shares)
    paras = []
    for share in shares:
        want, sents, size = share * scale, [], 0
        while True:
            s = _sentence(rng, lex, seeds)
            if sents and size + len(s) / 2 > want:
                break
            sents.append(s)
            size += len(s)
        paras.append(sents)
    for quote, mod in QUOTES.items():
        if seq % mod == 0:
            sents = paras[rng.randrange(k)]
            sents.insert(rng.randint(0, len(sents)), f"{rng.choice(QUOTE_INTROS)}“{quote}”。")
    paragraphs = ["".join(s) for s in paras]
    return f"{seq}{title}.txt", title, paragraphs


def corpus_texts(count, seed=1, avg_chars=1500):
    """Yield ``(seq, title, paragraphs)`` for seq 1..count without writing any file."""
    for seq in range(1, count + 1):
        _, title, paragraphs = essay_text(_essay_rng(seed, seq), seq, avg_chars)
        yield seq, title, paragraphs


def _pick(rng, weighted):
    names, weights = zip(*weighted)
    return rng.choices(names, weights)[0]


def metadata_row(seed, seq):
    """The manifest row of essay `seq`: (file, date, source, author, column,
    url), from its own random stream (the texts are the same with or without
    it). Dates: 85 % to the day, 8 % to the month, 4 % to the year, 3 % none,
    written in the several forms manifests use."""
    import datetime

    rng = _essay_rng(seed, f"meta{seq}")
    day = datetime.date.fromordinal(FIRST_DAY + int(rng.random() * DAYS))
    kind = rng.random()
    if kind < 0.85:
        date = rng.choice((day.isoformat(), f"{day.year}年{day.month}月{day.day}日", f"{day:%Y/%m/%d}"))
    elif kind < 0.93:
        date = rng.choice((f"{day:%Y-%m}", f"{day.year}年{day.month}月"))
    elif kind < 0.97:
        date = str(day.year)
    else:
        date = ""
    source = _pick(rng, SOURCES)
    url = f"https://example.org/{day:%Y%m%d}/{seq}.html" if rng.random() < 0.7 else ""
    return (f"{seq:06d}.txt", date, source, _pick(rng, AUTHORS), _pick(rng, COLUMNS), url)


def write_manifest(out_dir, count, seed=1):
    """Write out_dir/metadata.csv for essays 1..count (bench.generate's names)."""
    import csv

    with open(Path(out_dir) / "metadata.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows(metadata_row(seed, seq) for seq in range(1, count + 1))


def render(seq, title, paragraphs):
    """Return the file text in seed format: name line, newline, one-line HTML body."""
    return f"{seq}{title}.txt\n" + "".join(SPAN + p + PARA_END for p in paragraphs)


def render_odd(kind, seq, title, paragraphs):
    """Return ``bytes`` of an odd-format essay file of the given ODD_KINDS ``kind``."""
    body = "".join(SPAN + p + PARA_END for p in paragraphs)
    head = f"{seq}{title}.txt\n"
    if kind == "gb18030":
        return (head + body).encode("gb18030")
    if kind == "bom":
        return (head + body).encode("utf-8-sig")
    if kind == "crlf":
        text = head + "\n".join(SPAN + p + PARA_END for p in paragraphs) + "\n"
        return text.replace("\n", "\r\n").encode("utf-8")
    if kind == "p_tags":
        return (head + "\n".join(f"<p>\u3000\u3000{p}</p>" for p in paragraphs) + "\n").encode("utf-8")
    if kind == "entities":
        paras = [p.replace("“", "&ldquo;").replace("”", "&rdquo;") for p in paragraphs]
        paras[0] += "坚持产学研&amp;用深度融合，&ldquo;空谈误国，实干兴邦&rdquo;。"
        return (head + "".join(SPAN + p + PARA_END for p in paras)).encode("utf-8")
    if kind == "no_number":
        return (f"{title}.txt\n" + body).encode("utf-8")
    if kind == "hostile":
        paras = list(paragraphs)
        paras[0] += ("<script>alert(1)</script>请看<img src=x onerror=alert(1)>"
                     "和<a href=\"javascript:alert(1)\">这个链接</a>。")
        return (head + "".join(SPAN + p + PARA_END for p in paras)).encode("utf-8")
    if kind == "html_only":
        return (f"<h1>{title}</h1>" + body).encode("utf-8")
    raise ValueError(f"unknown odd kind {kind!r}")


def generate(out_dir, count, seed=1, odd=0, avg_chars=1500, progress=None):
    """Write ``count`` essays ``{seq:06d}.txt`` (+ ``odd`` files ``odd_{i:03d}.txt``) to out_dir,
    and their publication metadata to ``metadata.csv`` (see metadata_row).

    ``progress(done, total)`` is called every 1,000 files and at the end.  Returns
    ``dict(files=count+odd, essays=count, odd=odd, chars=<paragraph chars>, seconds=...)``.
    """
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    total, done, chars = count + odd, 0, 0
    for seq, title, paragraphs in corpus_texts(count, seed, avg_chars):
        (out / f"{seq:06d}.txt").write_bytes(render(seq, title, paragraphs).encode("utf-8"))
        chars += sum(map(len, paragraphs))
        done += 1
        if progress and done % 1000 == 0:
            progress(done, total)
    for i in range(odd):
        seq = count + 1 + i
        _, title, paragraphs = essay_text(_essay_rng(seed, f"odd{i}"), seq, avg_chars)
        data = render_odd(ODD_KINDS[i % len(ODD_KINDS)], seq, title, paragraphs)
        (out / f"odd_{i:03d}.txt").write_bytes(data)
        chars += sum(map(len, paragraphs))
        done += 1
    write_manifest(out, count, seed)
    if progress:
        progress(done, total)
    return dict(files=total, essays=count, odd=odd, chars=chars,
                seconds=round(time.perf_counter() - start, 3))


def main(argv=None):
    """Command-line entry point; progress and summary go to stderr."""
    ap = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--count", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--odd", type=int, default=0)
    ap.add_argument("--avg-chars", type=int, default=1500)
    args = ap.parse_args(argv)

    def show(done, total):
        print(f"\r{done:,}/{total:,} files", end="", file=sys.stderr, flush=True)

    res = generate(args.out_dir, args.count, args.seed, args.odd, args.avg_chars, show)
    print(f"\n{res['files']:,} files ({res['odd']} odd), {res['chars']:,} characters, "
          f"{res['seconds']:.1f} s -> {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
