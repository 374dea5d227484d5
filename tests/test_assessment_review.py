"""The review model (functions/core/assessment_review.py) and its signed, version-pinned records
(functions/core/review_store.py): the rubric's verdict on verified scores, the fields a reviewer must
fill, and reviews that no resubmission can change or re-attach."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from functions.core import assessments, review_store
from functions.core.assessment_review import ReviewRejected, decide, differences, preview, status_key
from functions.core.office_keys import Identity, Keyring, Officer
from functions.storage.local import LocalStorage

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)


def scores_totalling(rubric, total: int, zero: str | None = None) -> dict[str, int]:
    """Scores within known maxima adding up to ``total`` (one criterion 0 when ``zero`` names it)."""
    scores = {c.id: (c.max_points or 0) for c in rubric.criteria}
    open_ = [c.id for c in rubric.criteria if c.max_points is None and c.id != zero]
    if zero:
        scores[zero] = 0
    rest = total - sum(scores.values())
    for i, cid in enumerate(open_):
        scores[cid] = rest // len(open_) + (1 if i < rest % len(open_) else 0)
    assert sum(scores.values()) == total
    return scores


def submission(rubric, scores, band="mountainous", commune="muong-ang", version=1) -> dict:
    return {"commune": commune, "year": 2026, "version": version, "threshold_band": band,
            "scores": dict(scores), "rubric": {"id": rubric.id}}


def all_dat(rubric) -> dict[str, str]:
    return {f"verdict_{c.id}": "dat" for c in rubric.criteria}


def open_criterion(rubric):
    return next(c for c in rubric.criteria if c.max_points is None)


# -- the computed verdict --------------------------------------------------------------------------

def test_a_criterion_verified_at_zero_blocks_recognition_whatever_the_total(rubric):
    high = open_criterion(rubric)
    scores = scores_totalling(rubric, 1000)
    record = submission(rubric, scores)
    values = {**all_dat(rubric), f"verified_{high.id}": "0", f"reason_{high.id}": "Không có minh chứng",
              "outcome": "de-nghi-cong-nhan"}
    with pytest.raises(ReviewRejected) as refused:
        decide(rubric, record, values, today=TODAY)
    assert f"Tiêu chí {high.number}" in refused.value.fields["outcome"]
    assert "0 điểm" in refused.value.fields["outcome"]
    result = preview(rubric, record, values)
    assert result.total >= result.threshold and not result.passed and result.zero_criteria == (high.number,)


def test_the_threshold_follows_the_communes_band(rubric):
    scores = scores_totalling(rubric, 820)
    proposed = {**all_dat(rubric), "outcome": "de-nghi-cong-nhan"}
    mountain = decide(rubric, submission(rubric, scores, band="mountainous"), proposed, today=TODAY)
    assert mountain.computed.passed and mountain.computed.threshold == 800
    with pytest.raises(ReviewRejected) as refused:
        decide(rubric, submission(rubric, scores, band="other"), proposed, today=TODAY)
    assert "ngưỡng 850" in refused.value.fields["outcome"]
    assert preview(rubric, submission(rubric, scores, band="urban_ward"), {}).threshold == 900


def test_recognition_needs_every_criterion_judged_dat(rubric):
    first = rubric.criteria[0]
    values = {**all_dat(rubric), f"verdict_{first.id}": "can-bo-sung", "outcome": "de-nghi-cong-nhan"}
    with pytest.raises(ReviewRejected) as refused:
        decide(rubric, submission(rubric, scores_totalling(rubric, 900)), values, today=TODAY)
    assert "Tiêu chí 1 chưa được đánh giá Đạt (Cần bổ sung)" in refused.value.fields["outcome"]


def test_a_verified_score_that_differs_needs_a_reason(rubric):
    c = open_criterion(rubric)
    record = submission(rubric, scores_totalling(rubric, 900))
    typed = str(record["scores"][c.id] - 10)
    with pytest.raises(ReviewRejected) as refused:
        decide(rubric, record, {f"verified_{c.id}": typed}, today=TODAY)
    assert refused.value.fields == {f"reason_{c.id}": f"Điểm xác minh ({typed}) khác điểm xã tự chấm "
                                                     f"({record['scores'][c.id]}): cần ghi lý do."}
    same = decide(rubric, record, {f"verified_{c.id}": str(record["scores"][c.id])}, today=TODAY)
    assert same.criteria[c.number - 1].verified == record["scores"][c.id]
    kept = decide(rubric, record, {f"verified_{c.id}": typed, f"reason_{c.id}": "Biên bản thiếu"}, today=TODAY)
    assert kept.computed.total == 890 and kept.criteria[c.number - 1].reason == "Biên bản thiếu"


def test_verified_scores_are_checked_like_the_communes(rubric):
    tc6 = rubric.criterion("tc06")
    values = {"verified_tc06": str(tc6.max_points + 1), "reason_tc06": "x", "verdict_tc01": "tot"}
    with pytest.raises(ReviewRejected) as refused:
        decide(rubric, submission(rubric, scores_totalling(rubric, 900)), values, today=TODAY)
    assert refused.value.fields["verified_tc06"] == f"Vượt điểm tối đa của tiêu chí này ({tc6.max_points} điểm)."
    assert refused.value.fields["verdict_tc01"] == "Chọn Đạt, Cần bổ sung hoặc Không đạt."


def test_returning_needs_a_deadline_after_today_and_other_outcomes_refuse_one(rubric):
    record = submission(rubric, scores_totalling(rubric, 900))
    for deadline, message in (("", "cần hạn nộp lại"), ("15/12/2026", "Ngày không hợp lệ"),
                              (TODAY.isoformat(), "phải sau hôm nay")):
        with pytest.raises(ReviewRejected) as refused:
            decide(rubric, record, {"outcome": "tra-lai", "deadline": deadline}, today=TODAY)
        assert message in refused.value.fields["deadline"]
    returned = decide(rubric, record, {"outcome": "tra-lai", "deadline": "2026-12-15"}, today=TODAY)
    assert returned.deadline == dt.date(2026, 12, 15) and returned.outcome_label == "Trả lại để bổ sung"
    with pytest.raises(ReviewRejected) as refused:
        decide(rubric, record, {"outcome": "khong-du-dieu-kien", "deadline": "2026-12-15"}, today=TODAY)
    assert "chỉ dùng khi trả lại" in refused.value.fields["deadline"]
    with pytest.raises(ReviewRejected) as refused:
        decide(rubric, record, {"outcome": "cong-nhan"}, today=TODAY)
    assert "outcome" in refused.value.fields


def test_a_review_without_outcome_is_under_way_and_statuses_follow_the_outcome(rubric):
    under_way = decide(rubric, submission(rubric, scores_totalling(rubric, 900)), {}, today=TODAY)
    assert under_way.outcome == "" and under_way.outcome_label == "Đang xem xét"
    assert all(c.verdict_label == "Chưa xét" for c in under_way.criteria)
    assert status_key(None) == "da-nhan"
    assert status_key(under_way.as_dict()) == "dang-xem-xet"
    assert status_key({"outcome": "tra-lai"}) == "tra-lai"


def test_differences_name_each_criterion_whose_score_changed(rubric):
    before = scores_totalling(rubric, 800)
    after = {**before, "tc01": before["tc01"] - 5, "tc02": before["tc02"] + 5}
    assert differences(rubric, submission(rubric, after), submission(rubric, before)) == \
        {"tc01": before["tc01"], "tc02": before["tc02"]}
    assert differences(rubric, submission(rubric, after), None) == {}


# -- signed, pinned records --------------------------------------------------------------------------

@pytest.fixture
def office():
    root, officer, stranger = Identity.generate(), Identity.generate(), Identity.generate()
    keyrings = [Keyring(1, "2020-01-01T00:00:00+00:00", (
        Officer("can-bo-lan", "Lan", ("muong-ang",), officer.verify_key),
        Officer("can-bo-xa-khac", "Khác", ("bung-lao",), stranger.verify_key)))]
    return root, officer, stranger, review_store.verifier(root.verify_key, keyrings)


def commit(storage, rubric, total=900, commune="muong-ang") -> dict:
    record = submission(rubric, scores_totalling(rubric, total), commune=commune)
    record.pop("version")
    return assessments.commit_submission(storage, record, now=NOW)


def write(storage, rubric, identity, author, record, values, commune="muong-ang"):
    decision = decide(rubric, record, values, today=TODAY)
    sha = review_store.submission_digest(storage, 2026, commune, record["version"])
    return review_store.write_review(storage, commune_id=commune, year=2026, version=record["version"],
                                     submission_sha256=sha, decision=decision, author=author, identity=identity,
                                     now=NOW)


def test_a_review_is_signed_pinned_and_only_an_allowed_signer_counts(tmp_path, rubric, office):
    root, officer, stranger, verify = office
    storage = LocalStorage(tmp_path)
    record = commit(storage, rubric)
    stored = write(storage, rubric, officer, "can-bo-lan", record, {"outcome": "tra-lai", "deadline": "2026-12-15"})
    assert stored.key == "assessment-reviews/2026/muong-ang/v0001/r0001.json"
    assert stored.document["submission_sha256"] == review_store.submission_digest(storage, 2026, "muong-ang", 1)
    write(storage, rubric, stranger, "can-bo-xa-khac", record, {})  # signs, but does not cover muong-ang
    write(storage, rubric, root, "root", record, {"outcome": "khong-du-dieu-kien"})
    reviews = review_store.read_reviews(storage, 2026, "muong-ang", 1, verify)
    assert [(r.number, r.verified) for r in reviews] == [(1, True), (2, False), (3, True)]
    assert review_store.standing(storage, 2026, "muong-ang", verify).status == "khong-du-dieu-kien"
    assert review_store.standing(storage, 2026, "muong-ang", None).status == "da-nhan"


def test_a_tampered_review_does_not_count(tmp_path, rubric, office):
    _, officer, _, verify = office
    storage = LocalStorage(tmp_path)
    record = commit(storage, rubric)
    stored = write(storage, rubric, officer, "can-bo-lan", record, {"outcome": "tra-lai", "deadline": "2026-12-15"})
    forged = {**stored.document, "outcome": "de-nghi-cong-nhan", "number": 2}
    storage.create("assessment-reviews/2026/muong-ang/v0001/r0002.json", json.dumps(forged).encode())
    moved = {**stored.document, "version": 2}  # a genuine signature copied under another version
    commit(storage, rubric, total=901)
    storage.create("assessment-reviews/2026/muong-ang/v0002/r0001.json", json.dumps(moved).encode())
    assert [r.verified for r in review_store.read_reviews(storage, 2026, "muong-ang", 1, verify)] == [True, False]
    assert review_store.read_reviews(storage, 2026, "muong-ang", 2, verify)[0].verified is False
    assert review_store.standing(storage, 2026, "muong-ang", verify).status == "da-nhan"


def test_a_resubmission_never_changes_an_earlier_review(tmp_path, rubric, office):
    _, officer, _, verify = office
    storage = LocalStorage(tmp_path)
    first = commit(storage, rubric)
    write(storage, rubric, officer, "can-bo-lan", first, {"outcome": "tra-lai", "deadline": "2026-12-15"})
    before = storage.read("assessment-reviews/2026/muong-ang/v0001/r0001.json")
    commit(storage, rubric, total=950)
    assert storage.read("assessment-reviews/2026/muong-ang/v0001/r0001.json") == before
    assert review_store.latest_verified(storage, 2026, "muong-ang", 1, verify).outcome == "tra-lai"
    now = review_store.standing(storage, 2026, "muong-ang", verify)
    assert now.submission["version"] == 2 and now.review is None and now.status == "da-nhan"
    with pytest.raises(review_store.ReviewStale) as stale:  # the reviewer still had version 1 open
        write(storage, rubric, officer, "can-bo-lan", first, {})
    assert "lần 2" in str(stale.value)


def test_concurrent_reviews_and_resubmissions_never_attach_a_review_to_the_wrong_version(tmp_path, rubric, office):
    _, officer, _, verify = office
    storage = LocalStorage(tmp_path)
    commit(storage, rubric)
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def resubmit(total):
        start.wait()
        commit(storage, rubric, total=total)

    def review():
        start.wait()
        for _ in range(3):
            record = assessments.latest(storage, 2026, "muong-ang")
            try:
                write(storage, rubric, officer, "can-bo-lan", record, {})
                outcomes.append("written")
            except review_store.ReviewStale:
                outcomes.append("stale")

    threads = [threading.Thread(target=resubmit, args=(900 + i,)) for i in range(4)]
    threads += [threading.Thread(target=review) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 12
    for version, _key in assessments.versions(storage, 2026, "muong-ang"):
        digest = review_store.submission_digest(storage, 2026, "muong-ang", version)
        reviews = review_store.read_reviews(storage, 2026, "muong-ang", version, verify)
        assert all(r.verified and r.document["version"] == version and r.document["submission_sha256"] == digest
                   for r in reviews)
        numbers = [r.number for r in reviews]
        assert numbers == list(range(1, len(numbers) + 1))  # racing reviewers took distinct numbers
        verified_totals = {r.document["verified_total"] for r in reviews}
        submitted = assessments.read_submission(storage, 2026, "muong-ang", version)
        assert verified_totals <= {sum(submitted["scores"].values())}
