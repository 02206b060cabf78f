"""Admin for essays, with a page to upload many essay files at once."""
import re
import uuid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from search import service
from search.service import batched_indexing

from .dates import DateError, parse_date
from .importing import (FAILED, ImportOutcome, clean_source_name, import_essay_bytes, metadata_by_file,
                        read_manifest, summarize)
from .manifest import ManifestError
from .models import ORDERING, Essay
from .parsing import EssayParseError, clean_text, parse_essay_bytes
from . import staging
from .uploads import skipped_uploads

admin.site.site_header = "政论文章库 管理"
admin.site.site_title = "政论文章库 管理"
admin.site.index_title = "管理首页"


def _preview_facts(data, name, metadata):
    """What a file would become: {number, title, paragraphs, metadata} (the
    metadata as the manifest gives it, "" when the file has none)."""
    try:
        parsed = parse_essay_bytes(data, clean_source_name(name), max_bytes=settings.ESSAY_MAX_BYTES,
                                   max_paragraphs=settings.ESSAY_MAX_PARAGRAPHS,
                                   max_paragraph_chars=settings.ESSAY_MAX_PARAGRAPH_CHARS)
    except EssayParseError:
        return None
    shown = []
    if metadata is not None:
        labels = {"date": "日期", "source": "来源", "author": "作者", "column": "栏目", "url": "链接"}
        for field in metadata.given:
            value = getattr(metadata, field)
            if value:
                shown.append(f"{labels[field]}：{value.chinese() if field == 'date' else value}")
    return {"number": parsed.number, "title": parsed.title, "paragraphs": len(parsed.paragraphs),
            "metadata": "；".join(shown)}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if not files and self.required:
            raise ValidationError("请选择至少一个文件。")
        if len(files) > settings.ESSAY_MAX_UPLOAD_FILES:
            raise ValidationError(f"一次最多上传 {settings.ESSAY_MAX_UPLOAD_FILES} 个文件。")
        return files


