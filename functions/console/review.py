"""Reviewing the communes' self-assessments: the list of latest submissions by year, the review screen of one
commune's latest version (verdict, verified score, reason and comment per criterion; the outcome beside the
rubric's verdict on the verified scores), and each evidence file opened from memory.

The rules are ``functions.core.assessment_review`` (checking, the computed verdict) and
``functions.core.review_store`` (signed records pinned to the version read). An officer sees and reviews
only the communes the keyring gives them (the root: all). Evidence: PDF and images are served to the
browser inline under a ``sandbox`` CSP; XLSX and DOCX are read here and shown as a table or text.
"""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, abort, redirect, render_template, request, send_file

from ..core import assessments, case_register, evidence_preview, evidence_seal, filetypes, review_store
from ..core.assessment_review import (NOT_REVIEWED, OUTCOMES, STATUSES, VERDICTS, ReviewRejected, decide,
                                      differences, field_names, file_differences, preview)
from ..core.assessment_view import size_label
from ..core.rubric import find_rubric, load_rubrics, rubrics_dir
from ..core.store import NotFound
from .casefile import references
from .office import ConsoleError, actor, audit, now, session, unlocked_only

blueprint = Blueprint("review", __name__)
INLINE_KINDS = {"pdf", "jpeg", "png"}
SANDBOX = "sandbox"


@blueprint.record_once
def _sandbox_last(state) -> None:
    """Evidence files get ``sandbox`` added to the guard's CSP. After-request functions run in reverse order of
    registration and the guard sets the CSP header itself, so this one is put first to run after it."""
    state.app.after_request_funcs.setdefault(None, []).insert(0, _sandbox_evidence)


def _sandbox_evidence(response):
    if request.endpoint == "review.evidence_bytes":
        policy = response.headers.get("Content-Security-Policy", "")
        response.headers["Content-Security-Policy"] = f"{policy}; {SANDBOX}" if policy else SANDBOX
    return response


# -- what every view needs ----------------------------------------------------------------------------

def _vietnam_today() -> dt.date:
    return (now() + dt.timedelta(hours=7)).date()


def _places():
    places = references().places
    if places is None:
        raise ConsoleError("Không đọc được danh sách xã (content/data/places.yml).")
    return places


def _covered(commune_id: str) -> bool:
    who = actor()
    if who.officer_id is None:
        return True
    officer = session().keyring.officer(who.officer_id)
    return officer is not None and officer.covers(commune_id)


def _commune_or_404(commune_id: str):
    place = _places().get(commune_id)
    if place is None or not _covered(commune_id):
        abort(404, "Không có xã này trong các xã bạn phụ trách.")
    return place


def _verifier():
    office = session()
    return review_store.verifier(office.root, office.versions)


def _rubric_of(record: dict):
    found = find_rubric(load_rubrics(rubrics_dir(session().config.content_dir)), record.get("rubric", {}).get("id", ""))
    if found is None:
        raise ConsoleError("Không tìm thấy bộ tiêu chí mà bản tự đánh giá này đã dùng.")
    return found


def _latest_or_404(commune_id: str, year: int) -> dict:
    record = assessments.latest(session().storage, year, commune_id)
    if record is None:
        abort(404, "Xã này chưa nộp bản tự đánh giá năm này.")
    return record


# -- the list -------------------------------------------------------------------------------------------

@blueprint.get("/danh-gia/")
@unlocked_only
def review_list():
    year = request.args.get("nam", type=int) or _vietnam_today().year
    verify, storage = _verifier(), session().storage
    rows = []
    for place in _places().communes:
        if not _covered(place.id):
            continue
        found = review_store.standing(storage, year, place.id, verify)
        record, review = found.submission, found.review
        rows.append({"place": place, "record": record,
                     "status": STATUSES[found.status] if record else "Chưa nộp",
                     "verified_total": review.document.get("verified_total") if review else None})
    return render_template("console/review_list.html", rows=rows, year=year,
                           years=range(_vietnam_today().year + 1, _vietnam_today().year - 5, -1))


# -- the review screen ------------------------------------------------------------------------------------

