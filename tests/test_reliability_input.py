"""Hostile input: arbitrary bytes for the parser, arbitrary queries for the
search service, 10,000+ generated requests against a running gunicorn,
hostile uploads through the admin, and the admin's login and CSRF walls.

The HTTP tests share one server on a temporary data directory; traffic only
goes to that 127.0.0.1 server, and every process is stopped afterwards."""
import hashlib
import os
import random
import re
import socket
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essays.parsing import EssayParseError, ParsedEssay, parse_essay_bytes

from .support.http import Client
from .support.processes import ROOT
from .support.records import record
from .support.site import essay_bytes, serving

pytestmark = [pytest.mark.reliability]


# ------------------------------------------------------------- the parser

HTML_PIECES = [
    "<div>", "</div>", "<span style='x'>", "</span>", "<p>", "</p>", "<br>", "<br/>", "<h1>", "</h1>",
    "<title>", "</title>", "<head>", "<body>", "</body>", "<html>", "<script>", "</script>",
    "<style>", "</style>", "<svg><script>alert(1)</script></svg>", "<math>", "<table><tr><td>",
    "<!--", "-->", "<![CDATA[", "]]>", "<!DOCTYPE html>", "<?xml version='1.0'?>", "&nbsp;",
    "&#0;", "&#x0;", "&#99999999;", "&#xD800;", "&amp;", "&lt;script&gt;", "&", "<", ">", "<<>>",
    "\u3000\u3000", "\r\n", "\r", "\n", "\t", "\x0b", "\x0c", "\x85", "\u2028", "\ufeff", "\u200b",
    "<img src=x onerror=alert(1)>", "<a href=\"javascript:alert(1)\">", "</a>", "<b>", "</b>",
    "<div><div><div><div><div><div><div><div>", "</div></div></div></div>", "<pre>", "</pre>",
    "12", "１２", "抓落实", "党员干部", "天下大事必作于细", "。", "，", "“", "”", "\U00020000",
    "<h1>标题</h1>", ".txt", "0" * 20, "\x00", "\x1b[31m", "\ud7ff",
]
HTML_SOUP = st.lists(st.one_of(st.sampled_from(HTML_PIECES), st.text(max_size=12)), max_size=80).map("".join)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1", "big5", "cp1252"])


def _check_parse(data, source_name, max_bytes):
    try:
        essay = parse_essay_bytes(data, source_name, max_bytes=max_bytes)
    except EssayParseError as err:
        assert err.source == source_name and err.reason
        return "error"
    # Anything else escaping is a failure of the contract.
    assert isinstance(essay, ParsedEssay)
    assert essay.title and essay.title == essay.title.strip()
    assert essay.paragraphs and all(p and p == p.strip() for p in essay.paragraphs)
    assert "\x00" not in essay.title + "".join(essay.paragraphs)
    assert essay.content_hash == hashlib.sha256(bytes(data)).hexdigest()
    assert len(data) <= max_bytes
    return "essay"


PARSE_OUTCOMES = Counter()


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000), st.text(max_size=40), st.sampled_from([5 * 1024 * 1024, 1000, 1]))
def test_parser_on_arbitrary_bytes_returns_an_essay_or_a_parse_error(data, source_name, max_bytes):
    PARSE_OUTCOMES["bytes:" + _check_parse(data, source_name, max_bytes)] += 1


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60), HTML_SOUP, ENCODINGS, st.binary(max_size=8), st.integers(0, 3))
def test_parser_on_html_byte_soup_returns_an_essay_or_a_parse_error(first, soup, encoding, junk, where):
    text = first + "\n" + soup
    data = text.encode(encoding, errors="replace")
    if where == 1:
        data = junk + data
    elif where == 2:
        data = data[: len(data) // 2] + junk + data[len(data) // 2:]
    PARSE_OUTCOMES["soup:" + _check_parse(data, "soup.txt", 5 * 1024 * 1024)] += 1


def test_record_parser_figures():
    """Runs after the two property tests above (file order)."""
    record("input.parser_properties", examples=sum(PARSE_OUTCOMES.values()),
           outcomes=dict(sorted(PARSE_OUTCOMES.items())))
    assert sum(PARSE_OUTCOMES.values()) > 0


# ------------------------------------------------------ the search service

QUERY_PIECES = ['"', "“", "”", "「", "」", "『", "』", "＂", "-", "--", "OR", "or", "title:", "TITLE:", "title:\"",
                " ", "\u3000", "\t", "\n", "\x00", "\x7f", "\u200b", "\ufeff", "*", "?", ":", "(", ")", "[", "]", "{",
                "}", "^", "~", "\\", "/", "AND", "NOT", "抓落实", "担当", "形式主义", "天下大事必作于细", "的", "一",
                "ｔｉｔｌｅ：", "ﬁ", "Ǆ", "é", "\u0301", "𠀀", "🙂", "\U0010ffff", "<script>", "%", "&", "'"]
QUERY_TEXT = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(st.sampled_from(QUERY_PIECES), st.text(max_size=6)), max_size=40).map("".join),
    # around the 500-character limit
    st.lists(st.sampled_from(QUERY_PIECES), min_size=200, max_size=300).map(lambda p: "".join(p)[:480])
    .flatmap(lambda s: st.integers(0, 40).map(lambda n: s + "字" * n)),
)
SEARCH_OUTCOMES = Counter()