class UploadForm(forms.Form):
    files = MultipleFileField(label="文章文件",
                              help_text="接受 .txt 和 .html 文件（UTF-8、GB18030、Big5 或 Shift-JIS 编码），可一次选择多个，"
                                        "也可以把文件拖到这里。Word（.docx）、PDF 和图片不能直接导入：请先另存为 .txt 或 .html。")

    manifest = forms.FileField(label="元数据清单（可选）", required=False,
                               help_text="CSV 文件，表头为 file,date,source,author,column,url（也可用 文件,日期,来源,"
                                         "作者,栏目,链接），每行一个文件；UTF-8 或 GB18030。")

    overwrite = forms.BooleanField(label="覆盖后台的修改", required=False,
                                   help_text="文章在后台被手工改过时，默认保留手工修改；勾选后用文件内容替换。")

    def __init__(self, *args, skipped=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Files the upload handler refused still count as "chosen": a POST of
        # only oversized files gets a report, not "choose a file".
        self.fields["files"].required = not skipped


class ParagraphsField(forms.CharField):
    """Paragraphs edited as plain text, one paragraph per block separated
    by a blank line."""

    widget = forms.Textarea(attrs={"rows": 24, "cols": 100})

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n\n".join(value)
        return value

    def to_python(self, value):
        text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
        # Blocks are separated by a line that is empty or only whitespace.
        blocks = re.split(r"\n[^\S\n]*\n", text)
        # The importer's whitespace rules, so saving an unedited essay keeps
        # its text (an ideographic space inside a paragraph stays one), and
        # its control characters dropped (the feed's XML cannot hold them).
        paragraphs = [clean_text(block) for block in blocks]
        return [p for p in paragraphs if p]

    def validate(self, value):
        """The importer's limits (essays.parsing), with the same reasons."""
        if not value:
            raise ValidationError("文章至少需要一个段落。")
        if len(value) > settings.ESSAY_MAX_PARAGRAPHS:
            raise ValidationError(f"段落超过 {settings.ESSAY_MAX_PARAGRAPHS} 段的上限。")
        for number, paragraph in enumerate(value, start=1):
            if len(paragraph) > settings.ESSAY_MAX_PARAGRAPH_CHARS:
                raise ValidationError(f"第 {number} 段有 {len(paragraph)} 字，超过每段 "
                                      f"{settings.ESSAY_MAX_PARAGRAPH_CHARS} 字的上限；请分段。")


class EssayForm(forms.ModelForm):
    paragraphs = ParagraphsField(label="段落", help_text="每段之间空一行。")
    date = forms.CharField(label="发表日期", required=False, max_length=30,
                           help_text="只知道年份或年月时只写已知部分：2019、2019-07、2019-07-01 或 2019年7月1日。")
    source_url = forms.URLField(label="原文链接", required=False, max_length=500, assume_scheme="https",
                                error_messages={"invalid": "请输入有效的网址。"})

    class Meta:
        model = Essay
        fields = ("number", "title", "date", "source", "author", "column", "source_url", "paragraphs")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.date:
            self.initial["date"] = self.instance.date.iso()

    def clean_title(self):
        """Without control characters (typed or pasted: the feed's XML
        cannot hold them), spaces as in imported titles."""
        title = clean_text(self.cleaned_data.get("title") or "")
        if not title:
            raise ValidationError("标题不能为空。")
        return title

    def clean_date(self):
        try:
            return parse_date(self.cleaned_data.get("date"))
        except DateError as err:
            raise ValidationError(err.reason) from None

    def clean_source_url(self):
        url = self.cleaned_data.get("source_url") or ""
        if url and not url.lower().startswith(("http://", "https://")):
            raise ValidationError("原文链接须以 http:// 或 https:// 开头。")
        return url

    def save(self, commit=True):
        self.instance.date = self.cleaned_data.get("date")
        if self.instance.pk and set(self.changed_data) & {"number", "title", "paragraphs"}:
            # The essay now differs from its file: a re-upload says so
            # instead of "unchanged" (essays.importing, KEPT).
            self.instance.edited = True
        return super().save(commit)


class YearFilter(admin.SimpleListFilter):
    """Filter by the year of publication (essays dated only to the year included)."""

    title = "发表年份"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = (Essay.objects.filter(date_start__isnull=False).dates("date_start", "year", order="DESC"))
        return [(str(d.year), f"{d.year}年") for d in years] + [("none", "无日期")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(date_start__isnull=True)
        if value and value.isdigit():
            return queryset.filter(date_start__year=int(value))
        return queryset


@admin.register(Essay)
class EssayAdmin(admin.ModelAdmin):
    form = EssayForm
    list_display = ("number", "title", "published", "source", "column", "paragraph_total", "source_name",
                    "public_link", "updated")
    list_display_links = ("title",)
    list_filter = (YearFilter, "source", "column", "edited")
    # Titles, the text of the paragraphs (stored as JSON text, Chinese as
    # itself: essays.models.TextJSONEncoder) and the file names.
    search_fields = ("title", "paragraphs", "source_name")
    search_help_text = "在标题、正文段落和来源文件名中查找"
    ordering = ORDERING  # as on the site: essays without a number last
    readonly_fields = ("source_name", "edited", "content_hash", "created", "updated")
    fields = ("number", "title", "date", "source", "author", "column", "source_url", "paragraphs",
              "source_name", "edited", "content_hash", "created", "updated")

    @admin.display(description="公开页面")
    def public_link(self, obj):
        return format_html('<a href="{}" target="_blank" rel="noopener">查看</a>', obj.get_absolute_url())

    @admin.display(description="发表日期", ordering="date_start")
    def published(self, obj):
        return obj.date.chinese() if obj.date else "—"
    change_list_template = "admin/essays/essay/change_list.html"

    @admin.display(description="段落数")
    def paragraph_total(self, obj):
        return obj.paragraph_count

    def save_model(self, request, obj, form, change):
        # source_name is the unique key imports use and is read only here: an
        # essay added by hand gets a unique name that no import will match.
        if not obj.source_name:
            obj.source_name = f"manual-{uuid.uuid4().hex}"
        super().save_model(request, obj, form, change)

    def get_urls(self):
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="essays_essay_upload")
        return [upload] + super().get_urls()

    def upload_view(self, request):
        """Import uploaded files through the same function as the command;
        each file succeeds or fails on its own. Two ways: 上传 imports at
        once (one step, as before); 预览 shows what each file would become
        (a dry run) and keeps the files (essays.staging) until 确认导入
        imports those very bytes."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("action") == "confirm":
            return self._confirm(request)
        # Bound on every POST, even one with no fields at all, so that an
        # empty submission shows "choose a file" instead of a blank form.
        if request.method == "POST":
            files = request.FILES  # parses the body; the handler records refused files
            skipped = skipped_uploads(request)
            form = UploadForm(request.POST, files, skipped=skipped)
        else:
            skipped, form = [], UploadForm()
        if request.method != "POST" or not form.is_valid():
            return self._upload_response(request, form, None)
        # Files refused while streaming in (essays.uploads) never reach
        # the form; report them as failed like any other bad file.
        refused = [ImportOutcome(clean_source_name(name), FAILED, reason=reason) for name, reason in skipped]
        # Oversized files were dropped while streaming in (essays.uploads);
        # the parser enforces the limit again.
        items = [(u.name, u.read(settings.ESSAY_MAX_BYTES + 1)) for u in form.cleaned_data["files"]]
        upload = form.cleaned_data.get("manifest")
        manifest = (upload.name, upload.read()) if upload is not None else None
        overwrite = form.cleaned_data.get("overwrite", False)
        if request.POST.get("action") == "preview":
            return self._preview(request, form, items, manifest, overwrite, refused)
        return self._import(request, form, items, manifest, overwrite, refused)

    def _import(self, request, form, items, manifest, overwrite, outcomes):
        """Import [(name, bytes)] and render the report."""
        outcomes = list(outcomes)
        if not service.index_writable():
            # Saving essays that cannot become searchable would leave the
            # archive and its search disagreeing: refuse them all.
            reason = "搜索索引目前不可写，本次上传没有保存任何文件；请联系管理员检查数据目录。"
            outcomes += [ImportOutcome(clean_source_name(name), FAILED, reason=reason) for name, _ in items]
            return self._upload_response(request, form, outcomes)
        # The report comes back within ESSAY_UPLOAD_INDEX_SECONDS of
        # indexing however large the batch: every file is saved (and
        # listed for the index in the same transaction), and what the
        # time leaves is indexed by the background catch-up.
        by_name, problems = self._manifest(manifest, [name for name, _ in items])
        with batched_indexing(seconds=settings.ESSAY_UPLOAD_INDEX_SECONDS) as batch:
            for name, data in items:
                outcome = import_essay_bytes(data, name, metadata=by_name.get(clean_source_name(name)),
                                             overwrite_edits=overwrite)
                batch.touch(outcome.essay_id)
                outcomes.append(outcome)
        pending = batch.pending & {o.essay_id for o in outcomes}
        if batch.error:
            messages.error(request, "文章已保存，但搜索索引暂时没能更新（" + batch.error
                           + "）。系统会在后台自动重试；如果问题持续，请管理员运行 "
                           "python manage.py check_index --fix。")
        elif pending:
            messages.warning(request, f"文章均已保存；其中 {len(pending)} 篇的搜索索引仍在后台更新，"
                             "稍后即可搜到，无需重新上传。")
        return self._upload_response(request, form, outcomes, pending, problems)

    def _preview(self, request, form, items, manifest, overwrite, refused):
        """A dry run of every file, its bytes kept for the confirmation."""
        by_name, problems = self._manifest(manifest, [name for name, _ in items])
        rows = [(o, None) for o in refused]
        for name, data in items:
            metadata = by_name.get(clean_source_name(name))
            outcome = import_essay_bytes(data, name, dry_run=True, metadata=metadata, overwrite_edits=overwrite)
            rows.append((outcome, _preview_facts(data, name, metadata) if outcome.status != FAILED else None))
        try:
            token = staging.stage(items, manifest) if items else ""
        except OSError as err:
            messages.error(request, f"无法暂存这些文件以便确认（{err.strerror or err}）；请改用“直接上传”，"
                                    "或请管理员检查数据目录是否可写。")
            token = ""
        context = {"preview": rows, "token": token, "overwrite": overwrite,
                   "counts": summarize([o for o, _ in rows])}
        return self._upload_response(request, form, None, problems=problems, extra=context)

    def _confirm(self, request):
        """Import the files of a preview (essays.staging)."""
        token = request.POST.get("token", "")
        staged = staging.load(token)
        form = UploadForm()
        if staged is None:
            messages.error(request, "这次预览已经导入过或已过期（预览的文件保留 24 小时）；请重新选择文件。")
            return self._upload_response(request, form, None)
        items, manifest = staged
        response = self._import(request, form, items, manifest, request.POST.get("overwrite") == "1", [])
        staging.discard(token)
        return response

    def _manifest(self, upload, names):
        """(file name -> Metadata, [problems]) of the uploaded manifest
        ((name, bytes) or None): the same rules as import_essays --metadata."""
        if upload is None:
            return {}, []
        try:
            manifest = read_manifest(upload[1], clean_source_name(upload[0]))
        except ManifestError as err:
            return {}, [f"{err.reason}；本次未使用这个清单，文章照常导入。"]
        return metadata_by_file([manifest], names)

    # -- edits and deletes: tell the editor when the index is behind -------
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if request.method == "POST" and object_id is not None:
            self._warn_if_pending(request, [object_id])
        return response

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        if request.method == "POST":
            self._warn_if_pending(request, [object_id])
        return response

    def delete_queryset(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        request._deleted_ids = ids

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "POST" and getattr(request, "_deleted_ids", None):
            self._warn_if_pending(request, request._deleted_ids)
        return response

    def _warn_if_pending(self, request, ids):
        """After a save or delete has committed: if the index could not
        take the change, say so (it is listed and caught up later)."""
        try:
            ids = [int(i) for i in ids]
        except (TypeError, ValueError):
            return
        if service.pending_essays(ids):
            messages.warning(request, "改动已保存，但搜索索引暂时无法更新（可能是索引目录不可写）。"
                             "系统会在后台自动重试；在此之前搜索结果可能仍是旧的。")

    def _upload_response(self, request, form, outcomes, pending=frozenset(), problems=(), extra=None):
        context = {
            **(extra or {}),
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "上传文章",
            "form": form,
            "outcomes": outcomes,
            "pending": pending,
            "manifest_problems": problems,
            **({"counts": summarize(outcomes)} if outcomes is not None else {}),
            "changelist_url": reverse("admin:essays_essay_changelist"),
        }
        return TemplateResponse(request, "admin/essays/essay/upload.html", context)
