"""``bvte assessments review`` and the review columns of ``bvte assessments report``, end to end: a real
office (root and two officers), a self-assessment posted through the HTTP API, reviews signed by the
officer's key file."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from cli_office import Office

from functions.core import audit, review_store
from tests.test_assessments import JSON, form

YEAR = dt.date.today().year
DEADLINE = (dt.date.today() + dt.timedelta(days=30)).isoformat()


@pytest.fixture
def submitted(office, client, code, rubric) -> dict:
    answer = client.post("/api/assessments", data=form(code, rubric), headers=JSON, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["assessment"]


def review(office: Office, officer: str, *args: str, ok: bool = True):
    return office.run("assessments", "review", "muong-ang", "--year", str(YEAR), "--key", str(office.key(officer)),
                      *args, ok=ok)


def test_a_returned_review_is_signed_pinned_audited_and_in_the_report(office, submitted, storage, tmp_path):
    out = review(office, "can-bo-lan", "--outcome", "tra-lai", "--verdict", "3=can-bo-sung",
                 "--comment", "3=Thiếu biên bản họp", "--score", "6=100", "--reason", "6=Chỉ 1 kế hoạch đúng hạn",
                 "--deadline", DEADLINE).output
    assert "Trả lại để bổ sung" in out and "Tiêu chí 3: Cần bổ sung" in out and "Tiêu chí 6: Đạt" not in out
    assert "xã tự chấm 125; lý do: Chỉ 1 kế hoạch đúng hạn" in out
    keys = list(storage.list("assessment-reviews/"))
    assert keys == [f"assessment-reviews/{YEAR}/muong-ang/v0001/r0001.json"]
    document = json.loads(storage.read(keys[0]))
    assert document["author"] == "can-bo-lan" and document["signature"]
    assert document["submission_sha256"] == review_store.submission_digest(storage, YEAR, "muong-ang", 1)
    assert document["verified_total"] == 800 - 25 and document["deadline"] == DEADLINE
    assert audit.entries(storage, "can-bo-lan")[-1]["subject"] == f"muong-ang.{YEAR}.v1"

    csv_path = tmp_path / "bao-cao.csv"
    report = office.run("assessments", "report", "--year", str(YEAR), "--csv", str(csv_path)).output
    assert "Trả lại để bổ sung" in report
    with open(csv_path, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["Trạng thái xem xét"] == "Trả lại để bổ sung" and rows[0]["Tổng điểm xác minh"] == "775"
    assert rows[0]["Kết quả theo điểm xác minh"] == "Chưa đạt" and rows[0]["Hạn nộp bổ sung"] == DEADLINE
    assert rows[0]["Kết quả tự tính"] == "Đạt" and rows[1]["Trạng thái xem xét"] == ""


def test_a_differing_score_without_reason_and_a_blocked_proposal_are_refused_and_nothing_is_stored(
        office, submitted, storage, rubric):
    refused = review(office, "can-bo-lan", "--outcome", "khong-du-dieu-kien", "--score", "6=100", ok=False)
    assert refused.exit_code == 1 and "--reason 6: Điểm xác minh (100) khác điểm xã tự chấm (125)" in refused.output
    all_dat = [arg for c in rubric.criteria for arg in ("--verdict", f"{c.number}=dat")]
    blocked = review(office, "can-bo-lan", "--outcome", "de-nghi-cong-nhan", *all_dat, "--score", "7=0",
                     "--reason", "7=Không có số liệu tiêm chủng", ok=False)
    assert "Chưa thể đề nghị công nhận" in blocked.output and "Tiêu chí 7" in blocked.output
    bad = review(office, "can-bo-lan", "--outcome", "tra-lai", "--verdict", "14=dat", ok=False)
    assert "N là số tiêu chí 1–13" in bad.output
    assert list(storage.list("assessment-reviews/")) == []
    proposed = review(office, "can-bo-lan", "--outcome", "de-nghi-cong-nhan", *all_dat).output
    assert "Đề nghị công nhận" in proposed and "Theo điểm xác minh: Đạt" in proposed


def test_only_an_officer_of_the_commune_may_review(office, submitted, storage):
    refused = review(office, "can-bo-minh", "--outcome", "khong-du-dieu-kien", ok=False)
    assert "không phụ trách xã này" in refused.output
    assert list(storage.list("assessment-reviews/")) == []


def test_a_commune_that_has_not_submitted_says_so(office):
    refused = review(office, "can-bo-lan", "--outcome", "khong-du-dieu-kien", ok=False)
    assert "chưa nộp bản tự đánh giá" in refused.output
