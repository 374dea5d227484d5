"""The one request-body parser (functions.api.body) both adapters use: forms, files, limits, junk."""

from __future__ import annotations

import io
import os
import tempfile

import pytest
from werkzeug.test import EnvironBuilder

from functions.api.body import read_body
from functions.api.errors import ApiError
from functions.api.http import Request

BOUNDARY = "----WebKitFormBoundaryZb3kQ9"


def request(body: bytes, content_type: str, **headers) -> Request:
    return Request(method="POST", path="/api/x", headers={"content-type": content_type, **headers},
                   body=io.BytesIO(body))


def browser_multipart(parts: list[tuple]) -> bytes:
    """What Chromium sends: every part has its blank line, empty or not."""
    out = b""
    for part in parts:
        name, value = part[0], part[1]
        if len(part) == 3:  # a file: (name, bytes, filename)
            head = (f'Content-Disposition: form-data; name="{name}"; filename="{part[2]}"\r\n'
                    "Content-Type: application/octet-stream\r\n")
        else:
            head = f'Content-Disposition: form-data; name="{name}"\r\n'
            value = value.encode("utf-8")
        out += f"--{BOUNDARY}\r\n{head}\r\n".encode("utf-8") + value + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def werkzeug_multipart(data: dict) -> tuple[bytes, str]:
    """What Werkzeug's client (and App Engine) send: RFC 2046 lets an empty part omit its blank line."""
    env = EnvironBuilder(method="POST", data=data, content_type="multipart/form-data").get_environ()
    return env["wsgi.input"].read(), env["CONTENT_TYPE"]


def parsed(req: Request, limit: int = 10**6) -> tuple[list, list]:
    read_body(req, limit)
    return sorted(req.form.items()), [(u.field, u.filename, u.read()) for u in req.files]


def test_browser_form_with_empty_fields_and_an_empty_file_input():
    body = browser_multipart([("mo_ta", "Em bé bị bỏ đói"), ("website", ""), ("tuoi", ""),
                              ("attachments", b"", ""), ("attachments", b"\x89PNG...", "ảnh.png")])
    form, files = parsed(request(body, f"multipart/form-data; boundary={BOUNDARY}"))
    assert form == [("mo_ta", ["Em bé bị bỏ đói"]), ("tuoi", [""]), ("website", [""])]
    assert files == [("attachments", "ảnh.png", b"\x89PNG...")]


@pytest.mark.parametrize("data, form, files", [
    ({"commune": "muong-ang", "year": "", "access_code": "ABCD"},
     [("access_code", ["ABCD"]), ("commune", ["muong-ang"]), ("year", [""])], []),
    ({"a": "", "b": "", "c": "x"}, [("a", [""]), ("b", [""]), ("c", ["x"])], []),
    ({"a": "1\r\n", "b": ""}, [("a", ["1\r\n"]), ("b", [""])], []),
    ({"f": (io.BytesIO(b""), ""), "g": (io.BytesIO(b"abc"), "g.txt"), "h": ""}, [("h", [""])], [("g", "g.txt", b"abc")]),
    ({"f": (io.BytesIO(b""), "ten.png"), "z": ""}, [("z", [""])], [("f", "ten.png", b"")]),
])
def test_empty_parts_without_their_blank_line_are_read_as_empty(data, form, files):
    body, ctype = werkzeug_multipart(data)
    assert parsed(request(body, ctype)) == (form, files)


def test_a_file_with_bytes_but_no_name_is_kept():
    body = browser_multipart([("attachments", b"%PDF-1.4 x", "")])
    assert parsed(request(body, f"multipart/form-data; boundary={BOUNDARY}"))[1] == [("attachments", "", b"%PDF-1.4 x")]


def test_large_files_spill_to_an_unnamed_temporary_file():
    big = os.urandom(3 * 1024 * 1024)
    before = set(os.listdir(tempfile.gettempdir()))
    req = request(browser_multipart([("evidence", big, "hoso.pdf")]), f"multipart/form-data; boundary={BOUNDARY}")
    read_body(req, 10 * 1024 * 1024)
    assert req.files[0].read() == big
    assert set(os.listdir(tempfile.gettempdir())) - before == set()  # nothing of the file has a name on disk
    req.close()


