"""The forms (Mẫu 01–07) of the six steps of Nghị định 56/2017/NĐ-CP, read from versioned data.

Each form is one YAML file in ``content/data/forms/`` (the fields of such a file are described at the top of
``mau-01.yml``). This module:

- loads and checks those files (``load_forms``, ``load_form``): ``FormsError`` names the file and the field
  at fault, in Vietnamese, for the person editing the file;
- checks an officer's answers against a form (``validate_answers``): clean values, or a Vietnamese message
  per field; a form may be saved incomplete, and is complete when there are no errors;
- fills Mẫu 01 from a report sent through the website (``prefill_mau01``): only the fields the form file
  marks with ``prefill``, never the child's name or the informant's details.

Pure: no storage, no framework. Which forms a step needs is ``functions.core.case_steps``' business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

import yaml

from .places import UNKNOWN_ID, UNKNOWN_LABEL
from .yaml_data import load_yaml

FORMS_DIR = Path("data") / "forms"  # under the content folder
FIELD_TYPES = ("text", "textarea", "date", "datetime", "choice", "number", "bool")
PROCEDURE_CONFIDENCE = ("confirmed", "one source")
FIELDS_CONFIDENCE = ("confirmed", "one source", "unknown")
# What of a web report can fill a Mẫu 01 field (report fields of functions.core.tip_validation, plus the
# time received and the office's wording for the source of a web report).
PREFILL_SOURCES = ("web_report", "received", "child_age", "commune", "description", "category", "urgent")
# Length limits of typed answers: room for a long account, a bound on what one saved form can hold.
TEXT_MAX = 500
TEXTAREA_MAX = 20_000

_FORM_KEYS = {"id", "number", "title", "official_title", "step", "version", "source", "fields", "web_report"}
_SOURCE_KEYS = {"document", "confidence", "fields_confidence", "note"}
_FIELD_KEYS = {"id", "label", "type", "required", "official", "choices", "min", "max", "prefill", "help"}
_WEB_REPORT_KEYS = {"source_text", "note"}
_FORM_ID = re.compile(r"mau-[0-9]{2}")
_FIELD_ID = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
_TRUE = {"1", "true", "on", "yes", "co", "có"}
_FALSE = {"0", "false", "off", "no", "khong", "không"}

MESSAGES = {
    "required": "“{label}” là bắt buộc.",
    "unknown": "Mẫu này không có trường “{field}”.",
    "text_type": "“{label}” phải là chữ.",
    "text_long": "“{label}” quá dài: tối đa {max} ký tự (hiện có {count}).",
    "text_lines": "“{label}” chỉ được viết trên một dòng.",
    "date": "“{label}”: hãy ghi ngày theo dạng ngày/tháng/năm, ví dụ 30/11/2026.",
    "datetime": "“{label}”: hãy ghi ngày và giờ, ví dụ 30/11/2026 14:05.",
    "choice": "“{label}”: hãy chọn một trong: {choices}.",
    "number": "“{label}” phải là một số nguyên.",
    "number_min": "“{label}” không được nhỏ hơn {min}.",
    "number_max": "“{label}” không được lớn hơn {max}.",
    "bool": "“{label}”: hãy chọn Có hoặc Không.",
}


class FormsError(ValueError):
    """A form file is missing, not YAML, or has a field that is missing or malformed.

    ``path`` is the file, ``field`` the field at fault ("" when the whole file is); ``str()`` is the
    message for the person editing the file, in Vietnamese, starting with the file's path.
    """

    def __init__(self, path: Path | str, field: str, expected: str):
        self.path, self.field = str(path), field
        super().__init__(f"{path}: trường '{field}': {expected}" if field else f"{path}: {expected}")


@dataclass(frozen=True)
class FormSource:
    document: str
    confidence: str  # of the procedure the form belongs to
    fields_confidence: str  # of the list of fields: "unknown" means the form is kept minimal
    note: str


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    type: str
    required: bool
    official: bool  # on the official form per the source; False: the office's own addition
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    prefill: str = ""
    help: str = ""


@dataclass(frozen=True)
class Form:
    id: str
    number: str
    title: str
    official_title: str | None
    step: int
    version: int
    source: FormSource
    fields: tuple[FormField, ...]
    web_report: Mapping[str, str] | None = None

    def field(self, field_id: str) -> FormField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.fields if f.required)


# -- loading ------------------------------------------------------------------------------------------

def load_forms(content_dir: Path | str) -> dict[str, Form]:
    """Every form of ``content/data/forms/``, by id (``mau-01`` …), in id order."""
    directory = Path(content_dir) / FORMS_DIR
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        raise FormsError(directory, "", "không có tệp biểu mẫu nào (*.yml)")
    forms = [load_form(path) for path in paths]
    return {form.id: form for form in forms}


def load_form(path: Path | str) -> Form:
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FormsError(path, "", f"không đọc được tệp ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise FormsError(path, "", f"không phải YAML hợp lệ ({exc})") from None
    if not isinstance(data, dict):
        raise FormsError(path, "", "tệp phải là một bảng các trường (id, title, step, …)")
    _no_unknown_keys(data, _FORM_KEYS, path, "")
    form_id = _text(data.get("id"), path, "id")
    if not _FORM_ID.fullmatch(form_id) or form_id != path.stem:
        raise FormsError(path, "id", f"phải có dạng mau-NN và trùng tên tệp ({path.stem}), đang là {form_id!r}")
    number = _text(data.get("number"), path, "number")
    if number != form_id.removeprefix("mau-"):
        raise FormsError(path, "number", f'phải là "{form_id.removeprefix("mau-")}" (viết trong ngoặc kép)')
    official_title = data.get("official_title")
    if official_title is not None:
        official_title = _text(official_title, path, "official_title")
    web_report = _web_report(data.get("web_report"), path)
    fields = _fields(data.get("fields"), path, web_report is not None)
    source = _source(data.get("source"), path)
    if source.fields_confidence == "unknown" and any(f.official for f in fields):
        raise FormsError(path, "fields", "các trường chính thức chưa được xác nhận: không trường nào được ghi "
                                         "official: true")
    return Form(form_id, number, _text(data.get("title"), path, "title"), official_title,
                _integer(data.get("step"), path, "step", 1, 6), _integer(data.get("version"), path, "version", 1, None),
                source, fields, web_report)


def _no_unknown_keys(data: dict, allowed: set[str], path: Path, where: str) -> None:
    unknown = sorted(str(key) for key in set(data) - allowed)
    if unknown:
        name = f"{where}.{unknown[0]}" if where else unknown[0]
        raise FormsError(path, name, "trường không được biết (viết sai tên?); các trường hợp lệ: "
                         + ", ".join(sorted(allowed)))


def _text(value: Any, path: Path, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FormsError(path, field, "bắt buộc, phải là một chuỗi chữ không trống")
    return value.strip()


def _integer(value: Any, path: Path, field: str, low: int | None, high: int | None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or (low is not None and value < low) \
            or (high is not None and value > high):
        bounds = f" từ {low} đến {high}" if high is not None else f" từ {low} trở lên" if low is not None else ""
        raise FormsError(path, field, f"phải là một số nguyên{bounds}, đang là {value!r}")
    return value


def _choice(value: Any, allowed: tuple[str, ...], path: Path, field: str) -> str:
    if value not in allowed:
        raise FormsError(path, field, "phải là một trong: " + ", ".join(allowed) + f"; đang là {value!r}")
    return value


def _source(value: Any, path: Path) -> FormSource:
    if not isinstance(value, dict):
        raise FormsError(path, "source", "bắt buộc: document, confidence, fields_confidence, note")
    _no_unknown_keys(value, _SOURCE_KEYS, path, "source")
    fields_confidence = _choice(value.get("fields_confidence"), FIELDS_CONFIDENCE, path, "source.fields_confidence")
    note = value.get("note")
    if fields_confidence != "confirmed" or note is not None:
        note = _text(note, path, "source.note")  # an unconfirmed field list must say so
    return FormSource(_text(value.get("document"), path, "source.document"),
                      _choice(value.get("confidence"), PROCEDURE_CONFIDENCE, path, "source.confidence"),
                      fields_confidence, note or "")


def _web_report(value: Any, path: Path) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise FormsError(path, "web_report", "phải là một bảng: source_text, note")
    _no_unknown_keys(value, _WEB_REPORT_KEYS, path, "web_report")
    return {name: _text(value.get(name), path, f"web_report.{name}") for name in sorted(_WEB_REPORT_KEYS)}


def _fields(value: Any, path: Path, has_web_report: bool) -> tuple[FormField, ...]:
    if not isinstance(value, list) or not value:
        raise FormsError(path, "fields", "bắt buộc, phải là một danh sách không trống")
    result, seen = [], set()
    for index, item in enumerate(value):
        where = f"fields[{index}]"
        if not isinstance(item, dict):
            raise FormsError(path, where, "mỗi trường là một bảng: id, label, type, required, official")
        field_id = _text(item.get("id"), path, f"{where}.id")
        if not _FIELD_ID.fullmatch(field_id) or field_id in seen:
            raise FormsError(path, f"{where}.id", f"{field_id!r} phải là tên duy nhất, chữ thường không dấu, "
                                                 "nối bằng dấu gạch dưới")
        seen.add(field_id)
        where = f"fields[{index}] ({field_id})"
        result.append(_field(item, field_id, path, where, has_web_report))
    return tuple(result)


def _flag(value: Any, path: Path, field: str) -> bool:
    if not isinstance(value, bool):
        raise FormsError(path, field, f"phải là true hoặc false, đang là {value!r}")
    return value


def _field_choices(choices: Any, kind: str, path: Path, where: str) -> tuple[str, ...]:
    if kind != "choice":
        if choices is not None:
            raise FormsError(path, f"{where}.choices", "chỉ dùng cho trường kiểu choice")
        return ()
    if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c.strip() for c in choices) \
            or len({c.strip() for c in choices}) != len(choices):
        raise FormsError(path, f"{where}.choices", "trường kiểu choice cần một danh sách lựa chọn không trùng")
    return tuple(c.strip() for c in choices)


def _field_bounds(item: dict, kind: str, path: Path, where: str) -> dict[str, int]:
    bounds = {}
    for name in ("min", "max"):
        if item.get(name) is not None:
            if kind != "number":
                raise FormsError(path, f"{where}.{name}", "chỉ dùng cho trường kiểu number")
            bounds[name] = _integer(item[name], path, f"{where}.{name}", None, None)
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        raise FormsError(path, f"{where}.max", "phải lớn hơn hoặc bằng min")
    return bounds


def _field(item: dict, field_id: str, path: Path, where: str, has_web_report: bool) -> FormField:
    _no_unknown_keys(item, _FIELD_KEYS, path, where)
    kind = _choice(item.get("type"), FIELD_TYPES, path, f"{where}.type")
    choices = _field_choices(item.get("choices"), kind, path, where)
    bounds = _field_bounds(item, kind, path, where)
    prefill = item.get("prefill") or ""
    if prefill:
        _choice(prefill, PREFILL_SOURCES, path, f"{where}.prefill")
        if prefill == "web_report" and not has_web_report:
            raise FormsError(path, f"{where}.prefill", "prefill: web_report cần mục web_report của tệp")
    help_text = item.get("help")
    return FormField(field_id, _text(item.get("label"), path, f"{where}.label"), kind,
                     _flag(item.get("required"), path, f"{where}.required"),
                     _flag(item.get("official"), path, f"{where}.official"), choices,
                     bounds.get("min"), bounds.get("max"), prefill,
                     _text(help_text, path, f"{where}.help") if help_text is not None else "")


# -- answers ---------------------------------------------------------------------------------------------

def _message(key: str, **values: Any) -> str:
    return MESSAGES[key].format(**values)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_answers(form: Form, answers: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """``(clean, errors)``: ``clean`` holds every field of the form (None when not answered), ``errors`` maps a
    field id to its Vietnamese message. The answers are complete when ``errors`` is empty."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in answers:
        if form.field(str(name)) is None:
            errors[str(name)] = _message("unknown", field=name)
    for spec in form.fields:
        raw = answers.get(spec.id)
        if _blank(raw):
            clean[spec.id] = None
            if spec.required:
                errors[spec.id] = _message("required", label=spec.label)
            continue
        value, problem = _CHECKS[spec.type](spec, raw)
        clean[spec.id] = value
        if problem:
            errors[spec.id] = problem
    return clean, errors


