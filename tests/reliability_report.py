"""Write docs/RELIABILITY.md from what the reliability tests recorded.

    .venv/bin/python -m pytest -m reliability --junitxml=test-artifacts/reliability-junit.xml
    .venv/bin/python -m tests.reliability_report

The tests append their figures to test-artifacts/reliability.jsonl (see
tests.support.records.record); the latest record of each test is used.
Outcomes and durations come from the JUnit XML file, if present.
"""
import json
import sys
import time
import xml.etree.ElementTree as ET

from tests.support.processes import ROOT
from tests.support.records import ARTIFACTS, RESULTS
JUNIT = ARTIFACTS / "reliability-junit.xml"
OUT = ROOT / "docs" / "RELIABILITY.md"
COMMAND = ("status=0; .venv/bin/python -m pytest -m reliability "
           "--junitxml=test-artifacts/reliability-junit.xml || status=$?; "
           ".venv/bin/python -m tests.reliability_report; exit $status")


# Defects these tests exposed while they were written (all fixed since; the
# tests now guard against their return).
FOUND = [
    "`templates/base.html`: `{{ q|default:query|default:'' }}` raised `VariableDoesNotExist` on pages "
    "without `query` in the context: `/` and `/search/` answered 500 (100 of 861 requests in the first "
    "concurrency run).",
    "`essays/admin.py` `EssayAdmin.upload_view`: with the index not writable, the `PermissionError` of "
    "the index write (`batched_indexing()` → `sync.reconcile` → `WhooshIndex.write`) escaped: 500 "
    "after the essay had been saved. Now refused up front with a message, and a later index failure is "
    "reported on the page.",
    "`search/sync.py` (`reconcile`, `_apply`): after the index directory was lost, any write (upload, "
    "admin save, import) created a fresh index holding only the new essay, and searches answered 200 "
    "with wrong counts (0 instead of 1) instead of 503. Now nothing is written to a lost index.",
    "`search/sync.py`: an essay saved by a request, worker or import that died before its index write "
    "(a worker killed for its timeout in a large upload, or killed outright) was never indexed, and "
    "edits and deletes the index refused drifted silently until someone ran `check_index --fix`. Now "
    "every change is listed in its own transaction and caught up by itself.",
    "A read-only data directory: every page that touches the database answered 500 (SQLite in WAL mode "
    "cannot read without creating `db.sqlite3-shm`). Now `config.middleware.StorageUnavailableMiddleware` "
    "answers 503 with a message.",
    "`search/index.py` `whoosh_fields`: with jieba's HMM bounded, an essay of 300,000 one-line paragraphs "
    "stored before the parser's limits still cost 34 s of jieba in every `check_index --fix` and "
    "`rebuild_index` (40.9 s for the command); ranking now segments at most 200,000 characters of a body.",
]


def load_records():
    latest = {}
    if RESULTS.exists():
        for line in RESULTS.read_text("utf-8").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            latest[rec["test"]] = rec
    return latest


def load_outcomes():
    """nodeid-ish 'file::name' -> (outcome, seconds, message)."""
    out = {}
    if not JUNIT.exists():
        return out
    for case in ET.parse(JUNIT).getroot().iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        key = classname.replace(".", "/") + ".py::" + name
        outcome, message = "passed", ""
        for child in case:
            if child.tag == "skipped":
                kind = child.get("type", "")
                outcome = "xfailed" if "xfail" in kind else "skipped"
                message = child.get("message", "")
            elif child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
                message = (child.get("message") or "")[:300]
        out[key] = (outcome, float(case.get("time", 0)), message)
    return out


def table(rows, header):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
    return "\n".join(lines)


def histogram(statuses):
    return ", ".join(f"{k}: {v:,}" for k, v in statuses.items()) if statuses else "—"


def _get(rec, key, default="—"):
    if rec is None:
        return default
    value = rec.get(key, default)
    return default if value is None else value


