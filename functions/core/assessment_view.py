"""HTML of the self-assessment: the form (build time and server re-render) and the receipt.

One Jinja environment over ``functions/templates`` with autoescape on; the build hook and the
server both call ``render_form`` so a page shown again after an error is the same form, with what
was typed and a message next to each field. The form carries the rubric's rules as JSON
(``rubric.browser_rules``) for assessment.js, which reads them instead of the page's text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Mapping

import jinja2
from babel.numbers import format_decimal

from . import filetypes
from .rubric import Rubric, browser_rules

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ACCEPT = ".pdf,.jpg,.jpeg,.png,.xlsx,.docx,application/pdf,image/jpeg,image/png"
PAGE_PATH = "tu-danh-gia/"
ACTION = "/api/assessments"

_env: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    global _env
    if _env is None:
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False,
        )
    return _env


def commune_options(places, rubric: Rubric) -> list[dict[str, Any]]:
    options = []
    for c in places.communes:
        try:
            threshold = rubric.threshold_for(c.threshold_band).points
        except KeyError:
            threshold = ""
        former = ", ".join(f.label for f in c.former)
        options.append({"id": c.id, "label": c.label, "former": former, "threshold": threshold,
                        "inferred": c.threshold_band_confidence != "confirmed"})
    return options


def field_labels(rubric: Rubric) -> dict[str, str]:
    labels = {"commune": "Xã", "year": "Năm đánh giá", "access_code": "Mã truy cập",
              "template": "Bảng tính", "evidence": "Hồ sơ chung", "submission_id": "Lần gửi",
              "rubric": "Bộ tiêu chí"}
    for c in rubric.criteria:
        labels[c.field] = f"Điểm tiêu chí {c.number}"
        labels[c.evidence_field] = f"Minh chứng tiêu chí {c.number}"
    return labels


def render_form(rubric: Rubric, places, *, base: str, values: Mapping[str, str] | None = None,
                errors: Mapping[str, str] | None = None, message: str = "", had_files: bool = False,
                max_file_bytes: int = 20 * 1024 * 1024, max_total_bytes: int = 100 * 1024 * 1024,
                today: dt.date | None = None, upload_ahead_bytes: int = 4 * 1024 * 1024) -> str:
    from .assessment_template import FILENAME

    return environment().get_template("assessments/form.html").render(
        rubric=rubric, communes=commune_options(places, rubric), base=base, action=ACTION,
        values=dict(values or {}), errors=dict(errors or {}), message=message, had_files=had_files,
        labels=field_labels(rubric), accept=ACCEPT,
        template_url=f"{base}{PAGE_PATH}{FILENAME}",
        max_file_bytes=max_file_bytes, max_total_bytes=max_total_bytes,
        max_file_mb=max_file_bytes // (1024 * 1024), max_total_mb=max_total_bytes // (1024 * 1024),
        example_year=(today or dt.date.today()).year,
        upload_ahead_bytes=upload_ahead_bytes,
        rules=browser_rules(rubric, {c.id: c.threshold_band for c in places.communes}),
    )


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{format_decimal(round(size / 1024, 1), locale='vi')} KB"
    return f"{format_decimal(round(size / (1024 * 1024), 1), locale='vi')} MB"


def render_receipt(record: Mapping[str, Any], rubric: Rubric, commune) -> str:
    criteria = {c.id: c for c in rubric.criteria}
    rows = []
    for cid, value in record["scores"].items():
        c = criteria.get(cid)
        rows.append({"number": c.number if c else "", "wording": c.wording if c else cid,
                     "score": value, "max": c.max_points if c else None})
    rows.sort(key=lambda r: r["number"] if isinstance(r["number"], int) else 999)
    files = []
    for f in record.get("evidence", []):
        crit = criteria.get(f.get("criterion") or "")
        files.append({**f, "size_label": size_label(f["size"]),
                      "kind_label": filetypes.LABELS.get(f["kind"], f["kind"]),
                      "for_label": (f"Tiêu chí {crit.number}" if crit else
                                    "Bảng tính tự đánh giá" if f.get("role") == "template" else "Hồ sơ chung")})
    submitted = record.get("submitted_at", "")
    try:
        when = dt.datetime.fromisoformat(submitted).astimezone(dt.timezone(dt.timedelta(hours=7)))
        submitted = when.strftime("%H:%M ngày %d/%m/%Y (giờ Việt Nam)")
    except ValueError:
        pass
    return environment().get_template("assessments/receipt.html").render(
        record=record, score_rows=rows, files=files, submitted_at=submitted,
        commune_label=commune.label if commune else record.get("commune", ""),
        band_inferred=bool(commune and commune.threshold_band_confidence != "confirmed"),
        duplicate=bool(record.get("duplicate")),
    )
