"""The PostgreSQL server cutting a request's connection in the middle of
the request (between two of its queries, as pg_terminate_backend, a
restart or a failover does): psycopg's real error answers 503 with a
Chinese message, never a 500, and the next request works on a fresh
connection. Runs on PostgreSQL (`pytest --postgres`, as `make test` runs
it); SQLite has no server to cut the connection."""
import json

import psycopg
import pytest
from django.db import connection
from django.db.backends.utils import CursorWrapper

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cut_after(monkeypatch):
    """cut_after(n): the request's connection is terminated by the server
    just before its n-th query."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a PostgreSQL server: pytest --postgres (make test runs this file so)")
    real = CursorWrapper.execute
    state = {"left": None, "cut": 0}

    def execute(self, *args, **kwargs):
        if state["left"] is not None:
            state["left"] -= 1
            if state["left"] == 0:
                state["left"] = None
                pid = self.db.connection.info.backend_pid
                params = {k: v for k, v in self.db.get_connection_params().items() if k != "cursor_factory"}
                with psycopg.connect(**params, autocommit=True) as other:
                    other.execute("SELECT pg_terminate_backend(%s)", [pid])
                state["cut"] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CursorWrapper, "execute", execute)

    def arm(n):
        state["left"] = n
        return state

    return arm


# The statement before which the connection is cut (the search page reads
# its hits with a single one).
@pytest.mark.parametrize("url, query", [("/", 2), ("/api/essays", 2), ("/search/?q=落实", 1)])
def test_a_connection_cut_mid_request_answers_503_in_chinese_then_recovers(client, make_essay, cut_after, url, query):
    make_essay(1, "抓落实", ["抓落实的一段话。"])
    state = cut_after(query)
    response = client.get(url)
    assert state["cut"] == 1
    body = response.content.decode()
    assert response.status_code == 503, body[:500]
    if url.startswith("/api/"):
        assert "数据库暂时不可用" in json.loads(body)["error"]
    else:
        assert "数据库暂时不可用" in body and "Traceback" not in body
    again = client.get(url)
    assert again.status_code == 200 and "抓落实" in again.content.decode()