def section_server(r):
    if r is None:
        return "_No figures recorded yet._"
    return "\n".join([
        f"A gunicorn with {r['workers']} workers (`config.production`) over {r['corpus']} generated essays. "
        f"{r['load_threads']} threads searched for {r['seconds']} s (quotes with known counts, keywords, "
        "sorts, pages, the HTML page, essay pages) while one editor uploaded essays through the admin one "
        "after another, each with a sentence of its own, edited some (change form) and deleted some "
        "(delete confirmation).",
        "",
        table([
            ["search requests sent", f"{r['requests']:,}"],
            ["status histogram", histogram(r["statuses"])],
            ["responses ≥ 500 or dropped connections", r["errors_5xx"]],
            ["quote searches whose count changed under load", r["wrong_quote_counts"]],
            ["latency p50 / p95 (ms)", f"{r['latency_ms_p50']} / {r['latency_ms_p95']}"],
            ["uploads / edits / deletes", f"{r['uploads']} / {r['edits']} / {r['deletes']}"],
            ["uploads found by the very next search", f"{r['found_at_once']} / {r['uploads']}"],
            ["kept essays in DB and found by their sentence afterwards", f"{r['found_after']} / {r['kept']}"],
            ["deleted essays gone from DB, API and search", f"{r['deleted_gone']} / {r['deletes']}"],
            ["edited essays found by new text, not old", f"{r['edited_fresh']} / {r['edits']}"],
            ["`LockError` in the server log", r["lock_errors"]],
            ["`check_index` exit code", r["check_index_exit"]],
        ], ["figure", "value"]),
    ])


def section_threads(recs):
    """tests/test_reliability_threads.py: one process's threads sharing the
    index while imports change it, and slow clients beside normal ones."""
    parts = []
    r = recs.get("threads.runserver")
    if r is not None:
        imports = ", ".join(f"{name} {seconds} s" for name, _code, seconds in r.get("imports", []))
        parts += [
            f"`manage.py runserver --noreload` (one process, a thread per request) over {r['corpus']} generated "
            f"essays: {r['clients']} client threads sent distinct first-sight queries drawn from the corpus "
            f"(each once, so none came from a cache) while another process imported {r['added']} essays and "
            f"then {r['single_imports']} single files (each a commit that merges and deletes segment files). "
            "Before the index's files were read positionlessly (search.backends.whoosh.storage), 91 of 2,563 such requests "
            "answered 500.",
            "",
            table([
                ["requests (distinct queries)", f"{r['requests']:,}"],
                ["status histogram", histogram(r["statuses"])],
                ["responses ≥ 500 or dropped connections", r["errors_5xx"]],
                ["tracebacks in the server log", r["tracebacks"]],
                ["duration (s)", r["seconds"]],
                ["latency p50 / p95 (ms)", f"{r['latency_ms_p50']} / {r['latency_ms_p95']}"],
                ["imports meanwhile", imports or "—"],
            ], ["figure", "value"]),
            "",
        ]
    r = recs.get("threads.slow_clients")
    if r is not None:
        parts += [
            f"Production gunicorn, {r['workers']} gthread workers × {r['threads']} threads: "
            f"{r['slow_clients']} clients trickled their request headers a byte every {r['trickle_s']} s "
            f"while other requests went one after another for {r['phase_seconds']} s. (With two sync "
            "workers, such clients held both, and no other request got through.)",
            "",
            table([
                ["other requests answered 200 in time", f"{r['normal_ok']} / {r['normal_requests']}"],
                ["their latency p50 / max (ms)", f"{r['latency_ms_p50']} / {r['latency_ms_max']}"],
                ["header bytes each slow client sent meanwhile", ", ".join(map(str, r["slow_bytes_sent_meanwhile"]))],
                ["slow clients' answers once their headers were done",
                 ", ".join(map(str, r["slow_clients_answered"]))],
            ], ["figure", "value"]),
        ]
    return "\n".join(parts).rstrip() if parts else "_No figures recorded yet._"