def _values_from(review) -> dict[str, str]:
    """The form values of a stored review (so the screen opens on what was decided last)."""
    if review is None:
        return {}
    doc = review.document
    values = {"outcome": doc.get("outcome") or "", "deadline": doc.get("deadline") or ""}
    for c in doc.get("criteria", []):
        names = field_names(c["criterion"])
        values.update({names["verdict"]: c.get("verdict", ""), names["reason"]: c.get("reason", ""),
                       names["comment"]: c.get("comment", "")})
        if c.get("verified") != c.get("claimed"):
            values[names["score"]] = str(c.get("verified"))
    return values


def _files(record: dict) -> dict[str | None, list[dict]]:
    """The submission's files by criterion id (None: the general dossier and the spreadsheet)."""
    by_criterion: dict[str | None, list[dict]] = {}
    for f in record.get("evidence", []):
        by_criterion.setdefault(f.get("criterion"), []).append(
            {**f, "size_label": size_label(f["size"]), "kind_label": filetypes.LABELS.get(f["kind"], f["kind"])})
    return by_criterion


def _criterion_rows(rubric, record: dict, previous: dict | None, files, earlier: dict) -> list[dict]:
    """One row per criterion: the claim, what changed since the previous version (score, files) and what
    the previous version's review said of it (``earlier``: criterion id → its reviewed criterion)."""
    changed = differences(rubric, record, previous)
    changed_files = file_differences(record, previous)
    return [{"criterion": c, "names": field_names(c.id), "claimed": record["scores"][c.id],
             "previous": changed.get(c.id), "files": files.get(c.id, []), "file_changes": changed_files.get(c.id),
             "earlier": earlier.get(c.id)} for c in rubric.criteria]


def _earlier_review(storage, year: int, commune_id: str, version: int) -> dict:
    """What the latest verified review of the previous version said per criterion (verdict label, comment)."""
    if version <= 1:
        return {}
    review = review_store.latest_verified(storage, year, commune_id, version - 1, _verifier())
    if review is None:
        return {}
    return {c["criterion"]: {"verdict": VERDICTS.get(c.get("verdict", ""), NOT_REVIEWED), "comment": c.get("comment", "")}
            for c in review.document.get("criteria", []) if c.get("verdict") or c.get("comment")}


def _criterion6_check(place, year: int) -> str:
    """The office's own criterion-6 figure for this commune and year, counted from the cases this key opens
    (``case_register``), shown beside the commune's claimed score: a check, never copied into its answer."""
    from .casefile import readable_cases

    refs = references()
    files = [f for f in readable_cases(session(), actor(), refs, now())
             if str(f.case.fields.get("commune", "")) == place.id]
    rows = case_register.register_rows(files, year, case_register.legal_clocks(refs.clocks), refs.categories,
                                       {place.id: place.label})
    return case_register.criterion_figure(rows, year).text


def _screen(place, year: int, *, values=None, errors=None, message="", status=200, saved=False):
    office = session()
    record = _latest_or_404(place.id, year)
    version = record["version"]
    rubric = _rubric_of(record)
    reviews = review_store.read_reviews(office.storage, year, place.id, version, _verifier())
    latest = next((r for r in reversed(reviews) if r.verified), None)
    previous = assessments.read_submission(office.storage, year, place.id, version - 1) if version > 1 else None
    values = _values_from(latest) if values is None else values
    files = _files(record)
    return render_template(
        "console/review.html", place=place, year=year, record=record, rubric=rubric,
        sha=review_store.submission_digest(office.storage, year, place.id, version),
        rows=_criterion_rows(rubric, record, previous, files, _earlier_review(office.storage, year, place.id, version)),
        general_files=files.get(None, []), general_changes=file_differences(record, previous).get(None),
        values=values, errors=errors or {}, message=message, saved=saved, reviews=reviews,
        computed=preview(rubric, record, values), verdicts=VERDICTS, not_reviewed=NOT_REVIEWED, outcomes=OUTCOMES,
        status=STATUSES[review_store.standing(office.storage, year, place.id, _verifier()).status],
        criterion6=_criterion6_check(place, year), criterion6_reading=case_register.READING, today=_vietnam_today()), status


@blueprint.get("/danh-gia/<commune>/<int:year>")
@unlocked_only
def review_screen(commune: str, year: int):
    place = _commune_or_404(commune)
    record = _latest_or_404(place.id, year)
    audit("open_assessment", f"{place.id}.{year}.v{record['version']}")
    return _screen(place, year, saved=request.args.get("da-luu") == "1")


