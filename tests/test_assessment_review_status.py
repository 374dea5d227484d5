"""``POST /api/assessments/status``: with its access code a commune reads its status, each criterion's verdict and
comment and the deadline; a wrong code reads nothing and counts toward the same limits as on submission."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from functions.core import office_keys, review_store
from functions.core.assessment_review import decide
from functions.keys import DEV_PASSPHRASE, dev_officer_key, ensure_dev_office
from tests.test_assessments import JSON, PDF, form

YEAR = dt.date.today().year
DEADLINE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
PATH = "/api/assessments/status"


@pytest.fixture
def app(config):
    from functions.web import create_app

    ensure_dev_office(config)  # an office root and its keyring, which reviews are verified against
    return create_app(config)


@pytest.fixture
def returned(client, code, rubric, storage, config) -> dict:
    answer = client.post("/api/assessments", data={**form(code, rubric), "evidence_tc03": (io.BytesIO(PDF), "a.pdf")},
                         headers=JSON, content_type="multipart/form-data")
    record = answer.get_json()["assessment"]
    decision = decide(rubric, record, {"outcome": "tra-lai", "deadline": DEADLINE, "verdict_tc03": "can-bo-sung",
                                       "comment_tc03": "Thiếu biên bản họp <ban>", "verified_tc06": "100",
                                       "reason_tc06": "Một kế hoạch trễ hạn"}, today=dt.date.today())
    identity = office_keys.unlock(dev_officer_key(config).read_bytes(), DEV_PASSPHRASE)
    review_store.write_review(storage, commune_id="muong-ang", year=YEAR, version=1,
                              submission_sha256=review_store.submission_digest(storage, YEAR, "muong-ang", 1),
                              decision=decision, author="can-bo-phat-trien", identity=identity)
    return record


def lookup(client, code, as_json=True, **extra):
    data = {"commune": "muong-ang", "year": str(YEAR), "access_code": code, **extra}
    return client.post(PATH, data=data, headers=JSON if as_json else {})


def test_the_right_code_sees_status_verdicts_comments_and_deadline(client, code, returned):
    answer = lookup(client, code)
    assert answer.status_code == 200
    status = answer.get_json()["assessment_status"]
    assert status["status"] == "tra-lai" and status["status_label"] == "Trả lại để bổ sung"
    assert status["deadline"] == DEADLINE and status["version"] == 1 and status["verified_total"] == 775
    tc03 = status["criteria"][2]
    assert tc03["verdict_label"] == "Cần bổ sung" and tc03["comment"] == "Thiếu biên bản họp <ban>"
    assert status["criteria"][5]["verified"] == 100 and status["criteria"][5]["reason"] == "Một kế hoạch trễ hạn"
    page = lookup(client, code, as_json=False)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Trả lại để bổ sung" in html and DEADLINE in html
    assert "Thiếu biên bản họp &lt;ban&gt;" in html and code not in html


def test_before_any_review_the_status_is_received_and_a_forged_review_changes_nothing(client, code, rubric, storage):
    client.post("/api/assessments", data=form(code, rubric), headers=JSON, content_type="multipart/form-data")
    assert lookup(client, code).get_json()["assessment_status"]["status_label"] == "Đã nhận"
    storage.create(f"assessment-reviews/{YEAR}/muong-ang/v0001/r0001.json",
                   b'{"format": "bvte-assessment-review-v1", "commune": "muong-ang", "year": %d, "version": 1, '
                   b'"author": "can-bo-phat-trien", "time": "2030-01-01T00:00:00+00:00", "outcome": '
                   b'"de-nghi-cong-nhan", "signature": "AAAA"}' % YEAR)
    assert lookup(client, code).get_json()["assessment_status"]["status"] == "da-nhan"
    none_yet = lookup(client, code, year=str(YEAR - 1)).get_json()["assessment_status"]
    assert none_yet["version"] is None and none_yet["criteria"] == []


def test_a_wrong_code_sees_nothing_and_counts_toward_the_limit(client, code, returned, config):
    answer = lookup(client, "AAAA-BBBB-CCCC-DDDD")
    assert answer.status_code == 401
    body = answer.get_data(as_text=True)
    assert "Thiếu biên bản" not in body and DEADLINE not in body and "tra-lai" not in body
    page = lookup(client, "AAAA-BBBB-CCCC-DDDD", as_json=False).get_data(as_text=True)
    assert "Thiếu biên bản" not in page and "AAAA-BBBB" not in page and 'aria-invalid="true"' in page
    for _ in range(config.access_code_attempts_per_hour):
        lookup(client, "AAAA-BBBB-CCCC-DDDD")
    limited = lookup(client, code)  # even the right code waits once the limit is reached
    assert limited.status_code == 429 and "assessment_status" not in limited.get_json()


def test_missing_fields_are_named_and_a_cross_site_post_is_refused(client, code):
    answer = client.post(PATH, data={"year": "20x6"}, headers=JSON)
    assert answer.status_code == 400
    assert set(answer.get_json()["error"]["fields"]) == {"commune", "access_code", "year"}
    foreign = client.post(PATH, data={"commune": "muong-ang", "year": str(YEAR), "access_code": code},
                          headers={**JSON, "Origin": "https://evil.example"})
    assert foreign.status_code == 403


def test_the_lookup_is_routed_and_refuses_a_body_larger_than_three_short_fields(client, code):
    from functions.api import all_routes

    assert ("POST", PATH) in {(m, p) for m, p, _ in all_routes()}
    answer = client.post(PATH, data={"commune": "muong-ang", "year": str(YEAR), "access_code": code,
                                     "padding": "x" * 5000}, headers=JSON)
    assert answer.status_code == 413 and "assessment_status" not in answer.get_json()