def section_faults(recs):
    parts = []
    r = recs.get("faults.killed_import")
    if r:
        parts += [
            "**Killed import.** `import_essays` of "
            f"{r['files']:,} generated files was SIGKILLed twice: first in its database phase "
            f"(with {r['db_count_at_first_kill']:,} essays saved), then, on the second run, "
            + ("after the database phase while the index was being written"
               if r["second_kill_during_indexing"] else "(the second run had finished before the kill landed)")
            + f" ({r['db_count_at_second_kill']:,} essays in the database). The third run exited 0 in "
            f"{r['third_run_seconds']} s (`{r['third_run_output']}`): {r['final_count']:,} essays, "
            f"{r['duplicates']} duplicated, {r['half_written']} differing from their file, "
            f"`check_index` exit {r['check_index_exit']}.",
            ""]
    r = recs.get("faults.killed_lock_holder")
    if r:
        parts += [
            "**Killed lock holder.** A process opened the index writer (`search.service.get_backend().index.open()."
            "writer()`) and slept. Meanwhile a search in another process answered in "
            f"{r['search_while_locked_seconds']} s (process start included) and an import "
            + ("waited for the lock (still running after saving its essay)" if r["import_blocked_while_locked"]
               else "did **not** wait for the lock")
            + f". After SIGKILL of the holder the import finished {r['import_finished_after_kill_seconds']} s "
            f"later (exit {r['import_exit']}); the next writer took {r['next_writer_seconds']} s in all "
            f"(process start included, no lock wait); `check_index` exit {r['check_index_exit']}.",
            ""]
    r = recs.get("faults.damaged_index")
    if r:
        rows = []
        for name, sc in r["scenarios"].items():
            rows.append([name, f"API {sc['running_server']['api']}, page {sc['running_server']['page']}",
                         sc["check_index_exit"], f"API {sc['fresh_workers']['api']}, page {sc['fresh_workers']['page']}",
                         ", ".join(map(str, sc["browse_statuses"])), sc["rebuild_output"],
                         f"API {sc['after_rebuild']['api']}, page {sc['after_rebuild']['page']}"])
        parts += [
            "**Lost or damaged index.** On a running server the index directory was deleted, its TOC "
            "overwritten with random bytes, or its segment files overwritten. Workers that had already loaded "
            "the index may answer from memory (correctly); fresh workers (gunicorn HUP) answer 503 with the "
            "message naming `rebuild_index`; browsing needs no index; `check_index` exits 2 naming the "
            "command; `rebuild_index` restores searching in the running workers without a restart.",
            "",
            table(rows, ["damage", "running workers", "check_index exit", "fresh workers",
                         "/, essay, API, feed", "rebuild_index", "after rebuild"]),
            "",
            f"Server 500s during all of this: {r['server_500s']}; final `check_index` exit "
            f"{r.get('final_check_index_exit', '—')}.",
            ""]
    r = recs.get("faults.write_after_index_loss")
    if r:
        parts += [
            "**A write after the index was lost.** Index directory deleted, then one admin upload: upload "
            f"answered {r['upload_status']} ({r['upload_outcome']}); a search for a quote held by "
            f"{r['expected_count']} essay(s) then answered {r['search_status']} with count "
            f"{_get(r, 'search_count')}.",
            ""]
    ro = [(k.rsplit(".", 1)[-1], v) for k, v in sorted(recs.items()) if k.startswith("faults.read_only_upload.")]
    if ro:
        parts += [
            "**Read-only data directory during an upload.** The tests run as root, for whom `chmod` stops "
            "nothing, so the server runs as the unprivileged user `nobody` (`setpriv --reuid=65534 "
            "--regid=65534 --clear-groups`, data directory owned by `nobody`), and the test removes write "
            "permission (`chmod -R a-w`) from the part named below just before one upload, then restores it "
            "and runs `check_index --fix`. Before each upload the test waits until no process has the "
            "database open (no `db.sqlite3-wal`/`-shm`), so every run starts from the same state.",
            "",
            table([[name, v["upload_status"], v["outcome"] or "—", v.get("message") or v["reason"] or "—",
                    histogram(v.get("other_pages_while_read_only", {})), v["in_db"],
                    v["db_paragraphs_complete"], v["in_index"], v["check_index_fix_exit"], v["found_after_fix"]]
                   for name, v in ro],
                  ["read-only", "upload HTTP", "outcome", "what the editor is told", "other pages meanwhile",
                   "in DB", "DB text complete", "in index", "check_index --fix", "found after fix"]),
            "",
            "A read-only data directory makes SQLite (WAL mode) unable even to read, since it must create "
            "`db.sqlite3-shm`: every page that needs the database answers 503 with the storage message. When "
            "permissions are restored, a `db.sqlite3-shm` created while the database file was read-only "
            "keeps its read-only mode (SQLite copies the database file's mode) and keeps every write failing "
            "until it is made writable too: restore the whole directory (`chmod -R u+w`).",
            ""]
    r = recs.get("faults.read_only_index_edit")
    if r:
        parts += [
            f"**Admin edit and delete while the index is read-only:** HTTP {r['edit_status']} and "
            f"{r['delete_status']}; the editor was warned that the index is behind (edit, delete): "
            f"{_get(r, 'editor_warned')}; the failed index updates were logged: {r['logged']}. Once the index "
            f"was writable again, with no command run, the new title was found {r['found_after_catch_up']} "
            f"time(s) and the deleted essay's title counted {r['deleted_counted_after_catch_up']} "
            f"(before: {r['deleted_counted_before']}) after {r['seconds_until_caught_up']} s (the server's "
            f"background catch-up); `check_index` exit {r['check_index_exit']}.",
            ""]
    return "\n".join(parts) if parts else "_No figures recorded yet._"


