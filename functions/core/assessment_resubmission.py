"""Resubmitting a self-assessment as a new version, starting from the previous one.

After a status lookup with its access code, a commune gets its latest version's answers back: the
typed scores pre-filled in the web form and in the XLSX template, and its evidence files offered to
keep. Kept files travel **by reference** (their SHA-256, checked here against the files of that
commune's own versions of that year), not sent again: evidence is stored once under its hash and never
changes, a commune on a slow connection should not re-upload 50 MB to fix one score, and a reference
can only name a file that commune already sent (a hash from elsewhere is refused, so nothing of
another commune's dossier can be attached). The browser never holds the file again, so keeping a file
costs nothing on either side. The spreadsheet of a previous version is never kept: the new answers are
in the new form or sheet.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from . import assessments
from .rubric import Rubric

KEEP_FIELD = "keep_evidence"
KEEP_LABEL = "Tệp đã gửi lần trước"
_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_KEPT = 200  # far above any real dossier; bounds the work a forged form can ask for


def previous_values(record: Mapping[str, Any], rubric: Rubric) -> dict[str, str]:
    """The web form's values from a stored version: commune, year and each score of the rubric in force
    (a criterion the old version's rubric lacked stays empty)."""
    values = {"commune": str(record.get("commune", "")), "year": str(record.get("year", ""))}
    scores = record.get("scores", {})
    for c in rubric.criteria:
        if c.id in scores:
            values[c.field] = str(scores[c.id])
    return values


def keepable_files(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The evidence of a version that a resubmission may keep (every file but the spreadsheet), once each."""
    seen, files = set(), []
    for f in record.get("evidence", []):
        key = (f.get("sha256"), f.get("criterion"))
        if f.get("role") == "template" or key in seen:
            continue
        seen.add(key)
        files.append(dict(f))
    return files


class KeepRejected(ValueError):
    """A kept-file reference that is not a file of this commune's versions of the year (Vietnamese)."""


def kept_evidence(storage, year: int, commune_id: str, requested: Iterable[str]) -> list[dict[str, Any]]:
    """The evidence records the new version keeps: each requested SHA-256 must name a file of one of the
    commune's versions of ``year``; raises ``KeepRejected`` otherwise. Records are copied as stored."""
    wanted = [str(s).strip().lower() for s in requested if str(s).strip()]
    if not wanted:
        return []
    if len(wanted) > MAX_KEPT or not all(_SHA256.fullmatch(s) for s in wanted):
        raise KeepRejected("Danh sách tệp giữ lại không hợp lệ: hãy tra cứu lại kết quả rồi gửi lại.")
    known: dict[str, list[dict[str, Any]]] = {}
    for version, _key in assessments.versions(storage, year, commune_id):
        for f in keepable_files(assessments.read_submission(storage, year, commune_id, version)):
            known.setdefault(f["sha256"], [])
            if all(g.get("criterion") != f.get("criterion") for g in known[f["sha256"]]):
                known[f["sha256"]].append(f)
    missing = [s for s in wanted if s not in known]
    if missing:
        raise KeepRejected(f"{len(missing)} tệp giữ lại không thuộc các bản xã đã gửi năm {year}: "
                           "hãy tra cứu lại kết quả rồi gửi lại.")
    kept: list[dict[str, Any]] = []
    for sha in dict.fromkeys(wanted):
        kept.extend(known[sha])
    return kept


def render_kept(files: list[Mapping[str, Any]], rubric: Rubric, *, checked: Iterable[str] | None = None,
                form_id: str = "tu-danh-gia") -> str:
    """HTML of the keep-these-files choice for the form ``form_id`` (all ticked unless ``checked`` says)."""
    from .assessment_view import environment, size_label

    numbers = {c.id: c.number for c in rubric.criteria}
    shown = [{**f, "size_label": size_label(int(f.get("size", 0))),
              "for_label": (f"Tiêu chí {numbers[f['criterion']]}" if f.get("criterion") in numbers
                            else "Hồ sơ chung")} for f in files]
    return environment().get_template("assessments/kept_files.html").render(
        files=shown, checked=None if checked is None else set(checked), form_id=form_id, field=KEEP_FIELD,
        legend=KEEP_LABEL + " (giữ lại, không cần gửi lại)", again=[])


def render_kept_again(requested: Iterable[str], *, form_id: str = "tu-danh-gia") -> str:
    """HTML keeping the same files when the form comes back after an error: the well-formed hashes sent,
    as hidden fields — nothing is read from storage, so a wrong access code learns nothing."""
    from .assessment_view import environment

    again = [s for s in dict.fromkeys(str(r).strip().lower() for r in requested) if _SHA256.fullmatch(s)][:MAX_KEPT]
    if not again:
        return ""
    return environment().get_template("assessments/kept_files.html").render(
        files=[], checked=None, form_id=form_id, field=KEEP_FIELD, legend="", again=again)