@pytest.fixture
def small_index(db):
    """Twelve essays, indexed through the real sync path."""
    from essays.models import Essay
    from search.sync import batched_indexing

    texts = ["抓落实要有担当，反对形式主义。", "天下大事，必作于细。", "不忘初心，牢记使命。", "Title case and ASCII words."]
    with batched_indexing():
        for n in range(1, 13):
            Essay.objects.create(number=n if n % 5 else None, title=f"第{n}篇：{texts[n % 4][:6]}",
                                 paragraphs=[texts[n % 4], texts[(n + 1) % 4] * (n % 3 + 1)],
                                 source_name=f"s{n}.txt", content_hash=f"h{n}")


def test_search_service_raises_only_query_errors(small_index):
    from search import service
    from search.backends.base import MAX_PER_PAGE, SORTS

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(QUERY_TEXT, st.one_of(st.sampled_from(SORTS), st.text(max_size=8)),
           st.integers(1, 100_000), st.integers(1, MAX_PER_PAGE))
    def check(text, sort, page, per_page):
        try:
            result = service.search(text, sort=sort, page=page, per_page=per_page)
        except service.QueryError as err:
            assert str(err)
            SEARCH_OUTCOMES["query_error"] += 1
            return
        # What the views use of a result must work too.
        assert 0 <= len(result.hits) <= per_page and result.count >= 0
        assert result.num_pages >= 1 and result.mode in {"quote", "keywords"}
        for hit in result.hits:
            assert hit.title and hit.url and hit.occurrences >= 0
        SEARCH_OUTCOMES["result"] += 1

    check()
    record("input.search_service_properties", examples=sum(SEARCH_OUTCOMES.values()),
           outcomes=dict(SEARCH_OUTCOMES))


def test_search_service_refuses_out_of_range_pages(small_index):
    """page < 1, per_page outside 1..MAX_PER_PAGE (or not an int) is a
    QueryError from the service itself, not only from the views' form."""
    from search import service
    from search.backends.base import MAX_PER_PAGE

    @settings(max_examples=80, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(["抓落实", '"初心"', "的 OR 一"]),
           st.integers(-10**6, 0) | st.integers(1, 5) | st.sampled_from([1.0, "1", None, True]),
           st.integers(-1000, 0) | st.integers(1, 5) | st.integers(MAX_PER_PAGE + 1, 10**9)
           | st.sampled_from([2.0, "2", None]))
    def check(text, page, per_page):
        valid = type(page) is int and page >= 1 and type(per_page) is int and 1 <= per_page <= MAX_PER_PAGE
        try:
            result = service.search(text, page=page, per_page=per_page)
        except service.QueryError:
            assert not valid
            return
        assert valid, f"page={page!r} per_page={per_page!r} was accepted"
        assert len(result.hits) <= per_page and result.num_pages >= 1

    check()


# --------------------------------------------------------- the HTTP server

FUZZ_ESSAYS = 30
FUZZ_REQUESTS = 10_000
FUZZ_THREADS = 4
FUZZ_SECONDS = 150  # hard stop; the 10,000 requests normally take far less
TOKEN = "rlb" + hashlib.sha256(str(os.getpid()).encode()).hexdigest()[:10]