def section_indexing(recs):
    parts = []
    r = recs.get("indexing.killed_mid_upload")
    if r:
        parts += [
            f"**A worker killed mid-upload.** An editor uploads {r['files']} essays of about 12,000 "
            f"characters; once {r['saved_when_killed']} are saved, every gunicorn worker gets SIGKILL (the "
            f"editor's request ends with {_get(r, 'upload_answer')}). Saved: {r['saved']}. Every saved essay was "
            f"searchable {_round(r['seconds_until_searchable'])} s later (missing: {r['missing']}), with no "
            f"repair command run; `check_index` exit {r['check_index_exit']}.",
            ""]
    r = recs.get("indexing.upload_past_timeout")
    if r:
        parts += [
            f"**An upload longer than the worker timeout.** {r['files']} essays of about 36,000 characters "
            f"(indexing them takes longer than the {r['worker_timeout']} s worker timeout set for the test), "
            f"with an indexing budget of {r['index_budget']} s (`ESSAY_UPLOAD_INDEX_SECONDS`): the report came "
            f"back with HTTP {r['upload_status']} after {r['upload_seconds']} s, {r['created']} created, "
            f"{r['pending_in_report']} marked as still being indexed in the background. Every essay was "
            f"searchable {_round(r['seconds_until_searchable'])} s later (missing: {r['missing']}), with no "
            f"repair command run; `check_index` exit {r['check_index_exit']}.",
            ""]
    return "\n".join(parts) if parts else "_No figures recorded yet._"


def _round(value):
    return "—" if value is None else f"{value:.1f}"


def section_input(recs):
    parts = []
    r = recs.get("input.parser_properties")
    if r:
        parts += [f"**Parser (Hypothesis).** {r['examples']:,} examples of arbitrary bytes and HTML-ish byte "
                  f"soup (several encodings, junk spliced in): outcomes {histogram(r['outcomes'])}; nothing "
                  "but `ParsedEssay` or `EssayParseError` came out.", ""]
    r = recs.get("input.search_service_properties")
    if r:
        parts += [f"**Search service (Hypothesis).** {r['examples']:,} arbitrary queries (syntax characters, "
                  "quotes of every kind, controls, combining marks, astral characters, ~500-character "
                  "queries), arbitrary sort strings and valid pages: outcomes "
                  f"{histogram(r['outcomes'])}; nothing but `QueryError` was raised. Out-of-range "
                  "page/per_page values are refused with `QueryError`.", ""]
    r = recs.get("input.http_fuzz")
    if r:
        parts += [
            f"**HTTP fuzz.** {r['requests']:,} generated requests in {r['seconds']} s "
            f"({r['requests_per_second']}/s, {r['threads']} threads, raw sockets) to `/search/`, "
            "`/api/search`, `/api/essays`, `/api/essays/<id>`, `/essays/<id>/`: random Unicode (CJK, quotes, "
            "controls, NUL as %00), 10,000-character values, bad numbers, repeated and nameless "
            "parameters, malformed percent-encoding, odd methods.",
            "",
            table([["status histogram", histogram(r["statuses"])],
                   ["requests by first path segment", histogram(r["by_path"])],
                   ["5xx or dropped connections", r["failures"]],
                   ["tracebacks in the server log", r["server_tracebacks"]],
                   ["slowest request", f"{r['slowest_seconds']} s"]], ["figure", "value"]),
            "",
            "(414 is gunicorn refusing request lines over 8,190 bytes, e.g. the 10,000-character queries; "
            "403 is CSRF refusing POSTs.)",
            ""]
    r = recs.get("input.hostile_uploads")
    if r:
        rows = [[name, c["status"], c["outcome"], c.get("reason", "")] for name, c in sorted(r["cases"].items())]
        parts += [
            f"**Hostile uploads** through the admin (over HTTP): {r['stored']} stored as inert text, the "
            "rest refused with a reason.",
            "",
            table(rows, ["case", "HTTP", "outcome", "reason"]),
            "",
            f"Pages that show the hostile essay checked for live markup (inline scripts, `on*` attributes, "
            f"`javascript:` URLs, frames): {histogram(r['pages_checked'])}. Files written outside the data "
            f"directory by the uploads: {len(r['leaked'])}; entries in the data directory: "
            f"{', '.join(r['data_dir_entries'])}. Problems: {len(r['problems'])}.",
            ""]
    r = recs.get("input.admin_walls")
    if r:
        parts += [
            f"**Login and CSRF.** {r['urls']} admin URLs (incl. upload, change, delete, user admin): "
            f"{histogram(r['statuses'])}; essay unchanged: {r['essay_unchanged']}, essays created: "
            f"{r['essays_created']}.",
            ""]
    return "\n".join(parts) if parts else "_No figures recorded yet._"