@pytest.mark.parametrize("body, ctype", [
    (b"--nope\r\ngarbage", "multipart/form-data; boundary=other"),
    (b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ncut off here", "multipart/form-data; boundary=B"),
    (b"anything", "multipart/form-data"),
])
def test_malformed_multipart_is_a_400(body, ctype):
    with pytest.raises(ApiError) as caught:
        read_body(request(body, ctype), 10**6)
    assert caught.value.status == 400


def test_declared_and_actual_sizes_over_the_limit_are_413():
    body = browser_multipart([("evidence", b"x" * 5000, "a.pdf")])
    ctype = f"multipart/form-data; boundary={BOUNDARY}"
    for req in (request(body, ctype, **{"content-length": str(len(body))}), request(body, ctype)):
        with pytest.raises(ApiError) as caught:
            read_body(req, 1000)
        assert caught.value.status == 413
    with pytest.raises(ApiError) as caught:
        read_body(request(b"a=" + b"x" * 2000, "application/x-www-form-urlencoded"), 1000)
    assert caught.value.status == 413


def test_urlencoded_and_json_bodies():
    form, _ = parsed(request("commune=M%C6%B0%E1%BB%9Dng+%E1%BA%A2ng&website=".encode(),
                             "application/x-www-form-urlencoded"))
    assert form == [("commune", ["Mường Ảng"]), ("website", [""])]
    req = request('{"description": "Trẻ em"}'.encode(), "application/json; charset=utf-8")
    read_body(req, 10**6)
    assert req.json_body == {"description": "Trẻ em"} and req.value("description") == "Trẻ em"
    broken = request(b"{not json", "application/json")
    read_body(broken, 10**6)
    assert broken.json_body is None  # invalid JSON is no JSON: the handler answers with field errors


def test_unreadable_body_is_a_400_not_a_500():
    class Broken(io.RawIOBase):
        def readinto(self, buffer):
            raise OSError("connection reset")

    req = Request(method="POST", path="/", headers={"content-type": "application/json"}, body=Broken())
    with pytest.raises(ApiError) as caught:
        read_body(req, 10**6)
    assert caught.value.status == 400


def test_text_held_in_memory_is_bounded_whatever_the_request_limit():
    from functions.api.body import MEMORY_TEXT_BYTES

    big = b"x" * (MEMORY_TEXT_BYTES + 10)
    for body, ctype in ((b"description=" + big, "application/x-www-form-urlencoded"),
                        (b'{"description": "' + big + b'"}', "application/json"),
                        (browser_multipart([("description", big.decode())]), f"multipart/form-data; boundary={BOUNDARY}")):
        with pytest.raises(ApiError) as caught:
            read_body(request(body, ctype), 100 * MEMORY_TEXT_BYTES)
        assert caught.value.status == 413
    # A file of the same size is no text: it spills to disk and is accepted.
    req = request(browser_multipart([("evidence", big, "hoso.pdf")]), f"multipart/form-data; boundary={BOUNDARY}")
    read_body(req, 100 * MEMORY_TEXT_BYTES)
    assert req.files[0].size() == len(big)
    req.close()


# -- per-endpoint limits and files kept in memory (issue 15: every endpoint took ~110 MiB bodies) ---------

@pytest.mark.parametrize("path", ["/api/tips/status", "/api/visits", "/api/uploads"])
def test_small_endpoints_refuse_bodies_over_a_few_kilobytes(client, path):
    from functions.api.http import SMALL_BODY_BYTES

    answer = client.post(path, data=b"{" + b" " * SMALL_BODY_BYTES + b"}", content_type="application/json",
                         headers={"Accept": "application/json"})
    assert answer.status_code == 413
    small = client.post(path, data=b"{}", content_type="application/json", headers={"Accept": "application/json"})
    assert small.status_code != 413


def test_a_report_body_is_bounded_by_its_own_attachment_rules(client, config):
    from functions.api.tips import tip_body_bytes

    limit = tip_body_bytes(config)
    assert limit < config.max_request_bytes
    body = browser_multipart([("description", "x"), ("attachments", b"\xff\xd8\xff" + b"0" * limit, "a.jpg")])
    answer = client.post("/api/tips", data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}",
                         headers={"Accept": "application/json"})
    assert answer.status_code == 413


def test_files_kept_in_memory_never_touch_the_disk(monkeypatch):
    big = os.urandom(3 * 1024 * 1024)
    written = []
    real_mkstemp = tempfile.mkstemp

    def watch(*args, **kwargs):
        written.append(args)
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", watch)
    monkeypatch.setattr(tempfile, "TemporaryFile", lambda *a, **k: written.append(a) or io.BytesIO())
    req = request(browser_multipart([("attachments", big, "anh.jpg")]), f"multipart/form-data; boundary={BOUNDARY}")
    read_body(req, 10 * 1024 * 1024, files_in_memory=True)
    assert req.files[0].read() == big and written == []
    spilled = request(browser_multipart([("attachments", big, "anh.jpg")]), f"multipart/form-data; boundary={BOUNDARY}")
    read_body(spilled, 10 * 1024 * 1024)
    assert written  # without it, a large file still spills (evidence files, up to 20 MB each)


def test_the_report_endpoint_keeps_its_files_in_memory():
    from functions.api.tips import submit_tip
    from functions.api.assessments import post_assessment

    assert submit_tip.files_in_memory is True and post_assessment.files_in_memory is False