@pytest.fixture(scope="module")
def server():
    with serving("input.server", FUZZ_ESSAYS, seed=13, avg_chars=200) as s:
        yield s


class Fuzzer:
    """Deterministic generator of hostile request targets."""

    CJK = (
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都"
        "两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想"
        "已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造"
        "百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集"
        "温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存"
        "候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞"
    )
    QUOTES = ['"', "“", "”", "「", "」", "『", "』", "'", "＂"]
    CONTROLS = [chr(c) for c in range(0, 32)] + ["\x7f", "\x85", "\u2028", "\u2029", "\u200b", "\u202e", "\ufeff"]
    NUMBERS = ["-1", "0", "1", "2", "3", "100", "101", "-0", "+1", "1.5", "1e3", "0x10", " 3", "3 ", "３",
               "١٢", "1_000", "NaN", "inf", "-inf", "", "abc", "99999999999999999999999999", str(2**63),
               str(2**63 - 1), str(-2**63), "9" * 400, "1,2", "1%002", "%00", "１e３", "²"]
    PERCENT = ["%", "%z", "%zz", "%e4%b8", "%ff", "%fe%ff", "%00", "%C0%80", "%ED%A0%80", "%F4%90%80%80",
               "%25", "%2", "%%", "%u4e2d", "%E4%B8%AD", "%0d%0a", "%2e%2e%2f", "%F0%9F%98"]
    PATHS = ["/search/", "/api/search", "/api/essays", "/api/essays/{id}", "/essays/{id}/"]

    def __init__(self, seed, ids):
        self.rng = random.Random(seed)
        self.ids = ids

    def text(self):
        r, rng = self.rng, self.rng
        kind = r.random()
        if kind < 0.30:  # CJK words, quotes and syntax
            parts = []
            for _ in range(rng.randint(1, 6)):
                p = rng.random()
                if p < 0.5:
                    parts.append("".join(rng.choice(self.CJK) for _ in range(rng.randint(1, 5))))
                elif p < 0.7:
                    parts.append(rng.choice(self.QUOTES))
                elif p < 0.8:
                    parts.append(rng.choice(["-", "OR", "title:", "-title:", " OR ", "AND", "*", "?", ":"]))
                else:
                    parts.append(" ")
            return "".join(parts)
        if kind < 0.45:  # arbitrary code points (no surrogates: they cannot be UTF-8)
            return "".join(chr(rng.choice([rng.randint(1, 0xD7FF), rng.randint(0xE000, 0x10FFFF),
                                           rng.randint(0x20, 0x7E), rng.randint(0x4E00, 0x9FFF)]))
                           for _ in range(rng.randint(0, 20)))
        if kind < 0.55:  # control characters
            return "".join(rng.choice(self.CONTROLS + list("抓落实")) for _ in range(rng.randint(1, 10)))
        if kind < 0.62:  # long: ASCII up to 3,000, or 10,000 characters (over gunicorn's request line limit)
            n = rng.choice([499, 500, 501, 1000, 3000, 10_000])
            return (rng.choice(["x", "的", "a b ", '"', "-a "]) * n)[:n]
        if kind < 0.70:
            return rng.choice(self.NUMBERS)
        if kind < 0.78:
            return rng.choice(["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{ 7*7 }}",
                               "{% debug %}", "'; DROP TABLE essays_essay; --", "../../../etc/passwd",
                               "${jndi:ldap://x}", "%(q)s", "\\u0000", "title:", "-", "OR", '"', "“", "”"])
        return ""

    def value(self):
        """A query-string value: percent-encoded text, or raw malformed escapes."""
        if self.rng.random() < 0.15:
            return "".join(self.rng.choice(self.PERCENT + ["a", "抓", "+", "="]) for _ in range(self.rng.randint(1, 5)))
        return urllib.parse.quote(self.text(), safe="", encoding="utf-8")

    def path(self):
        template = self.rng.choice(self.PATHS)
        if "{id}" in template:
            choice = self.rng.random()
            if choice < 0.5:
                pk = str(self.rng.choice(self.ids))
            elif choice < 0.8:
                pk = self.rng.choice(["0", "00", "999999", "99999999999999999999", str(2**63), str(2**64),
                                      "9" * 300, "-1", "1.0", "1e3", "%31", "%00", "abc", "1%2F2", "٣"])
            else:
                pk = self.value()
            return template.format(id=pk)
        return template

    def target(self):
        path = self.path()
        params = []
        names = ["q", "page", "per_page", "sort"]
        for _ in range(self.rng.choice([0, 1, 2, 3, 4, 5, 8])):
            p = self.rng.random()
            name = self.rng.choice(names) if p < 0.85 else self.value()
            if name in ("page", "per_page") and self.rng.random() < 0.7:
                value = urllib.parse.quote(self.rng.choice(self.NUMBERS), safe="")
            elif name == "sort" and self.rng.random() < 0.5:
                value = self.rng.choice(["relevance", "number", "newest", "RELEVANCE", "", "-number", "%00"])
            else:
                value = self.value()
            form = self.rng.random()
            params.append(name if form < 0.05 else f"{name}={value}")  # a key without '='
        sep = "&" if self.rng.random() < 0.9 else self.rng.choice([";", "&&", "&=&", "&amp;"])
        query = sep.join(params)
        return path + ("?" + query if query or self.rng.random() < 0.1 else "")

    def method(self):
        r = self.rng.random()
        return "GET" if r < 0.92 else self.rng.choice(["HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"])


