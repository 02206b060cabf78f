"""An upload handler that keeps essay files in memory and refuses oversized
ones while they stream in.

Django's default handlers would spool a large upload to a temporary file
(outside the data directory) before any view could look at its size. Here a
file over ESSAY_MAX_BYTES is dropped as soon as it passes the limit, and once
a request has brought in ESSAY_MAX_UPLOAD_TOTAL bytes every further file is
dropped too. What was dropped is recorded on the request so the upload page
can report it; nothing is ever written to disk.
"""
from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


def _too_much():
    return f"本次上传总量超过 {settings.ESSAY_MAX_UPLOAD_TOTAL} 字节；请分几次上传"


def skipped_uploads(request):
    """[(file name, reason), ...] of the files this request did not accept."""
    return getattr(request, "_skipped_uploads", [])


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.total = 0
        self.buffer = None

    def _skip(self, reason):
        if self.request is not None:
            if not hasattr(self.request, "_skipped_uploads"):
                self.request._skipped_uploads = []
            self.request._skipped_uploads.append((self.file_name, reason))
        self.buffer = None
        raise SkipFile(reason)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()
        if self.total >= settings.ESSAY_MAX_UPLOAD_TOTAL:
            self._skip(_too_much())

    def receive_data_chunk(self, raw_data, start):
        self.total += len(raw_data)
        if self.buffer.tell() + len(raw_data) > settings.ESSAY_MAX_BYTES:
            self._skip(f"文件超过 {settings.ESSAY_MAX_BYTES} 字节的上限")
        if self.total > settings.ESSAY_MAX_UPLOAD_TOTAL:
            self._skip(_too_much())
        self.buffer.write(raw_data)
        return None  # consumed: no other handler sees it

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer, field_name=self.field_name, name=self.file_name,
            content_type=self.content_type, size=file_size, charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
