"""The one module of search that knows the essays app: how an Essay becomes
an index document, its search digest, the rows a hit shows, the links to a
paragraph, and the queries search.sync and the index commands make.

Imports run one way: essays imports search.service only, search reaches
essays only here, and no backend (search.backends) sees a model.
"""
import hashlib
import json
import time

from django.db import connections, router
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save

from essays.citations import gbt7714, work_of
from essays.dates import PartialDate  # noqa: F401  (re-exported: the dates hits carry)
from essays.forms import MetadataFilterForm  # noqa: F401  (re-exported for search.forms)
from essays.models import Essay, paragraph_url  # noqa: F401  (paragraph_url re-exported for search.highlight)

from .backends.base import EssayDoc


def search_digest(number, title, paragraphs):
    """A hash of everything the search index holds for an essay, so a stale
    index entry can be told from a current one."""
    payload = json.dumps([number, title, list(paragraphs or [])], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _stored_digest(number, title, paragraphs_json):
    """search_digest of a row from its paragraphs' JSON as stored, without
    encoding them again (docs/SEARCH.md, "Hits", says what it saves). Rows
    written through essays.models.TextJSONEncoder hold exactly the JSON that
    digest encodes; a row stored in another form (escapes, from before
    migration 0002) gets a digest that matches nothing, so its index copy
    counts as changed and its snippets are folded afresh: correct, only
    slower."""
    payload = f"[{json.dumps(number)}, {json.dumps(title, ensure_ascii=False)}, {paragraphs_json}]"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def digest(essay):
    """search_digest of an Essay."""
    return search_digest(essay.number, essay.title, essay.paragraphs)


def essay_doc(essay):
    """The backend-neutral document of an Essay row."""
    return EssayDoc(
        id=essay.pk,
        number=essay.number,
        created=essay.created.timestamp() if essay.created else 0.0,
        title=essay.title,
        paragraphs=tuple(essay.paragraphs or ()),
        digest=digest(essay),
    )


def hit_rows(pks):
    """pk -> (number, title, paragraphs, search digest) of these essays
    (missing ones left out): what a search hit shows, and what tells
    whether the index's copy of it is current. One plain statement: for
    the 20 rows of a results page, building the ORM query and running a
    converter on each value cost more than reading the rows."""
    pks = [int(pk) for pk in pks]
    if not pks:
        return {}
    # The database the ORM would read essays from (a replica, config.routers).
    connection = connections[router.db_for_read(Essay)]
    qn = connection.ops.quote_name
    fields = ", ".join(qn(f) for f in ("id", "number", "title", "paragraphs"))
    sql = (f"SELECT {fields} FROM {qn(Essay._meta.db_table)} "
           f"WHERE {qn('id')} IN ({', '.join(['%s'] * len(pks))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, pks)
        rows = cursor.fetchall()
    out = {}
    for pk, number, title, paras in rows:
        if isinstance(paras, (str, bytes)):  # JSONField reads its column as json.loads does
            text = paras.decode() if isinstance(paras, bytes) else paras
            paragraphs = json.loads(text)
            out[pk] = (number, title, paragraphs, _stored_digest(number, title, text))
        else:  # a backend that decodes JSON itself
            out[pk] = (number, title, paras, search_digest(number, title, paras))
    return out


# -- what search.sync and the index commands ask of the database -------------
def any_essays():
    """Whether the archive holds any essay."""
    return Essay.objects.exists()


def count():
    return Essay.objects.count()


def others_exist(ids):
    """Whether essays other than these ids exist."""
    return Essay.objects.exclude(pk__in=list(ids)).exists()


def essay(pk):
    """The Essay with this id, or None."""
    return Essay.objects.filter(pk=pk).first()


def essay_ids(ids=None):
    """The ids of the essays (of `ids`, if given) that exist, in list order."""
    rows = Essay.objects.in_order()
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return list(rows.values_list("pk", flat=True))


def all_docs(chunk=500):
    """Every essay's EssayDoc, read a chunk at a time."""
    return (essay_doc(e) for e in Essay.objects.all().iterator(chunk_size=chunk))


def essays(ids, chunk=500, deadline=None, taken=None):
    """The essays with these ids, read from the database a chunk at a time
    so a 20,000-essay repair never holds them all in memory; none after
    `deadline` (time.monotonic()); each one given is appended to `taken`."""
    for start in range(0, len(ids), chunk):
        rows = Essay.objects.in_bulk(ids[start:start + chunk])
        for k in ids[start:start + chunk]:
            if deadline is not None and time.monotonic() >= deadline:
                return
            if k in rows:
                if taken is not None:
                    taken.append(k)
                yield rows[k]


def on_change(handler, uid):
    """Call handler(sender, instance, **kwargs) after every save and delete
    of an Essay."""
    post_save.connect(handler, sender=Essay, dispatch_uid=f"{uid}.save")
    post_delete.connect(handler, sender=Essay, dispatch_uid=f"{uid}.delete")


def feed_rows(pks):
    """pk -> {created, updated, date_start, author, source, column} of these
    essays: what a query feed's entries are dated and labelled by."""
    rows = Essay.objects.filter(pk__in=list(pks)).values(
        "id", "created", "updated", "date_start", "author", "source", "column")
    return {r["id"]: r for r in rows}


# -- publication metadata, for filters, facets, date sorts and timelines ----
METADATA_COLUMNS = ("id", "number", "title", "date_start", "date_end", "date_precision", "source", "author",
                    "column")


def metadata_version():
    """What changes whenever any essay's metadata may have: the number of
    essays and the latest update time (saves, imports and edits all set
    `updated`; a delete changes the count)."""
    got = Essay.objects.aggregate(n=Count("id"), latest=Max("updated"))
    return got["n"], got["latest"]


def metadata_rows():
    """Every essay's (id, number, title, date_start, date_end, precision,
    source, author, column)."""
    return list(Essay.objects.order_by().values_list(*METADATA_COLUMNS))


def citations(hits, origin, accessed):
    """[(hit, GB/T 7714 reference of the hit's first snippet paragraph)]."""
    essays = Essay.objects.in_bulk([h.id for h in hits])
    out = []
    for hit in hits:
        essay = essays.get(hit.id)
        if essay is None:
            continue
        paragraph = next((s.paragraph for s in hit.snippets if s.paragraph), None)
        link = paragraph_url(hit.url, paragraph) if paragraph else hit.url
        out.append((hit, gbt7714(work_of(essay, origin + link, accessed, paragraph=paragraph))))
    return out