def raw_request(port, method, target, timeout=70):
    """Send one request with a raw socket (no client-side validation of the
    target) and return the status code of the answer."""
    request = (f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
               f"Content-Length: 0\r\n\r\n").encode("utf-8", "surrogateescape")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        while True:  # drain, so the server never sees a reset
            chunk = sock.recv(65536)
            if not chunk:
                break
    status_line = data.split(b"\r\n", 1)[0].decode("latin-1")
    match = re.match(r"HTTP/1\.[01] (\d{3}) ", status_line)
    if not match:
        raise ValueError(f"malformed answer: {status_line!r}")
    return int(match.group(1))


def test_fuzzed_requests_never_get_a_server_error(server):
    s = server
    ids = [row[0] for row in s.query("SELECT id FROM essays_essay")]
    statuses, by_path, failures = Counter(), Counter(), []
    sent = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + FUZZ_SECONDS
    slowest = [0.0, ""]

    def worker(n):
        fuzzer = Fuzzer(f"fuzz-{n}", ids)
        while time.monotonic() < deadline:
            with lock:
                if sent[0] >= FUZZ_REQUESTS:
                    return
                sent[0] += 1
            method, target = fuzzer.method(), fuzzer.target()
            started = time.monotonic()
            try:
                status = raw_request(s.port, method, target)
            except Exception as err:  # a reset, a timeout or garbage is a failure
                status = "exception"
                with lock:
                    failures.append((method, target[:300], repr(err)))
            took = time.monotonic() - started
            with lock:
                statuses[status] += 1
                by_path[target.split("?", 1)[0].split("/")[1] or "/"] += 1
                if status != "exception" and status >= 500:
                    failures.append((method, target[:300], status))
                if took > slowest[0]:
                    slowest[:] = [took, f"{method} {target[:120]}"]

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(FUZZ_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(FUZZ_SECONDS + 90)
    elapsed = time.monotonic() - started
    log = s.log_text()
    total = sum(statuses.values())
    record("input.http_fuzz", requests=total, seconds=round(elapsed, 1), threads=FUZZ_THREADS,
           requests_per_second=round(total / elapsed), essays=FUZZ_ESSAYS,
           statuses={str(k): v for k, v in sorted(statuses.items(), key=str)},
           by_path=dict(sorted(by_path.items())), failures=len(failures), failure_examples=failures[:10],
           slowest_seconds=round(slowest[0], 2), slowest_request=slowest[1],
           server_tracebacks=log.count("Traceback"))
    assert not failures, f"{len(failures)} failures, e.g. {failures[:10]}"
    assert total >= FUZZ_REQUESTS, f"only {total} requests in {FUZZ_SECONDS} s"
    assert "Internal Server Error" not in log


# ------------------------------------------------------- hostile uploads

def _snapshot():
    """Names under the project (outside .venv/.git and test artifacts) and at
    the top of the temp dir, to show that nothing was written there."""
    found = set()
    for root, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in {".venv", ".git", "test-artifacts", "__pycache__", ".pytest_cache",
                                                ".hypothesis", "node_modules"}]
        found.update(os.path.join(root, f) for f in files)
    tmp = Path(tempfile.gettempdir())
    found.update(str(p) for p in tmp.iterdir())
    return found