def is_complete(form: Form, answers: Mapping[str, Any] | None) -> bool:
    """True when ``answers`` give every field of ``form`` a valid value and every required field one.
    Answers to fields the form no longer has (saved under an older version) do not count against it."""
    if answers is None:
        return False
    errors = validate_answers(form, answers)[1]
    return not any(form.field(name) is not None for name in errors)


def _check_text(spec: FormField, raw: Any) -> tuple[Any, str]:
    if not isinstance(raw, str):
        return None, _message("text_type", label=spec.label)
    value = raw.strip().replace("\r\n", "\n")
    limit = TEXTAREA_MAX if spec.type == "textarea" else TEXT_MAX
    if spec.type == "text" and "\n" in value:
        return None, _message("text_lines", label=spec.label)
    if len(value) > limit:
        return None, _message("text_long", label=spec.label, max=f"{limit:,}".replace(",", "."), count=len(value))
    return value, ""


def _check_date(spec: FormField, raw: Any) -> tuple[Any, str]:
    if isinstance(raw, datetime):
        return raw.date().isoformat(), ""
    if isinstance(raw, date):
        return raw.isoformat(), ""
    text = str(raw).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat(), ""
        except ValueError:
            continue
    return None, _message("date", label=spec.label)


def _check_datetime(spec: FormField, raw: Any) -> tuple[Any, str]:
    if isinstance(raw, datetime):
        return raw.isoformat(timespec="seconds"), ""
    text = str(raw).strip()
    try:
        if "T" in text:  # ISO, as a datetime-local input or a stored time gives it
            return datetime.fromisoformat(text).isoformat(timespec="seconds"), ""
        return datetime.strptime(text, "%d/%m/%Y %H:%M").isoformat(timespec="seconds"), ""
    except ValueError:
        return None, _message("datetime", label=spec.label)


