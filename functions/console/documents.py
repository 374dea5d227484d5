"""Print and register: a case's saved form as an A4 document in the layout of Nghị định 30/2020/NĐ-CP,
and the year's case register with its XLSX download and the criterion-6 figure.

- ``/ho-so/<number>/in/<form id>``: the form's saved answers under the commune People's Committee's
  header (``content/data/offices.yml``, the same ``parent body``/``issuer header``/``place`` parts the
  site's directive pages print), ready to sign and stamp. The document number and date are what the
  officer types on the page (``so``, ``ngay``), never made up. Printing is audited (subject: the case number).
- ``/so-theo-doi?nam=2026``: one row per case this key opens (``functions.core.case_register``); the
  download ``/so-theo-doi/tai-xuong?nam=2026`` is audited as an export.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml
from flask import Blueprint, Response, current_app, render_template, request

from ..core import case_register, cases
from ..core.clocks import UNIT_LABELS
from ..core.forms import Form
from ..core.rubric import RubricError, load_rubrics, rubric_in_force, rubrics_dir
from ..core.workdays import VIETNAM
from ..core.yaml_data import load_yaml

from .casefile import CaseFile, read_case, readable_cases, references
from .office import actor, audit, handled, refused, session, unlocked_only

blueprint = Blueprint("documents", __name__)

CASE_NUMBER = re.compile(r"([0-9]{4})-([0-9]{1,6})")
NUMBER_MAX = 60
# "print" is audited as such once the audit log knows the action (functions/core/audit.py ACTIONS); until
# then a print is logged as what it also is, an export of case data — never not logged.
PRINT_ACTION = "print"
UNKNOWN_OFFICE = "Chưa có cơ quan của xã này trong content/data/offices.yml."
FIRST_YEAR, LAST_YEAR = 2000, 2100
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- the office's header ---------------------------------------------------------------------------------

def _offices() -> dict[str, dict]:
    """``commune id → office`` from offices.yml (read once per console)."""
    found = current_app.extensions.get("console-offices")
    if found is None:
        path = Path(session().config.content_dir) / "data" / "offices.yml"
        try:
            data = load_yaml(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            data = {}
        entries = data.get("offices") if isinstance(data, dict) else None
        found = {str(o.get("commune")): o for o in entries or [] if isinstance(o, dict) and o.get("name")}
        current_app.extensions["console-offices"] = found
    return found


def issuer_header(name: str) -> list[str]:
    """The issuer block's lines, upper case as NĐ 30 prints them: "ỦY BAN NHÂN DÂN" over "XÃ MƯỜNG ẢNG"."""
    head = "ủy ban nhân dân "
    if name.lower().startswith(head):
        return [name[:len(head) - 1].upper(), name[len(head):].upper()]
    return [name.upper()]