HOSTILE_HTML = (
    "7<script>alert('{t}')</script>标题里的脚本&lt;b&gt;.txt\n"
    "<div><span>　　第一段<script>alert('{t}')</script>正文<img src=x onerror=\"alert('{t}')\">。</span></div>"
    "<div onclick=\"evil('{t}')\"><span>　　第二段<a href=\"javascript:alert('{t}')\">这个链接</a>"
    "<svg onload=\"alert('{t}')\"><circle/></svg>和<iframe src=\"http://example.invalid/{t}\"></iframe>。</span></div>"
    "<div><span>　　第三段：&lt;script&gt;alert('{t}')&lt;/script&gt; 与 \"&gt;&lt;img src=x onerror=alert('{t}')&gt;</span></div>"
    "<style>body{{display:none}}</style><div><span>　　第四段{{{{ 7*7 }}}}{{% debug %}}结束。</span></div>"
)


class _LiveMarkup(HTMLParser):
    """Elements and attributes that would run or load something: inline
    scripts, event-handler attributes, javascript: URLs, frames, SVG.
    Escaped text (&lt;script&gt;) is text and does not count."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        same_origin = a.get("src", "").startswith("/") and not a.get("src", "").startswith("//")
        if tag == "script" and not (same_origin or a.get("type") == "application/json"):
            self.found.append(f"<script {a}>")
        if tag in {"iframe", "frame", "object", "embed", "base"}:
            self.found.append(f"<{tag}>")
        for name, value in a.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and \
                    value.strip().lower().startswith(("javascript:", "data:text/html", "vbscript:")):
                self.found.append(f"<{tag} {name}={value[:40]}>")

    handle_startendtag = handle_starttag


def live_markup(page):
    parser = _LiveMarkup()
    parser.feed(page)
    parser.close()
    return parser.found


def test_hostile_uploads_are_refused_or_stored_as_inert_text(server):
    s = server
    t = TOKEN
    before = _snapshot()
    client = s.client(timeout=120).login()
    valid = lambda n, title: essay_bytes(n, title, [f"{title}的正文段落{t}。"])  # noqa: E731
    cases = {
        # name -> (filename, bytes, expectation: "failed" / "stored" / "either")
        "oversized_6MB": (f"big-{t}.txt", b"9\xe5\xa4\xa7\n" + "很大的文件。".encode() * (6 * 1024 * 1024 // 18), "failed"),
        "oversized_11MB_spooled": (f"huge-{t}.txt", b"x" * (11 * 1024 * 1024), "failed"),
        "binary_png": (f"image-{t}.txt", b"\x89PNG\r\n\x1a\n" + os.urandom(3000), "failed"),
        "binary_random": (f"random-{t}.bin", bytes(random.Random(1).randrange(256) for _ in range(5000)), "failed"),
        "utf16": (f"utf16-{t}.txt", "1标题\n正文。".encode("utf-16"), "failed"),
        "empty": (f"empty-{t}.txt", b"", "either"),
        "dotdot_slash": (f"../../evil-{t}.txt", valid(901, "路径穿越一"), "stored"),
        "subdir": (f"a/b-{t}.txt", valid(902, "路径穿越二"), "stored"),
        "dotdot_backslash": (f"..\\x-{t}.txt", valid(903, "路径穿越三"), "stored"),
        "absolute": (f"/etc/cron.d/evil-{t}", valid(904, "路径穿越四"), "stored"),
        "windows_drive": (f"C:\\Windows\\evil-{t}.txt", valid(905, "路径穿越五"), "stored"),
        "entity_slashes": (f"&#47;..&#47;ent-{t}.txt", valid(906, "路径穿越六"), "stored"),
        "percent_slashes": (f"%2e%2e%2fpct-{t}.txt", valid(907, "路径穿越七"), "stored"),
        "only_dots": ("..", valid(908, "路径穿越八"), "either"),
        "long_name_280": (("长" * 80) + "n" * 200 + f"-{t}.txt", valid(909, "很长的文件名"), "stored"),
        "long_name_1200_bytes": (("长" * 400) + f"-{t}.txt", valid(912, "更长的文件名"), "either"),
        "markup_name": (f"\"><img src=x onerror=alert('{t}')>.txt", valid(910, "标记文件名"), "stored"),
        "control_name": (f"ctl\x01\x1b[31m-{t}.txt", valid(911, "控制字符文件名"), "stored"),
        "scripts_and_events": (f"hostile-{t}.txt", HOSTILE_HTML.format(t=t).encode("utf-8"), "stored"),
    }
    results, problems, stored_ids = {}, [], []
    for label, (filename, data, expect) in cases.items():
        resp = None
        try:
            resp, rows = client.upload((filename, data))
        except Exception as err:  # a dropped connection is a failure too
            problems.append(f"{label}: {err!r}")
            continue
        row = rows[0] if rows else None
        results[label] = {"status": resp.status, "outcome": row["status"] if row else "form_error",
                          "reason": (row["reason"] if row else "")[:120]}
        if resp.status >= 500:
            problems.append(f"{label}: HTTP {resp.status}")
            continue
        if live_markup(resp.text):
            problems.append(f"{label}: upload report holds live markup {live_markup(resp.text)[:3]}")
        stored = row is not None and row["status"] in ("created", "updated", "unchanged") and row["essay_id"]
        if expect == "failed" and (row is None or row["status"] != "failed" or not row["reason"]):
            problems.append(f"{label}: expected a refusal with a reason, got {row}")
        if expect == "stored" and not stored:
            problems.append(f"{label}: expected it stored, got {row}")
        if stored:
            stored_ids.append(row["essay_id"])
    # 201 files at once: refused as a whole (form error or 400), nothing stored.
    count_before = s.essay_count()
    many, rows = client.upload(*[(f"many-{i}-{t}.txt", valid(1000 + i, f"批量{i}")) for i in range(201)])
    results["201_files"] = {"status": many.status, "outcome": "form_error" if not rows else rows[0]["status"]}
    if many.status >= 500 or rows or s.essay_count() != count_before:
        problems.append(f"201 files: {many.status}, {len(rows)} rows")

    # What was stored is inert text, wherever it is shown.
    names = s.query("SELECT id, source_name, title FROM essays_essay WHERE id IN (%s)" % ",".join(
        str(i) for i in stored_ids or [0]))
    for pk, source_name, title in names:
        if "/" in source_name or "\\" in source_name or source_name in {"", ".", ".."} or len(source_name) > 255:
            problems.append(f"unsafe source_name {source_name!r}")
    hostile_id = next((pk for pk, source, _ in names if source == f"hostile-{t}.txt"), None)
    pages = {}
    if hostile_id:
        for url in (f"/essays/{hostile_id}/", f"/essays/{hostile_id}/?q=%3Cscript%3E",
                    f"/admin/essays/essay/{hostile_id}/change/", "/admin/essays/essay/", "/search/?q=" + urllib.parse.quote(f"alert('{t}')"),
                    "/search/?q=" + urllib.parse.quote("<script>alert(1)</script>"), "/feed/"):
            resp = client.get(url)
            pages[url] = resp.status
            if resp.status != 200 or live_markup(resp.text):
                problems.append(f"{url}: {resp.status}, live markup: {live_markup(resp.text)[:3]}")
        detail = client.get(f"/essays/{hostile_id}/").text
        if "&lt;script&gt;alert(" not in detail:
            problems.append("the essay's literal '<script>' text is not shown escaped")
        api = client.get(f"/api/essays/{hostile_id}").json()
        paragraphs = "".join(api["paragraphs"])
        if "onerror" in api["title"] or "javascript:" in paragraphs or "onclick" in paragraphs:
            problems.append(f"markup kept as text where tags were: {api}")
        csp = client.get(f"/essays/{hostile_id}/").header("Content-Security-Policy") or ""
        if "script-src 'self'" not in csp:
            problems.append(f"no CSP: {csp!r}")
    else:
        problems.append("the hostile essay was not stored")

    after = _snapshot()
    new = sorted(after - before)
    leaked = [p for p in new if t in p or p.endswith(".upload") or ".upload." in p]
    leaked += [str(p) for p in s.root.rglob("*") if t in p.name]
    data_top = sorted(p.name for p in s.data.iterdir())
    # catch-up.lock: the background catch-up's flock (docs/SEARCH.md), made
    # once a worker has served for ARCHIVE_CATCH_UP_SECONDS.
    unexpected_data = [n for n in data_top if n not in {"db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm",
                                                         "index", "static", "cache", "catch-up.lock"}]
    record("input.hostile_uploads", cases=results, stored=len(stored_ids), pages_checked=pages,
           new_paths_outside_data_dir=len(new), leaked=leaked, data_dir_entries=data_top,
           problems=problems)
    assert not problems, problems
    assert not leaked, leaked
    assert not unexpected_data, unexpected_data


# ----------------------------------------------------- login and CSRF walls

def test_admin_requires_login_and_csrf(server):
    s = server
    essay_id, title, paragraphs = s.query("SELECT id, title, paragraphs FROM essays_essay ORDER BY id LIMIT 1")[0]
    count = s.essay_count()
    urls = ["/admin/", "/admin/essays/", "/admin/essays/essay/", "/admin/essays/essay/add/",
            "/admin/essays/essay/upload/", f"/admin/essays/essay/{essay_id}/change/",
            f"/admin/essays/essay/{essay_id}/delete/", f"/admin/essays/essay/{essay_id}/history/",
            "/admin/auth/user/", "/admin/auth/user/add/", "/admin/password_change/"]
    upload = ("anon-upload.txt", essay_bytes(990, "匿名上传", ["匿名用户上传的文章。"]))
    problems, figures = [], Counter()

    anon = Client(s.port)
    anon.get("/admin/login/")  # a CSRF cookie, so the POSTs below pass the CSRF check
    token = anon.cookies.get("csrftoken")
    assert token
    for url in urls:
        for method in ("GET", "POST"):
            if method == "GET":
                resp = anon.get(url)
            elif url.endswith("upload/"):
                resp = anon.post(url, [("csrfmiddlewaretoken", token)], [("files",) + upload])
            else:
                resp = anon.post(url, [("csrfmiddlewaretoken", token), ("title", "匿名修改"), ("number", "1"),
                                       ("paragraphs", "匿名。"), ("post", "yes"), ("_save", "1")])
            location = resp.header("Location") or ""
            figures[f"anonymous {method} {resp.status}"] += 1
            if not (resp.status == 302 and location.startswith("/admin/login/")):
                problems.append(f"anonymous {method} {url}: {resp.status} {location}")
    # Without a CSRF cookie and token at all, a POST is refused before any view.
    bare = Client(s.port).post("/admin/essays/essay/upload/", [], [("files",) + upload], csrf=False)
    figures[f"anonymous POST without token {bare.status}"] += 1
    if bare.status != 403:
        problems.append(f"POST without a CSRF token: {bare.status}")

    editor = Client(s.port).login()
    no_token = editor.post("/admin/essays/essay/upload/", [], [("files",) + upload], csrf=False)
    wrong_token = editor.post("/admin/essays/essay/upload/", [("csrfmiddlewaretoken", "x" * 64)],
                              [("files",) + upload], csrf=False)
    edit_no_token = editor.post(f"/admin/essays/essay/{essay_id}/change/",
                                [("title", "无令牌修改"), ("paragraphs", "无令牌。"), ("_save", "1")], csrf=False)
    delete_no_token = editor.post(f"/admin/essays/essay/{essay_id}/delete/", [("post", "yes")], csrf=False)
    for label, resp in (("upload without token", no_token), ("upload with a wrong token", wrong_token),
                        ("edit without token", edit_no_token), ("delete without token", delete_no_token)):
        figures[f"logged in, {label} {resp.status}"] += 1
        if resp.status != 403:
            problems.append(f"logged in, {label}: {resp.status}")
    now = s.query("SELECT title, paragraphs FROM essays_essay WHERE id = ?", (essay_id,))
    unchanged = now == [(title, paragraphs)]
    created = s.query("SELECT COUNT(*) FROM essays_essay WHERE source_name = 'anon-upload.txt'")[0][0]
    record("input.admin_walls", urls=len(urls), statuses=dict(figures), essay_unchanged=unchanged,
           essays_created=created, count_unchanged=s.essay_count() == count, problems=problems)
    assert not problems, problems
    assert unchanged and created == 0 and s.essay_count() == count