def _check_choice(spec: FormField, raw: Any) -> tuple[Any, str]:
    value = str(raw).strip()
    if value not in spec.choices:
        return None, _message("choice", label=spec.label, choices=", ".join(spec.choices))
    return value, ""


def _check_number(spec: FormField, raw: Any) -> tuple[Any, str]:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        return None, _message("number", label=spec.label)
    text = str(raw).strip()
    if not re.fullmatch(r"-?[0-9]+", text):
        return None, _message("number", label=spec.label)
    value = int(text)
    if spec.min is not None and value < spec.min:
        return None, _message("number_min", label=spec.label, min=spec.min)
    if spec.max is not None and value > spec.max:
        return None, _message("number_max", label=spec.label, max=spec.max)
    return value, ""


def _check_bool(spec: FormField, raw: Any) -> tuple[Any, str]:
    if isinstance(raw, bool):
        return raw, ""
    folded = str(raw).strip().lower()
    if folded in _TRUE:
        return True, ""
    if folded in _FALSE:
        return False, ""
    return None, _message("bool", label=spec.label)


_CHECKS = {"text": _check_text, "textarea": _check_text, "date": _check_date, "datetime": _check_datetime,
           "choice": _check_choice, "number": _check_number, "bool": _check_bool}


# -- Mẫu 01 from a web report ----------------------------------------------------------------------------

