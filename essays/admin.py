"""Admin for essays, with a page to upload many essay files at once."""
import re
import uuid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse

from search import service
from search.sync import batched_indexing

from .importing import FAILED, ImportOutcome, clean_source_name, import_essay_bytes, summarize
from .models import ORDERING, Essay
from .parsing import clean_text
from .uploads import skipped_uploads


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
                              help_text="可一次选择多个 .txt 文件（UTF-8、GB18030、Big5 或 Shift-JIS）。")

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

    class Meta:
        model = Essay
        fields = ("number", "title", "paragraphs")

    def clean_title(self):
        """Without control characters (typed or pasted: the feed's XML
        cannot hold them), spaces as in imported titles."""
        title = clean_text(self.cleaned_data.get("title") or "")
        if not title:
            raise ValidationError("标题不能为空。")
        return title


@admin.register(Essay)
class EssayAdmin(admin.ModelAdmin):
    form = EssayForm
    list_display = ("number", "title", "paragraph_total", "updated")
    list_display_links = ("title",)
    search_fields = ("title",)
    ordering = ORDERING  # as on the site: essays without a number last
    readonly_fields = ("source_name", "content_hash", "created", "updated")
    fields = ("number", "title", "paragraphs", "source_name", "content_hash", "created", "updated")
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
        each file succeeds or fails on its own."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        outcomes = None
        # Bound on every POST, even one with no fields at all, so that an
        # empty submission shows "choose a file" instead of a blank form.
        if request.method == "POST":
            files = request.FILES  # parses the body; the handler records refused files
            skipped = skipped_uploads(request)
            form = UploadForm(request.POST, files, skipped=skipped)
        else:
            skipped, form = [], UploadForm()
        if request.method == "POST" and form.is_valid():
            # Files refused while streaming in (essays.uploads) never reach
            # the form; report them as failed like any other bad file.
            outcomes = [ImportOutcome(clean_source_name(name), FAILED, reason=reason)
                        for name, reason in skipped]
            if not service.index_writable():
                # Saving essays that cannot become searchable would leave the
                # archive and its search disagreeing: refuse them all.
                reason = "搜索索引目前不可写，本次上传没有保存任何文件；请联系管理员检查数据目录。"
                outcomes += [ImportOutcome(clean_source_name(u.name), FAILED, reason=reason)
                             for u in form.cleaned_data["files"]]
                return self._upload_response(request, form, outcomes)
            with batched_indexing() as batch:
                for upload in form.cleaned_data["files"]:
                    # Oversized files were dropped while streaming in
                    # (essays.uploads); the parser enforces the limit again.
                    outcome = import_essay_bytes(upload.read(settings.ESSAY_MAX_BYTES + 1), upload.name)
                    batch.touch(outcome.essay_id)
                    outcomes.append(outcome)
            if batch.error:
                messages.error(request, "文章已保存，但搜索索引没能更新（" + batch.error
                               + "）。请管理员运行 python manage.py check_index --fix。")
        return self._upload_response(request, form, outcomes)

    def _upload_response(self, request, form, outcomes):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "上传文章",
            "form": form,
            "outcomes": outcomes,
            "counts": summarize(outcomes) if outcomes is not None else None,
            "changelist_url": reverse("admin:essays_essay_changelist"),
        }
        return TemplateResponse(request, "admin/essays/essay/upload.html", context)
