"""An import whose database connection the server cuts between two files
(a restart, pg_terminate_backend, a proxy's idle timeout): the next file
fails with the reason, and the one after opens a fresh connection. Runs on
PostgreSQL (`pytest --postgres`, as `make test` runs it); SQLite has no
server to cut the connection."""
import psycopg
import pytest
from django.db import connection

from essays.importing import import_essay_bytes
from essays.models import Essay
from tests.conftest import essay_file

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_connection_cut_between_files_fails_one_file_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs a PostgreSQL server: pytest --postgres (make test runs this file so)")
    first = import_essay_bytes(essay_file(1, "切断之前", ["第一篇。"]), "1.txt")
    assert first.status == "created"
    params = connection.get_connection_params()
    pid = connection.connection.info.backend_pid
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)

    cut = import_essay_bytes(essay_file(2, "切断之时", ["第二篇。"]), "2.txt")
    assert cut.status == "failed" and cut.reason.startswith("数据库错误"), cut
    after = import_essay_bytes(essay_file(3, "切断之后", ["第三篇。"]), "3.txt")
    assert after.status == "created", after
    assert sorted(Essay.objects.values_list("title", flat=True)) == ["切断之前", "切断之后"]
