"""Tips under concurrency (a real threaded server) and under generated input (hypothesis): no 5xx, no loss."""

from __future__ import annotations

import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.core import tips

GOOD = {"description": "Một em nhỏ ở bản bên bị bỏ đói nhiều ngày", "category": "bo-roi-bo-mac", "commune": "Mường Lạn"}


pytestmark = pytest.mark.usefixtures("dev_keys")


@pytest.fixture
def config(config):
    # Each test client here is one address: the limit must not be what the test measures.
    return config.replace(tips_per_hour=10_000, status_lookups_per_hour=10_000)


def test_fifty_concurrent_submissions_are_fifty_records_with_fifty_receipts(live_server, app):
    from functions.web import context

    barrier = threading.Barrier(50)

    def submit(n: int):
        barrier.wait(timeout=30)  # all at once
        files = {"attachments": (f"{n}.pdf", io.BytesIO(b"%PDF-1.4\n" + bytes([n]) * 100 + b"\n%%EOF\n"), "application/pdf")}
        r = requests.post(f"{live_server.url}/api/tips", headers={"Accept": "application/json"},
                          data={**GOOD, "submission_id": f"concurrent-{n:06d}-abcdef"}, files=files, timeout=60)
        return r.status_code, r.json().get("receipt")

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(submit, range(50)))
    assert [code for code, _ in results] == [201] * 50
    assert len({receipt for _, receipt in results}) == 50
    storage = context(app).storage
    assert len(tips.tip_ids(storage)) == 50
    assert len(list(storage.list("receipts/"))) == 50


def test_the_same_submission_sent_twenty_times_at_once_is_one_record(live_server, app):
    from functions.web import context

    barrier = threading.Barrier(20)

    def submit(_):
        barrier.wait(timeout=30)
        r = requests.post(f"{live_server.url}/api/tips", json={**GOOD, "submission_id": "double-click-000000001"}, timeout=60)
        return r.status_code, r.json().get("receipt")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(submit, range(20)))
    assert {code for code, _ in results} == {201}
    assert len({receipt for _, receipt in results}) == 1
    storage = context(app).storage
    assert len(tips.tip_ids(storage)) == 1
    assert len(list(storage.list("receipts/"))) == 1
    assert len(list(storage.list("tips/"))) == 1  # no attachment left from the losers either
    status = requests.post(f"{live_server.url}/api/tips/status", json={"receipt": results[0][1]}, timeout=30).json()
    assert status["found"] is True


# -- no generated input gives a 5xx ---------------------------------------------------------------

text = st.one_of(st.text(max_size=80), st.sampled_from(["", " ", "khong-ro", "bung-lao", "Ẳng Tở", "0912345678", "17",
                                                        "bao-luc", "\x00", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")]))
values = st.one_of(text, st.integers(-10**6, 10**6), st.booleans(), st.none(), st.lists(text, max_size=3),
                   st.dictionaries(st.text(max_size=5), text, max_size=2), st.floats(allow_nan=True))
field_names = st.sampled_from(["description", "category", "commune", "urgent", "child_age", "location_detail",
                               "reporter_name", "reporter_phone", "submission_id", "website", "attachments", "x"])
bodies = st.dictionaries(field_names, values, max_size=10)
files = st.lists(st.tuples(st.sampled_from(["attachments", "other"]), st.binary(max_size=300),
                           st.sampled_from(["a.jpg", "b.png", "c.pdf", "", "x" * 300, "../../etc/passwd", "ảnh.jpg"]),
                           st.sampled_from(["image/jpeg", "application/pdf", "text/html", "", "multipart/form-data"])),
                 max_size=5)
raw_types = st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data",
                             "application/json; charset=latin-1", "", "multipart/form-data; boundary="])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies, uploads=files, accept=st.sampled_from(["application/json", "text/html", "*/*", ""]),
       encoding=st.sampled_from(["json", "form", "multipart", "raw"]), raw=st.binary(max_size=200), raw_type=raw_types)
def test_no_generated_input_yields_a_5xx(client, body, uploads, accept, encoding, raw, raw_type):
    headers = {"Accept": accept} if accept else {}
    if encoding == "json":
        response = client.post("/api/tips", data=json.dumps(body), content_type="application/json", headers=headers)
    elif encoding == "form":
        flat = {k: ("" if v is None else str(v)) for k, v in body.items()}
        response = client.post("/api/tips", data=flat, headers=headers)
    elif encoding == "multipart":
        data = {k: ("" if v is None else str(v)) for k, v in body.items() if k != "attachments"}
        for field, content, name, ctype in uploads:
            data.setdefault(field, [])
            if isinstance(data[field], str):
                data[field] = [data[field]]
            data[field].append((io.BytesIO(content), name, ctype))
        response = client.post("/api/tips", data=data, content_type="multipart/form-data", headers=headers)
    else:
        response = client.post("/api/tips", data=raw, content_type=raw_type, headers=headers)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert response.status_code in (201, 400, 413, 415)
    status = client.post("/api/tips/status", data=json.dumps({"receipt": body.get("description")}),
                         content_type="application/json", headers=headers)
    assert status.status_code in (200, 400)