def long_date(day: dt.date) -> str:
    """ "ngày 05 tháng 02 năm 2026": NĐ 30 writes a day below 10 and the months 1 and 2 with a leading 0."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def _header(commune_id: str) -> dict:
    office = _offices().get(commune_id)
    places = references().places
    commune = places.get(commune_id) if places is not None else None
    return {"issuer": issuer_header(str(office["name"])) if office else [], "place": commune.name if commune else ""}


# -- reading a case ---------------------------------------------------------------------------------------

def canonical_number(text: str) -> str | None:
    match = CASE_NUMBER.fullmatch(text.strip())
    return f"{int(match[1])}-{int(match[2]):04d}" if match else None


def _open(number: str, action: str) -> CaseFile:
    """The case for the unlocked key; the access is audited before anything is decrypted."""
    office = session()
    tip_id = cases.find_case(office.storage, number)
    audit(action, number)
    return read_case(office, actor(), tip_id, references())


# -- printing ----------------------------------------------------------------------------------------------

def _typed_number(answers: dict) -> str:
    """The number line: what the officer typed here (``so``), else the number saved with the form."""
    if "so" in request.args:
        return request.args["so"].strip()[:NUMBER_MAX]
    return str(answers.get("so_van_ban") or "").strip()[:NUMBER_MAX]


def _typed_date() -> tuple[str, dt.date | None, str]:
    """(what was typed, the date, an error): today in Việt Nam unless the officer typed another day."""
    raw = request.args.get("ngay", "").strip()
    if not raw:
        today = dt.datetime.now(VIETNAM).date()
        return today.isoformat(), today, ""
    try:
        return raw, dt.date.fromisoformat(raw), ""
    except ValueError:
        return raw[:20], None, "Ngày không hợp lệ: chọn ngày trong ô lịch (ngày/tháng/năm)."


def answer_text(form: Form, field_id: str, value) -> str:
    """An answer as it reads on paper: Có/Không, dd/mm/yyyy, "14:05 ngày 30/11/2026"; "" when empty."""
    spec = form.field(field_id)
    if value is None or value == "":
        return ""
    if spec is not None and spec.type == "bool":
        return "Có" if value is True else "Không" if value is False else str(value)
    try:
        if spec is not None and spec.type == "date":
            return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        if spec is not None and spec.type == "datetime":
            return dt.datetime.fromisoformat(str(value)).strftime("%H:%M ngày %d/%m/%Y")
    except ValueError:
        pass
    return str(value)


def printed_fields(form: Form, answers: dict) -> list[tuple[str, str]]:
    """(label, answer) of every field but the document number, which is printed in the number line."""
    return [(f.label, answer_text(form, f.id, answers.get(f.id))) for f in form.fields if f.id != "so_van_ban"]


@blueprint.get("/ho-so/<number>/in/<form_id>")
@unlocked_only
@handled
def print_form(number: str, form_id: str):
    form = references().forms.get(form_id)
    canonical = canonical_number(number)
    if form is None or canonical is None:
        return refused("Không có biểu mẫu hoặc số hồ sơ này.", 404)
    try:
        file = _open(canonical, PRINT_ACTION)
    except cases.CaseError as exc:
        return refused(str(exc), 404)
    answers = file.step_state.forms.get(form_id)
    if answers is None:
        return refused(f"Hồ sơ {canonical} chưa lưu Mẫu {form.number}: hãy lưu biểu mẫu trước khi in.", 404)
    date_typed, date, date_error = _typed_date()
    return render_template(
        "console/print.html", form=form, number=canonical, fields=printed_fields(form, answers),
        header=_header(str(file.case.fields.get("commune", ""))), unknown_office=UNKNOWN_OFFICE,
        document_number=_typed_number(answers), date_typed=date_typed, date_line=long_date(date) if date else "",
        date_error=date_error, number_max=NUMBER_MAX,
    ), 400 if date_error else 200


# -- the register ------------------------------------------------------------------------------------------

def _year() -> tuple[str, int | None, str]:
    """(what was typed, the year, an error) from ``nam``; this year in Việt Nam when not given."""
    raw = request.args.get("nam", "").strip()
    if not raw:
        year = dt.datetime.now(VIETNAM).year
        return str(year), year, ""
    if raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR:
        return raw, int(raw), ""
    return raw[:10], None, f"Năm không hợp lệ: nhập bốn chữ số, từ {FIRST_YEAR} đến {LAST_YEAR}, ví dụ 2026."


def criterion_text(year: int) -> tuple[str, str]:
    """(the rubric's name, the wording of criterion 6's sub-item on approved plans) in force that year;
    empty when the rubric files do not give it."""
    try:
        rubrics = load_rubrics(rubrics_dir(session().config.content_dir))
        rubric = rubric_in_force(rubrics, min(dt.date(year, 12, 31), dt.datetime.now(VIETNAM).date()))
    except (RubricError, LookupError):
        return "", ""
    criterion = rubric.criterion(case_register.CRITERION_ID)
    items = [i for i in criterion.sub_items if "phê duyệt" in i.wording] if criterion else []
    return rubric.display_name, items[0].wording if items else ""


def register_for(year: int) -> case_register.Register:
    """The year's register for the unlocked key, its clocks computed now."""
    refs = references()
    communes = {c.id: c.label for c in refs.places.communes} if refs.places is not None else {}
    files = readable_cases(session(), actor(), refs, dt.datetime.now(dt.timezone.utc))
    return case_register.build_register(files, year, refs.clocks, refs.categories, communes)


@blueprint.get("/so-theo-doi")
@unlocked_only
@handled
def register_page():
    typed, year, error = _year()
    if year is None:
        return render_template("console/register.html", typed=typed, error=error, year=None), 400
    register, categories = register_for(year), references().categories
    counted = [(categories.get(c, c), why) for c, why in case_register.CRITERION_CATEGORIES.items()]
    return render_template(
        "console/register.html", typed=typed, error="", year=year, columns=register.columns, rows=register.rows,
        figure=register.figure, labels=case_register.DEADLINE_LABELS, outcome_labels=case_register.OUTCOME_LABELS,
        criterion_categories=counted, reading=case_register.READING, criterion=criterion_text(year),
        unit_labels=UNIT_LABELS,
    )


@blueprint.get("/so-theo-doi/tai-xuong")
@unlocked_only
@handled
def register_download():
    typed, year, error = _year()
    if year is None:
        return render_template("console/register.html", typed=typed, error=error, year=None), 400
    audit("export")  # before anything is decrypted: an access that cannot be logged does not happen
    return Response(register_for(year).xlsx(), mimetype=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="so-theo-doi-{year}.xlsx"'})