def prefill_mau01(form: Form, report_fields: Mapping[str, Any], *, received: str = "",
                  commune_names: Mapping[str, str] | None = None,
                  category_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The answers of Mẫu 01 that a report sent through the website gives: only the fields the form file
    marks with ``prefill`` and only when the report holds a value (nothing for the child's name, which the
    web form never asks). ``commune_names`` and ``category_labels`` turn stored ids into the words printed."""
    values = {
        "web_report": (form.web_report or {}).get("source_text", ""),
        "received": received,
        "child_age": report_fields.get("child_age"),
        "commune": _place(report_fields, commune_names or {}),
        "description": str(report_fields.get("description") or "").strip(),
        "category": (category_labels or {}).get(str(report_fields.get("category") or ""),
                                                str(report_fields.get("category") or "")),
        "urgent": report_fields.get("urgent") if isinstance(report_fields.get("urgent"), bool) else None,
    }
    return {spec.id: values[spec.prefill] for spec in form.fields
            if spec.prefill and not _blank(values[spec.prefill])}


def _place(report_fields: Mapping[str, Any], commune_names: Mapping[str, str]) -> str:
    """The commune's name, what the reporter typed for it when that differs, and the place details."""
    commune = str(report_fields.get("commune") or "")
    name = UNKNOWN_LABEL if commune == UNKNOWN_ID else commune_names.get(commune, commune)
    typed = str(report_fields.get("commune_as_typed") or "").strip()
    lines = [name] if name else []
    if typed and typed != name and typed != commune:
        lines.append(f"Người báo tin ghi: {typed}")
    detail = str(report_fields.get("location_detail") or "").strip()
    if detail:
        lines.append(detail)
    return "\n".join(lines)
