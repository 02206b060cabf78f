"""A minimal stdlib HTTP/1.1 client for one 127.0.0.1 server (a fresh
connection per request, a cookie jar, Django's CSRF token, admin login,
multipart uploads, the admin's change/delete forms), and the form and
upload-report parsers the reliability tests read pages with."""
import html
import http.client
import json
import re
import secrets
import urllib.parse
from html.parser import HTMLParser

ADMIN_USER = "editor"
ADMIN_PASSWORD = "correct-horse-battery-staple-42"


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class _FormParser(HTMLParser):
    """The fields of the first <form method=post> that holds a CSRF token."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._textarea, self._select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self._form["fields"].append([a["name"], a.get("value") or ""])
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
            self._form["fields"].append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self._form["fields"].append([self._select, a.get("value") or ""])

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def form_fields(page_html):
    """[(name, value)] of the first form on the page with a CSRF token.
    A textarea's leading newline (HTML drops it) is removed."""
    parser = _FormParser()
    parser.feed(page_html)
    for form in parser.forms:
        names = [f[0] for f in form["fields"]]
        if "logout" in (form["attrs"].get("action") or "") or form["attrs"].get("id") == "logout-form":
            continue  # the admin header's log-out button is a form too
        if "csrfmiddlewaretoken" in names:
            return [(n, v[1:] if v.startswith("\n") else v) for n, v in form["fields"]]
    raise AssertionError("no form with a CSRF token on the page")


class Client:
    """A minimal HTTP/1.1 client for one 127.0.0.1 server: a cookie jar,
    no redirects followed unless asked, and bodies always read whole."""

    def __init__(self, port, timeout=60):
        self.port = port
        self.timeout = timeout
        self.cookies = {}

    def request(self, method, path, body=None, headers=None, follow=False):
        for _ in range(5):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                all_headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Encoding": "identity"}
                if self.cookies:
                    all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
                all_headers.update(headers or {})
                conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for k, v in all_headers.items():
                    conn.putheader(k, v)
                if body is not None:
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                raw = conn.getresponse()
                resp = Response(raw.status, raw.getheaders(), raw.read())
            finally:
                conn.close()
            for k, v in resp.headers:
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    value = rest.split(";", 1)[0]
                    if "max-age=0" in v.lower() or 'expires=thu, 01 jan 1970' in v.lower():
                        self.cookies.pop(name.strip(), None)
                    else:
                        self.cookies[name.strip()] = value
            if not (follow and resp.status in (301, 302, 303) and resp.header("Location")):
                return resp
            loc = urllib.parse.urlsplit(resp.header("Location"))
            path = loc.path + (("?" + loc.query) if loc.query else "")
            method, body, headers = "GET", None, None
        return resp

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, fields=(), files=(), csrf=True, headers=None, follow=False):
        """POST a form. `fields` is [(name, value)]; `files` is
        [(field, filename, bytes)] (multipart). With csrf, the token from
        the csrftoken cookie is added unless the fields already carry one."""
        fields = list(fields)
        if csrf and not any(n == "csrfmiddlewaretoken" for n, _ in fields) and "csrftoken" in self.cookies:
            fields.append(("csrfmiddlewaretoken", self.cookies["csrftoken"]))
        headers = dict(headers or {})
        if files:
            body, ctype = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields).encode("ascii")
            ctype = "application/x-www-form-urlencoded"
        headers["Content-Type"] = ctype
        return self.request("POST", path, body=body, headers=headers, follow=follow)

    # Django admin
    def login(self, username=ADMIN_USER, password=ADMIN_PASSWORD):
        page = self.get("/admin/login/?next=/admin/")
        assert page.status == 200, page.status
        fields = dict(form_fields(page.text))
        resp = self.post("/admin/login/?next=/admin/", [
            ("csrfmiddlewaretoken", fields["csrfmiddlewaretoken"]), ("username", username),
            ("password", password), ("next", "/admin/")])
        assert resp.status == 302 and "sessionid" in self.cookies, (resp.status, resp.text[:500])
        return self

    def upload(self, *files):
        """Upload (filename, bytes) pairs through the admin upload page;
        returns (response, [outcome rows])."""
        page = self.get("/admin/essays/essay/upload/")
        assert page.status == 200, page.status
        token = dict(form_fields(page.text))["csrfmiddlewaretoken"]
        resp = self.post("/admin/essays/essay/upload/", [("csrfmiddlewaretoken", token)],
                         [("files", name, data) for name, data in files])
        return resp, upload_rows(resp.text) if resp.status == 200 else []

    def change(self, essay_id, edit):
        """Fetch an essay's change form, apply `edit(dict) -> dict` to its
        current values and save it. Returns the POST response."""
        url = f"/admin/essays/essay/{essay_id}/change/"
        page = self.get(url)
        assert page.status == 200, (url, page.status)
        values = dict(form_fields(page.text))
        values = edit(values)
        values["_save"] = "保存"
        return self.post(url, list(values.items()))

    def delete(self, essay_id):
        url = f"/admin/essays/essay/{essay_id}/delete/"
        page = self.get(url)
        assert page.status == 200, (url, page.status)
        token = dict(form_fields(page.text))["csrfmiddlewaretoken"]
        return self.post(url, [("csrfmiddlewaretoken", token), ("post", "yes")])


def multipart(fields, files):
    boundary = "----reliability" + secrets.token_hex(12)
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + str(value).encode("utf-8") + b"\r\n")
    for field, filename, data in files:
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{quoted}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n")
        parts.append(head.encode("utf-8") + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


_ROW = re.compile(r'<tr class="outcome-(\w+)">\s*<td>(.*?)</td>\s*<td>.*?</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>',
                  re.S)
_CHANGE_LINK = re.compile(r'/admin/essays/essay/(\d+)/change/')


def upload_rows(page_html):
    """The upload report: [{status, source_name, essay_id, reason}]."""
    rows = []
    for status, source, essay_cell, reason in _ROW.findall(page_html):
        link = _CHANGE_LINK.search(essay_cell)
        rows.append({"status": status, "source_name": html.unescape(source.strip()),
                     "essay_id": int(link.group(1)) if link else None,
                     "reason": html.unescape(reason.strip())})
    return rows


def quote_url(q, api=True, **params):
    params = {"q": q, **params}
    return ("/api/search?" if api else "/search/?") + urllib.parse.urlencode(params)
