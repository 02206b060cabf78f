"""Tests for bench.generate (plain pytest, no Django needed)."""
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from bench import generate as gen

FIRST_LINE = re.compile(r"^\d+.+\.txt$")


@pytest.fixture(autouse=True)
def data_dir(tmp_path):
    """Override tests/conftest.py's Django-settings autouse fixture: no Django needed here."""
    return tmp_path


def _read_dir(path):
    return {p.name: p.read_bytes() for p in sorted(Path(path).iterdir())}


@pytest.fixture(scope="module")
def corpus():
    return list(gen.corpus_texts(300, seed=1))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    result = gen.generate(out / "a", 40, seed=3, odd=8)
    gen.generate(out / "b", 40, seed=3, odd=8)
    gen.generate(out / "c", 40, seed=4, odd=8)
    return out, result


def test_render_reproduces_seed_file_bytes():
    seed_path = next(d for d in gen.SEED_DIRS if d.is_dir()) / "000_7229694e1c405891.txt"
    raw = seed_path.read_bytes()
    name, body = raw.decode("utf-8").split("\n", 1)
    seq, title = re.match(r"^(\d+)(.+)\.txt$", name).groups()
    paragraphs = [p[len(" \u3000\u3000"):] for p in re.findall(r"<span[^>]*>(.*?)</span>", body)]
    assert gen.render(int(seq), title, paragraphs).encode("utf-8") == raw


def test_same_seed_identical_bytes_other_seed_differs(written):
    out, _ = written
    a, b, c = _read_dir(out / "a"), _read_dir(out / "b"), _read_dir(out / "c")
    assert a == b
    assert a.keys() == c.keys()
    assert sum(a[k] != c[k] for k in a) == len(a)


def test_count_and_summary(written):
    out, result = written
    names = sorted(p.name for p in (out / "a").iterdir())
    assert names == [f"{i:06d}.txt" for i in range(1, 41)] + ["metadata.csv"] + [f"odd_{i:03d}.txt" for i in range(8)]
    assert result["files"] == 48 and result["essays"] == 40 and result["odd"] == 8
    assert result["chars"] > 40 * 500 and result["seconds"] >= 0


def test_first_line_and_body_format(written):
    out, _ = written
    for seq in range(1, 41):
        text = (out / "a" / f"{seq:06d}.txt").read_text(encoding="utf-8")
        first, body = text.split("\n", 1)
        assert FIRST_LINE.match(first) and first.startswith(str(seq))
        assert not first.startswith(str(seq) + "0")  # number is exactly seq, title has no digits
        assert "\n" not in body and body.startswith(gen.SPAN) and body.endswith(gen.PARA_END)
        assert 3 <= body.count(gen.SPAN) <= 12


def test_corpus_texts_matches_written_files_and_is_prefix_stable(written, corpus):
    out, _ = written
    for seq, title, paragraphs in gen.corpus_texts(5, seed=3):
        assert (out / "a" / f"{seq:06d}.txt").read_bytes() == gen.render(seq, title, paragraphs).encode()
    assert list(gen.corpus_texts(10, seed=1)) == corpus[:10]


def test_average_chars_and_shape(corpus):
    totals = [sum(map(len, paragraphs)) for _, _, paragraphs in corpus]
    assert abs(statistics.mean(totals) - 1500) <= 0.15 * 1500
    assert min(totals) < 1000 and max(totals) > 2200  # lengths vary per essay
    assert all(3 <= len(p) <= 12 for _, _, p in corpus)
    assert all(8 <= len(t) <= 20 for _, t, _ in corpus)
    assert len({t for _, t, _ in corpus}) >= 295
    small = [sum(map(len, p)) for _, _, p in gen.corpus_texts(100, seed=2, avg_chars=600)]
    assert abs(statistics.mean(small) - 600) <= 0.15 * 600


def test_seed_sentences_recur(corpus):
    texts = ["".join(p) for _, _, p in corpus]
    hits = Counter(s for s in gen.seed_sentences() for t in texts if s in t)
    assert len(gen.seed_sentences()) > 30
    assert sum(1 for n in hits.values() if n >= 5) >= 20
    # generated sentences use dictionary words with full-width punctuation
    assert all("，" in t and "。" in t for t in texts)


def test_quotations_in_known_subset(corpus):
    expected = gen.quote_seqs(300)
    for quote, seqs in expected.items():
        found = [seq for seq, _, p in corpus if quote in "".join(p)]
        assert found == seqs and len(seqs) == 300 // gen.QUOTES[quote]


def test_odd_files(written):
    out, _ = written
    files = {i: (out / "a" / f"odd_{i:03d}.txt").read_bytes() for i in range(8)}
    kinds = dict(zip(gen.ODD_KINDS, files.values()))
    with pytest.raises(UnicodeDecodeError):
        kinds["gb18030"].decode("utf-8")
    assert FIRST_LINE.match(kinds["gb18030"].decode("gb18030").split("\n", 1)[0])
    assert kinds["bom"].startswith(b"\xef\xbb\xbf")
    crlf = kinds["crlf"].decode("utf-8")
    assert "\r\n" in crlf and "\n" not in crlf.replace("\r\n", "")
    assert b"<p>" in kinds["p_tags"] and b"<span" not in kinds["p_tags"]
    assert b"&ldquo;" in kinds["entities"] and b"&rdquo;" in kinds["entities"]
    assert b"&amp;" in kinds["entities"]
    first = kinds["no_number"].decode("utf-8").split("\n", 1)[0]
    assert first.endswith(".txt") and not first[0].isdigit()
    hostile = kinds["hostile"].decode("utf-8")
    for bad in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:"):
        assert bad in hostile
    assert re.match(r"^<h1>[^<]{8,20}</h1><div>", kinds["html_only"].decode("utf-8"))
    for data in files.values():  # every odd file still has a title and paragraphs
        text = data.decode("gb18030" if data is kinds["gb18030"] else "utf-8-sig")
        assert len(re.findall(r"<(?:span[^>]*|p)>\s*\u3000\u3000[^<]{40}", text)) >= 3


def test_cli(tmp_path, capsys):
    assert gen.main([str(tmp_path / "cli"), "--count", "3", "--seed", "5", "--odd", "2",
                     "--avg-chars", "400"]) == 0
    assert len(list((tmp_path / "cli").iterdir())) == 6  # and metadata.csv
    err = capsys.readouterr().err
    assert "5/5 files" in err and "5 files (2 odd)" in err and "characters" in err


def test_the_manifest_reads_back_with_every_essays_metadata(written):
    """metadata.csv parses with the archive's own manifest reader, names
    every essay once, and spreads dates over 20 years in every precision."""
    from essays.manifest import parse_manifest

    out, _ = written
    manifest = parse_manifest((out / "a" / "metadata.csv").read_bytes())
    assert manifest.problems == ()
    assert sorted(manifest.rows) == [f"{i:06d}.txt" for i in range(1, 41)]
    rows = [gen.metadata_row(1, seq) for seq in range(1, 2001)]
    parsed = parse_manifest(("file,date,source,author,column,url\n" + "\n".join(",".join(r) for r in rows))
                            .encode("utf-8")).rows
    dates = [m.date for m in parsed.values() if m.date]
    assert {d.precision for d in dates} == {"year", "month", "day"}
    assert 2005 == min(d.year for d in dates) and max(d.year for d in dates) == 2024
    assert 0 < len(parsed) - len(dates) < 150  # about 3 % undated
    assert {m.source for m in parsed.values()} == {name for name, _w in gen.SOURCES}
    assert (out / "a" / "metadata.csv").read_bytes() == (out / "b" / "metadata.csv").read_bytes()