@blueprint.post("/danh-gia/<commune>/<int:year>")
@unlocked_only
def save_review(commune: str, year: int):
    place = _commune_or_404(commune)
    values = {k: v for k, v in request.form.items() if k != "csrf"}
    record = _latest_or_404(place.id, year)
    if str(record["version"]) != values.get("version") or request.form.get("action") == "tinh-lai":
        stale = str(record["version"]) != values.get("version")
        message = (f"Xã đã gửi bản mới (lần {record['version']}) trong lúc bạn xem xét: đây là bản mới nhất, "
                   "hãy xem lại." if stale else "")
        return _screen(place, year, values=values, message=message, status=409 if stale else 200)
    rubric = _rubric_of(record)
    try:
        decision = decide(rubric, record, values, today=_vietnam_today())
        who = actor()
        review_store.write_review(session().storage, commune_id=place.id, year=year, version=record["version"],
                                  submission_sha256=values.get("sha", ""), decision=decision, author=who.author,
                                  identity=who.identity)
    except ReviewRejected as exc:
        return _screen(place, year, values=values, errors=exc.fields,
                       message="Chưa lưu: một vài ô cần sửa (xem thông báo cạnh từng ô).", status=400)
    except review_store.ReviewStale as exc:
        return _screen(place, year, values=values, message=str(exc), status=409)
    audit("write_review", f"{place.id}.{year}.v{record['version']}")
    return redirect(f"/danh-gia/{place.id}/{year}?da-luu=1", code=303)


# -- evidence ----------------------------------------------------------------------------------------------

def _evidence_or_404(place, year: int, sha: str) -> tuple[dict, bytes]:
    """A file of this commune's latest submission, read whole into memory (never written to disk)."""
    record = _latest_or_404(place.id, year)
    found = next((f for f in record.get("evidence", []) if f.get("sha256") == sha), None)
    if found is None:
        abort(404, "Không có tệp này trong bản tự đánh giá.")
    officer = actor()
    try:
        data = b"".join(assessments.open_evidence(session().storage, sha, place.id,
                                                  evidence_seal.holder_name(officer.officer_id),
                                                  officer.identity.box_key))
    except evidence_seal.EvidenceSealError as exc:
        abort(403, str(exc))
    except (NotFound, ValueError):
        abort(404, "Tệp minh chứng không đọc được (thiếu phần hoặc sai mã kiểm tra).")
    problem = evidence_preview.kind_problem(data, found.get("kind", ""))
    if problem:  # a file sealed in the browser is checked by content only now
        abort(415, problem)
    return found, data


@blueprint.get("/danh-gia/<commune>/<int:year>/tep/<sha>")
@unlocked_only
def evidence_page(commune: str, year: int, sha: str):
    place = _commune_or_404(commune)
    found, data = _evidence_or_404(place, year, sha)
    audit("view_evidence", f"{place.id}.{year}.{sha[:16]}")
    sheets, paragraphs, problem = [], [], ""
    try:
        if found["kind"] == "xlsx":
            sheets = evidence_preview.xlsx_sheets(data)
        elif found["kind"] == "docx":
            paragraphs = evidence_preview.docx_paragraphs(data)
    except evidence_preview.PreviewError as exc:
        problem = str(exc)
    return render_template("console/review_file.html", place=place, year=year, file=found, sheets=sheets,
                           paragraphs=paragraphs, problem=problem, inline=found["kind"] in INLINE_KINDS,
                           kind_label=filetypes.LABELS.get(found["kind"], found["kind"]),
                           size=size_label(found["size"]))


@blueprint.get("/danh-gia/<commune>/<int:year>/tep/<sha>/noi-dung")
@unlocked_only
def evidence_bytes(commune: str, year: int, sha: str):
    place = _commune_or_404(commune)
    found, data = _evidence_or_404(place, year, sha)
    if found["kind"] not in INLINE_KINDS:
        abort(404, "Tệp này được hiển thị dưới dạng bảng hoặc văn bản, không mở trực tiếp.")
    return send_file(io.BytesIO(data), mimetype=filetypes.MEDIA_TYPES[found["kind"]], as_attachment=False,
                     download_name=f"minh-chung.{found['kind']}", max_age=0)