def section_bounds(recs):
    """Bounded cost per input (tests/test_reliability_bounds.py)."""
    r = recs.get("bounds.long_inputs")
    if not r:
        return "_No figures recorded yet._"
    sizes = r.get("file_bytes", {})

    def mb(name):
        return f"{sizes.get(name, 0) / 1e6:.1f} MB"

    return "\n".join([
        "Inputs that used to cost minutes or hours, through real commands and a real gunicorn. "
        f"One `import_essays` of three files: 20 paragraphs of 19,000 ideographs that form no dictionary "
        f"word ({mb('unknown_runs.txt')}, accepted; jieba's HMM was quadratic in such runs: 20 × 1.8 s "
        f"before), one paragraph of 130,000 of them ({mb('one_long_paragraph.txt')}, refused: over 20,000 "
        f"characters a paragraph) and 300,000 one-line paragraphs ({mb('many_paragraphs.txt')}, refused: "
        "over 2,000 paragraphs). Then the last two as rows stored before the limits, missing from the "
        "index, repaired and rebuilt, and their pages shown (200 paragraphs a page).",
        "",
        table([
            ["`import_essays` of the three files", f"{_get(r, 'import_seconds')} s"],
            ["`check_index --fix` (both stored rows)", f"{_get(r, 'check_index_fix_seconds')} s"],
            ["`rebuild_index`", f"{_get(r, 'rebuild_index_seconds')} s"],
            ["page 1 of the 300,000-paragraph essay", f"{_get(r, 'page_many_first_seconds')} s, "
                                                      f"{_get(r, 'page_many_first_kb')} KB"],
            ["its last page (`?page=1500`)", f"{_get(r, 'page_many_last_seconds')} s, "
                                             f"{_get(r, 'page_many_last_kb')} KB"],
            ["the 130,000-character essay's page", f"{_get(r, 'page_long_seconds')} s, "
                                                   f"{_get(r, 'page_long_kb')} KB"],
        ], ["step", "measured"]),
        "",
        "Before: the 390 KB upload answered 500 after 60.7 s, `check_index --fix` took 66.7 s for it, a "
        "2.6 M-character essay made every `--fix` and `rebuild_index` run for hours, and each view of the "
        "300,000-paragraph essay cost 9.9 s and 36.7 MB. Each command here must finish within 20 s.",
    ])


