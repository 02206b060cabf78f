"""The benchmark's queries: the fixed classes with counts checked against a
brute-force scan of the generated text, and a wide mix of distinct ones
drawn from the corpus."""
import random

from . import generate as gen
from .common import contract_fold

CLASSES = {
    "word": "(a) single words",
    "multi": "(b) 2–3 words, unquoted",
    "quote": "(c) quotes, 2–20 chars",
    "common": "(d) very common terms",
}
WORDS = ["发展", "落实", "改革", "创新", "人民", "经济", "干部", "群众", "建设", "治理"]
MULTI = ["抓落实 担当", "乡村振兴 共同富裕", "科技创新 营商环境", "全面从严治党 作风建设",
         "高质量发展 新发展理念", "党员干部 担当作为 初心使命", "改革 创新 发展", "生态文明 基层治理 民生福祉"]
COMMON = ["的", "发展", "我们", "是", "在"]
QUOTE_LENGTHS = [2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20]


def wide_queries(raw, rng, n, avoid=()):
    """n distinct queries drawn from the corpus's paragraphs, of every kind
    a reader types: a word (35%), a quotation of 2–12 characters (25%), two
    or three words (20%), title:word (10%), a word without another (10%)."""
    from search import analysis

    out, seen = [], set(avoid)
    for _ in range(50 * n):
        if len(out) >= n:
            break
        paragraphs = raw[rng.randrange(len(raw))]
        if not paragraphs:
            continue
        p = paragraphs[rng.randrange(len(paragraphs))]
        kind = rng.random()
        if 0.35 <= kind < 0.6:
            length = rng.randint(2, 12)
            start = rng.randrange(max(1, len(p) - length))
            cut = p[start:start + length].replace('"', "")
            q = f'"{cut}"' if len(contract_fold(cut)) >= 2 else None
        else:
            ws = [w for w in analysis.words(p) if len(w) >= 2]
            if not ws:
                continue
            if kind < 0.35:
                q = rng.choice(ws)
            elif kind < 0.8:
                q = " ".join(rng.sample(ws, min(len(ws), rng.randint(2, 3)))) if len(ws) >= 2 else None
            elif kind < 0.9:
                q = "title:" + rng.choice(ws)
            else:
                q = f"{ws[0]} -{ws[-1]}" if ws[0] != ws[-1] else None
        if q and q not in seen:
            seen.add(q)
            out.append(q)
    return out


def build_queries(corpus, size, seed, per_class=0):
    """The query set with expected counts from a brute-force scan of the
    generated text under the search contract (fold; jieba words); with
    `per_class`, the first that many of each class (smoke runs)."""
    from search import analysis

    analysis.load()
    folded, raw = corpus["folded"], corpus["raw"]
    rng = random.Random(f"bench.run:{seed}")

    def count(terms):
        return sum(1 for t in folded if all(w in t for w in terms))

    def words_of(q):
        return [w for chunk in q.split() for w in analysis.words(chunk)]

    queries = []
    for w in WORDS:
        queries.append({"cls": "word", "q": w, "expected": count(words_of(w))})
    for q in MULTI:
        queries.append({"cls": "multi", "q": q, "expected": count(words_of(q))})
    for length in QUOTE_LENGTHS:
        for _ in range(200):
            paragraphs = raw[rng.randrange(len(raw))]
            p = paragraphs[rng.randrange(len(paragraphs))]
            if len(p) <= length:
                continue
            start = rng.randrange(len(p) - length)
            cut = p[start:start + length]
            f = contract_fold(cut)
            if len(f) >= 2 and '"' not in cut:
                queries.append({"cls": "quote", "q": f'"{cut}"', "expected": count([f]), "cut": True})
                break
    for quote, seqs in gen.quote_seqs(size).items():
        brute = count([contract_fold(quote)])
        queries.append({"cls": "quote", "q": f'"{quote}"', "expected": len(seqs), "brute": brute,
                        "quote_seqs": True})
    for w in COMMON:
        queries.append({"cls": "common", "q": w, "expected": count(words_of(w))})
    if per_class:
        # Smoke runs: the first N of each class (the quote_seqs quotations are last in theirs,
        # so keep one of them).
        keep = []
        for cls in CLASSES:
            mine = [q for q in queries if q["cls"] == cls]
            chosen = mine[:per_class]
            if cls == "quote":
                chosen = chosen[:-1] + [next(q for q in mine if q.get("quote_seqs"))]
            keep += chosen
        queries = keep
    return queries


HALF_CANDIDATES = ["发展", "落实", "建设", "人民", "改革", "推进", "工作", "坚持", "群众", "创新", "经济", "干部"]


def half_word(folded):
    """Of HALF_CANDIDATES, the word whose share of the essays is nearest one
    half (brute force over the folded texts): the timeline target's "word
    in half the essays"."""
    if not folded:
        return None
    share = {w: sum(1 for t in folded if w in t) / len(folded) for w in HALF_CANDIDATES}
    return min(share, key=lambda w: abs(share[w] - 0.5))
