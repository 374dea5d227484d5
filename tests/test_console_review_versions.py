"""The console's review screen of a resubmission: per criterion, what changed since the previous version
(score, files added or dropped, files kept by reference) and what the office said of it last time."""

from __future__ import annotations

import hashlib
import io

from tests.test_assessments import PDF, PNG
from tests.test_console_review import DEADLINE, YEAR, review_form, screen, submit, submitted  # noqa: F401


def test_the_resubmission_screen_shows_score_file_changes_and_the_previous_comment(console, submitted, client,
                                                                                    code, rubric):
    values = review_form(console, rubric, submitted, outcome="tra-lai", deadline=DEADLINE,
                         verdict_tc03="can-bo-sung", comment_tc03="Thiếu biên bản họp <ban>")
    assert console.post(f"/danh-gia/muong-ang/{YEAR}", values).status_code == 303
    kept = [hashlib.sha256(PDF).hexdigest(), hashlib.sha256(PNG).hexdigest()]  # bien-ban.pdf (tc03), anh.png
    submit(client, code, rubric, score_tc01="95", keep_evidence=kept,
           evidence_tc03=(io.BytesIO(PDF + b"% ky\n"), "bien-ban-co-chu-ky.pdf"))
    page = screen(console)
    assert "Lần gửi</dt><dd>2" in page and "Lần trước: 100 điểm" in page
    assert "So với lần trước: thêm bien-ban-co-chu-ky.pdf." in page       # criterion 3: one added, one kept
    assert "So với lần trước: bỏ so-lieu.xlsx." in page                    # criterion 6: not kept
    assert "So với lần trước: bỏ bao-cao.docx." in page                    # criterion 1
    assert "Lần trước văn phòng đánh giá: Cần bổ sung — “Thiếu biên bản họp &lt;ban&gt;”" in page
    assert page.count("So với lần trước:") == 3  # the general dossier (anh.png kept) is unchanged