def section_request(recs):
    """Bounded cost per request (tests/test_reliability_request.py)."""
    parts = []
    r = recs.get("request.crafted")
    if r is not None:
        parts += [
            f"Crafted searches, `per_page=100`, on {r['essays']} generated essays of about "
            f"{r['avg_chars']:,} characters, with no cached answers (`ARCHIVE_SEARCH_CACHE=0`); worker CPU "
            "from `/proc` around each request, sent alone. Many terms lower the page size "
            "(`search.syntax.affordable_per_page`) and a hit maps at most 2,000 occurrences "
            "(`search.snippets.HIT_SPAN_BUDGET`). Target: under 1 s each.",
            "",
            table([[name, f["status"], _get(f, "hits_shown"), f"{f['cpu_s']:.2f}", f"{f['wall_s']:.2f}"]
                   for name, f in r["queries"].items()],
                  ["query", "status", "hits shown", "worker CPU (s)", "wall (s)"]),
            "",
        ]
    r = recs.get("request.login_throttle")
    if r is not None:
        parts += [
            f"{r['attempts']} wrong passwords for the editor from one address: statuses "
            f"{histogram(r['statuses'])}; first refusal at attempt {r['first_refused']}; worker CPU "
            f"{r['cpu_ms_per_checked_attempt']} ms per checked (hashed) attempt, "
            f"{r['cpu_ms_per_refused_attempt']} ms per refused one; {r['total_cpu_s']} s in all. "
            f"The right password while locked: {r['right_password_while_locked']} "
            f"(Retry-After {r['retry_after']} s).",
            "",
        ]
    r = recs.get("request.search_rate")
    if r is not None:
        parts += [
            f"Search rate limit at {r['rate']}/s with bursts of {r['burst']} (per worker, {r['workers']} "
            f"workers): {r['sent']} searches in {r['seconds']} s from one address got "
            f"{histogram(r['statuses'])}.",
            "",
        ]
    r = recs.get("request.large_body")
    if r is not None:
        parts += [
            f"An anonymous multipart POST declaring {r['declared_mb']} MB (of which {r['sent_mb']} MB sent) "
            f"to the upload page: {r['status']} after {r['wall_s']} s, {r['cpu_s']} s of worker CPU.",
            "",
        ]
    r = recs.get("request.long_query")
    if r is not None:
        parts += [
            "Long queries (the form's limit is 500 characters; gunicorn's request line 8,190 bytes):",
            "",
            table([[name, f"{f['request_line_bytes']:,}", f["status"]] for name, f in r["cases"].items()],
                  ["query", "request line (bytes)", "status"]),
            "",
        ]
    r = recs.get("request.static")
    if r is not None:
        parts += [f"Started without `collectstatic`: home page {r['home']}, stylesheet {r['stylesheet']} "
                  f"(collected at start-up: {r['collected']}).", ""]
    return "\n".join(parts).rstrip() or "_No figures recorded yet._"


def main():
    recs = load_records()
    outcomes = load_outcomes()
    rows, total_time, xfails = [], 0.0, []
    for key, (outcome, seconds, message) in sorted(outcomes.items()):
        if "test_reliability_" not in key:
            continue
        total_time += seconds
        rows.append([f"`{key.split('::', 1)[1]}`", key.split("::")[0].rsplit("/", 1)[-1], outcome,
                     f"{seconds:.1f}"])
        if outcome in ("xfailed", "failed", "error"):
            xfails.append(f"- `{key.split('::', 1)[1]}` ({outcome}): {message}")
    lines = [
        "# Reliability report",
        "",
        "How the archive behaves under concurrent load, injected faults and hostile input, measured by the "
        "tests in `tests/test_reliability_*.py` (marker `reliability`). Regenerate with `make reliability`, "
        "which runs:",
        "",
        "```sh",
        COMMAND.replace("; ", "\n"),
        "```",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M')} from `test-artifacts/reliability.jsonl` "
        "(latest figures of each test) and `test-artifacts/reliability-junit.xml`.",
        "Every test starts its own servers (gunicorn, `config.production`, 2 workers, a temporary data "
        "directory, a free 127.0.0.1 port), sends traffic only to them and kills their process groups "
        "when done. The machine has 2 cores shared with other work, so times vary.",
        "",
        "## Outcomes",
        "",
        table(rows, ["test", "file", "outcome", "seconds"]) if rows else "_No JUnit results found._",
        "",
        f"Total: {total_time:.0f} s." if rows else "",
        "",
        "## Concurrency: searches while an editor uploads, edits and deletes",
        "",
        section_server(recs.get("server.concurrency")),
        "",
        "## Threads: one process's threads sharing the index, and slow clients",
        "",
        section_threads(recs),
        "",
        "## Faults",
        "",
        section_faults(recs),
        "",
        "## Indexing that cannot be lost",
        "",
        "Every save or delete of an essay lists it for the index in the same database transaction "
        "(`search.queue`); the row goes only once the index holds the essay as the database has it. Server "
        "processes drain the list in the background (`ARCHIVE_CATCH_UP_SECONDS`), and imports, "
        "`check_index --fix` and `rebuild_index` drain it too.",
        "",
        section_indexing(recs),
        "",
        "## Hostile input",
        "",
        section_input(recs),
        "",
        "## Bounded cost per input",
        "",
        section_bounds(recs),
        "",
        "## Bounded cost per request",
        "",
        section_request(recs),
        "",
        "## Found by these tests",
        "",
        "\n".join(f"- {item}" for item in FOUND),
        "",
        "## Known failures",
        "",
        "\n".join(xfails) if xfails else "None: every test passed.",
        "",
        "Tests marked `xfail(strict=True)` document a bug that is not fixed yet; when it is fixed the test "
        "passes, the strict marker turns that into a failure, and the marker should be removed.",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(recs)} recorded tests, {len(rows)} outcomes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
