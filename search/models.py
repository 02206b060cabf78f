"""The search layer's one table: essays whose index entry may be behind.

A row is written in the same database transaction as the change to the
essay (search.sync's signal handlers), so a saved essay is never
forgotten by the index, even if the request, worker or import dies right
after the commit. Rows are removed only after the index holds the essay
as the database has it (search.queue)."""
from django.db import models


class PendingIndex(models.Model):
    # No foreign key: a deleted essay's row stays until its removal from the
    # index is done.
    essay_id = models.BigIntegerField("文章 ID", db_index=True)
    queued = models.DateTimeField("排队时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "待更新索引"
        verbose_name_plural = "待更新索引"

    def __str__(self):
        return f"essay {self.essay_id} queued {self.queued:%Y-%m-%d %H:%M:%S}"
