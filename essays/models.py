"""The archive's one model: an essay, its title and its paragraphs."""
import hashlib
import json

from django.conf import settings
from django.db import connections, models, router
from django.db.models import F
from django.urls import reverse

from .dates import PartialDate

# Essays are listed by their sequence number; essays without one come last.
ORDERING = (F("number").asc(nulls_last=True), "id")


def search_digest(number, title, paragraphs):
    """Essay.search_digest of these values (for rows read without a model)."""
    payload = json.dumps([number, title, list(paragraphs or [])], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _stored_digest(number, title, paragraphs_json):
    """search_digest of a row from its paragraphs' JSON as stored, without
    encoding them again (a fifth of a results page's database time). Rows
    written through TextJSONEncoder hold exactly the JSON that digest
    encodes; a row stored in another form (escapes, from before migration
    0002) gets a digest that matches nothing, so its index copy counts as
    changed and its snippets are folded afresh: correct, only slower."""
    payload = f"[{json.dumps(number)}, {json.dumps(title, ensure_ascii=False)}, {paragraphs_json}]"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def paragraph_page(number):
    """The page of the essay page that shows paragraph `number` (1-based):
    an essay's paragraphs are shown ESSAY_PARAGRAPHS_PER_PAGE a page, so a
    long essay costs a bounded page, and every link to a paragraph (search
    snippets, essays.views.paragraph_redirect) computes its page here."""
    return (max(1, int(number)) - 1) // settings.ESSAY_PARAGRAPHS_PER_PAGE + 1


def paragraph_url(essay_url, number, q_param=""):
    """The link to paragraph `number` of the essay at `essay_url`: its page
    (omitted for page 1, so a normal-length essay's links are as before),
    the query to highlight (`q_param`, already quoted) and the #p anchor."""
    page = paragraph_page(number)
    params = ([f"q={q_param}"] if q_param else []) + ([f"page={page}"] if page > 1 else [])
    return f"{essay_url}{'?' + '&'.join(params) if params else ''}#p{int(number)}"


class TextJSONEncoder(json.JSONEncoder):
    """JSON with Chinese written as itself, not as \\uXXXX escapes: half
    the bytes, and a search results page decodes its 20 essays' paragraphs
    seven times faster (60 → 8 µs an essay)."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class EssayQuerySet(models.QuerySet):
    def in_order(self):
        return self.order_by(*ORDERING)

    def with_metadata(self, start=None, end=None, source=(), author=(), column=()):
        """Essays published in [start, end] (days, both inclusive; a date known
        only to the year or month matches when its period overlaps the
        range), from any of `source`, by any of `author`, in any of
        `column`. Empty arguments filter nothing."""
        qs = self
        if start is not None:
            qs = qs.filter(date_end__gte=start)
        if end is not None:
            qs = qs.filter(date_start__lte=end)
        for name, values in (("source", source), ("author", author), ("column", column)):
            if values:
                qs = qs.filter(**{f"{name}__in": list(values)})
        return qs

    def default_sort(self):
        """The list's order: by publication date once essays have dates."""
        return "date" if self.filter(date_start__isnull=False).exists() else "number"

    def metadata_choices(self):
        """The sources, authors and columns essays have, most used first,
        with their counts: the choices of the filter menus."""
        out = {}
        for name in ("source", "author", "column"):
            rows = (self.exclude(**{name: ""}).values_list(name).annotate(n=models.Count("id"))
                    .order_by("-n", name))
            out[f"{name}_choices"] = list(rows[:200])
        return out

    def sorted_by(self, sort):
        """`date` (newest first), `date_asc`, `number`, `newest` (import
        time); undated essays last under both date sorts."""
        if sort == "date":
            return self.order_by(F("date_start").desc(nulls_last=True), *ORDERING)
        if sort == "date_asc":
            return self.order_by(F("date_start").asc(nulls_last=True), *ORDERING)
        if sort == "newest":
            return self.order_by("-created", "-id")
        return self.in_order()

    def hit_rows(self, pks):
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


class Essay(models.Model):
    number = models.PositiveIntegerField("序号", null=True, blank=True, db_index=True)
    title = models.CharField("标题", max_length=500)
    paragraphs = models.JSONField("段落", default=list, encoder=TextJSONEncoder)
    # The stable reference an import is keyed on: the file's name.
    source_name = models.CharField("来源文件", max_length=255, unique=True)
    content_hash = models.CharField("内容哈希", max_length=64, db_index=True)
    # Publication metadata, all optional (essays.manifest, the admin). A date
    # known only to the year or month is stored as the first and last day of
    # that period (essays.dates.PartialDate) with its precision.
    date_start = models.DateField("发表日期（起）", null=True, blank=True, db_index=True)
    date_end = models.DateField("发表日期（止）", null=True, blank=True, db_index=True)
    # db_default: rows written by other tools (or before this column) get ""
    # rather than failing the NOT NULL constraint.
    date_precision = models.CharField("日期精度", max_length=5, blank=True, db_default="",
                                      choices=[("year", "年"), ("month", "月"), ("day", "日")])
    source = models.CharField("来源", max_length=100, blank=True, db_default="", db_index=True,
                              help_text="刊发媒体或机构，如 人民日报、求是、新华社")
    author = models.CharField("作者", max_length=100, blank=True, db_default="", db_index=True,
                              help_text="如 任仲平、本报评论员")
    column = models.CharField("栏目/体裁", max_length=100, blank=True, db_default="", db_index=True,
                              help_text="如 社论、评论员文章、讲话")
    source_url = models.URLField("原文链接", max_length=500, blank=True, db_default="")
    created = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    updated = models.DateTimeField("更新时间", auto_now=True)

    objects = EssayQuerySet.as_manager()

    class Meta:
        ordering = ORDERING
        verbose_name = "文章"
        verbose_name_plural = "文章"

    def __str__(self):
        return f"{self.number} {self.title}" if self.number is not None else self.title

    def get_absolute_url(self):
        return reverse("essays:detail", args=[self.pk])

    @property
    def date(self):
        """The publication date as known (essays.dates.PartialDate), or None."""
        return PartialDate.from_stored(self.date_start, self.date_precision)

    @date.setter
    def date(self, value):
        self.date_start = value.start if value else None
        self.date_end = value.end if value else None
        self.date_precision = value.precision if value else ""

    METADATA_FIELDS = ("date", "source", "author", "column", "url")

    def metadata_values(self):
        """The metadata as essays.manifest names it: date, source, author, column, url."""
        return {"date": self.date, "source": self.source, "author": self.author, "column": self.column,
                "url": self.source_url}

    def set_metadata(self, name, value):
        setattr(self, "source_url" if name == "url" else name, value)

    @property
    def paragraph_count(self):
        return len(self.paragraphs or [])

    @property
    def char_count(self):
        return sum(len(p) for p in self.paragraphs or [])

    def numbered_paragraphs(self):
        """(1-based index, text) pairs: the paragraph numbers used in anchors."""
        return list(enumerate(self.paragraphs or [], start=1))

    def search_digest(self):
        """A hash of everything the search index holds for this essay, so a
        stale index entry can be told from a current one."""
        return search_digest(self.number, self.title, self.paragraphs)

    def _neighbour(self, after):
        """The next or previous essay in list order (number, NULLs last, then
        id). Each step is a LIMIT 1 query on one simple range, which SQLite
        answers by a seek in the number index (an OR of two ranges, with
        bound parameters, made it scan the whole index: 10–20 ms at 20,000
        essays); selecting only what a link needs keeps it from reading the
        paragraphs."""
        n, pk = self.number, self.pk
        rows = Essay.objects.only("id", "number", "title")
        if after:
            steps = [rows.filter(number__isnull=True, id__gt=pk).order_by("id")] if n is None else [
                rows.filter(number=n, id__gt=pk).order_by("id"),
                rows.filter(number__gt=n).order_by("number", "id"),
                rows.filter(number__isnull=True).order_by("id"),
            ]
        else:
            steps = [
                rows.filter(number__isnull=True, id__lt=pk).order_by("-id"),
                rows.filter(number__isnull=False).order_by("-number", "-id"),
            ] if n is None else [
                rows.filter(number=n, id__lt=pk).order_by("-id"),
                rows.filter(number__lt=n).order_by("-number", "-id"),
            ]
        for step in steps:
            found = step.first()
            if found is not None:
                return found
        return None

    def next_essay(self):
        return self._neighbour(after=True)

    def previous_essay(self):
        return self._neighbour(after=False)


class RetiredEssay(models.Model):
    """The id a deleted essay had, kept under its import key (source_name):
    importing the same file again gives the essay that id back, so its
    address /essays/<id>/ (and every citation of it) survives deleting and
    re-importing. Ids are never handed out twice (SQLite's AUTOINCREMENT,
    PostgreSQL's sequences), so no other essay can take it meanwhile."""

    source_name = models.CharField("来源文件", max_length=255, unique=True)
    essay_id = models.BigIntegerField("原文章 ID", unique=True)
    retired = models.DateTimeField("删除时间", auto_now=True)

    class Meta:
        verbose_name = "已删除文章的地址"
        verbose_name_plural = "已删除文章的地址"

    def __str__(self):
        return f"{self.source_name} → /essays/{self.essay_id}/"


def retire(essay):
    """Keep a deleted essay's id for its source (called on post_delete)."""
    RetiredEssay.objects.update_or_create(source_name=essay.source_name, defaults={"essay_id": essay.pk})


def reclaimed_id(source_name):
    """The id a deleted essay of this source had, taken back (inside the
    transaction that creates the essay again), or None."""
    row = RetiredEssay.objects.filter(source_name=source_name).first()
    if row is None:
        return None
    row.delete()
    return row.essay_id
