"""Validation of a tip's fields: what the person typed → clean values, or a Vietnamese message per field.

Rules (DESIGN.md, HTTP API): ``description`` 10–5,000 characters; ``category`` an id of
``content/data/categories.yml``; ``commune`` today's commune, a former name (with or without
tones) or ``khong-ro``; optional ``urgent``, ``child_age`` (whole number 0–17), ``location_detail``,
``reporter_name``, ``reporter_phone`` (Vietnamese mobile or landline). All text is NFC with control
characters removed. Unknown fields are ignored. The caller keeps the raw values to re-show them.

A ``submission_id`` sent with a report must carry at least 96 bits (``submission_id_problem``): its receipt
is derived from it, so a guessable id would let someone else's send collide with a stored report.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml

from .images import megabytes
from .places import UNKNOWN_ID, UNKNOWN_LABEL, Places
from .places import _PREFIX as commune_prefix, _key as commune_key  # resolve()'s own look-up key
from .text import CONTROL_PATTERN, js_pattern, normalise
from .yaml_data import load_yaml

FIELDS = ("description", "category", "commune", "urgent", "child_age", "location_detail",
          "reporter_name", "reporter_phone")
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 5000
LOCATION_MAX = 500
NAME_MAX = 100
PHONE_MAX = 30
AGE_MAX = 17
AGE_DIGITS_MAX = 2  # significant digits of an age: int() never sees thousands of them
SUBMISSION_ID_MIN_BITS = 96
SUBMISSION_ID_MIN_DISTINCT = 8
_SUBMISSION_ID_SYMBOLS = re.compile(r"^[A-Za-z0-9_-]+$")

_TRUE = {"1", "true", "on", "yes", "co", "có"}
_FALSE = {"", "0", "false", "off", "no", "khong", "không"}
# Mobile prefixes in use since the 2018 renumbering (0 + 9 digits): 03x Viettel, 05x Vietnamobile/
# Gmobile/Reddi, 07x MobiFone, 08x several networks, 09x the older ranges of all of them.
_MOBILE = re.compile(r"^0(3[2-9]|5[25689]|7[06-9]|8[1-9]|9\d)\d{7}$")
# Landlines since 2017: 02 + area code, 11 digits in all (Điện Biên is 0215).
_LANDLINE = re.compile(r"^02\d{9}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
_AGE_SUFFIX = re.compile(r"\s*tuổi$", re.I)
# What people see when a field is wrong: one table, used here and sent to the browser (browser_rules),
# so report.js says exactly what the server would. ``{name}`` parts are filled with str.format.
MESSAGES = {
    "description_empty": "Hãy kể điều bạn thấy hoặc biết (ít nhất {min} ký tự).",
    "description_short": "Mô tả quá ngắn: cần ít nhất {min} ký tự (hiện có {count}).",
    "description_long": "Mô tả quá dài: tối đa {max} ký tự (hiện có {count}).",
    "category_empty": "Hãy chọn một loại việc (nếu không chắc, chọn “Việc khác”).",
    "category_unknown": "Loại việc này không có trong danh sách. Hãy chọn lại.",
    "commune_empty": "Hãy cho biết xã nơi trẻ đang ở (hoặc chọn “Không rõ xã nào”).",
    "commune_unknown": ("Không tìm thấy xã này. Hãy chọn một xã trong danh sách (tên mới hoặc tên cũ đều được), "
                        "hoặc chọn “Không rõ xã nào”."),
    "urgent_invalid": "Hãy đánh dấu ô này nếu việc cần xử lý gấp, hoặc để trống.",
    "child_age_invalid": "Tuổi của trẻ là một số nguyên từ 0 đến {max}. Nếu không biết, hãy để trống.",
    # A submission id is made by the page's script (or the server); these reach API clients and a page whose
    # id was damaged on the way — the form comes back with a new id.
    "submission_id_short": ("Mã lần gửi (submission_id) quá ngắn nên dễ bị đoán: cần ít nhất {bits} bit ngẫu nhiên, "
                            "ví dụ {chars} ký tự chọn ngẫu nhiên trong chữ cái không dấu, chữ số, “-” và “_”."),
    "submission_id_repetitive": ("Mã lần gửi (submission_id) có quá ít ký tự khác nhau ({count}) nên dễ bị đoán: "
                                 "cần ít nhất {min} ký tự khác nhau và {bits} bit ngẫu nhiên."),
    "location_long": "Phần mô tả nơi ở quá dài: tối đa {max} ký tự (hiện có {count}).",
    "name_long": "Tên quá dài: tối đa {max} ký tự.",
    "phone_invalid": ("Số điện thoại chưa đúng: số di động gồm 10 chữ số bắt đầu bằng 0 "
                      "(hoặc +84), số máy bàn bắt đầu bằng 02. Không muốn để lại số thì để trống."),
    # Attachments are checked by the endpoint (functions/api/tips.py), on their content.
    "attachments_too_many": "Chỉ gửi được tối đa {max} tệp (bạn đã chọn {count}).",
    "attachment_too_large": "Mỗi tệp tối đa {mb} MB; tệp “{name}” lớn hơn.",
    "attachment_empty": "Tệp “{name}” trống.",
    "attachment_kind": "Tệp “{name}” không phải ảnh JPEG, PNG hoặc tệp PDF.",
}
# A file name shown in a message is cut to this many characters (the end replaced by "…").
FILENAME_SHOWN = 40
# The separators places._key turns into one space (it writes the pattern inline; keep the two equal).
COMMUNE_SEPARATORS = r"[\s,.;:_-]+"


class CategoriesError(ValueError):
    """The categories file is malformed; the message names the field."""


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    description: str
    source: str | None


def load_categories(content_dir: Path | str) -> list[Category]:
    path = Path(content_dir) / "data" / "categories.yml"
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CategoriesError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise CategoriesError(f"{path}: invalid YAML ({exc})") from None
    items = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise CategoriesError(f"{path}: 'categories' must be a non-empty list")
    result, seen = [], set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise CategoriesError(f"{path}: categories[{i}] must be a mapping")
        for name in ("id", "label", "description"):
            if not isinstance(item.get(name), str) or not item[name].strip():
                raise CategoriesError(f"{path}: categories[{i}].{name} is required text")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", item["id"]) or item["id"] in seen:
            raise CategoriesError(f"{path}: categories[{i}].id {item['id']!r} must be a unique slug")
        seen.add(item["id"])
        result.append(Category(item["id"], item["label"].strip(), item["description"].strip(), item.get("source")))
    return result


def normalise_phone(text: str) -> str | None:
    """A Vietnamese phone number in national form (``0912345678``), or None if it is not one."""
    digits = _PHONE_SEPARATORS.sub("", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not digits.isascii() or not digits.isdigit():
        return None
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    return None


def parse_flag(value: str) -> bool | None:
    folded = value.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    return None


def validate(raw: Mapping[str, str], categories: list[Category], places: Places) -> tuple[dict, dict[str, str]]:
    """``(clean, errors)``: ``errors`` maps a field to its message; ``clean`` is complete when it is empty."""
    clean: dict = {}
    errors: dict[str, str] = {}
    checks = {
        "description": _check_description, "category": lambda v: _check_category(v, categories),
        "commune": lambda v: _check_commune(v, places), "urgent": _check_urgent, "child_age": _check_age,
        "location_detail": _check_location, "reporter_name": _check_name, "reporter_phone": _check_phone,
    }
    for name, check in checks.items():
        value = raw.get(name, "")
        text = normalise(value if isinstance(value, str) else str(value), multiline=name in MULTILINE_FIELDS)
        clean[name], error = check(text)
        if error:
            errors[name] = error
    return clean, errors


MULTILINE_FIELDS = ("description", "location_detail")


def _check_description(text: str) -> tuple[str, str | None]:
    if not text:
        return text, message("description_empty", min=DESCRIPTION_MIN)
    if len(text) < DESCRIPTION_MIN:
        return text, message("description_short", min=DESCRIPTION_MIN, count=len(text))
    if len(text) > DESCRIPTION_MAX:
        return text, message("description_long", max=thousands(DESCRIPTION_MAX), count=thousands(len(text)))
    return text, None


def _check_category(text: str, categories: list[Category]) -> tuple[str, str | None]:
    if not text:
        return text, message("category_empty")
    return text, None if text in {c.id for c in categories} else message("category_unknown")


def _check_commune(text: str, places: Places) -> tuple[str, str | None]:
    if not text:
        return "", message("commune_empty")
    if places.is_unknown(text):
        return UNKNOWN_ID, None
    commune = places.resolve(text)
    return (commune.id, None) if commune is not None else ("", message("commune_unknown"))


def _check_urgent(text: str) -> tuple[bool, str | None]:
    urgent = parse_flag(text)
    return bool(urgent), None if urgent is not None else message("urgent_invalid")


def _check_age(text: str) -> tuple[int | None, str | None]:
    age = parse_age(text) if text else None
    return age, message("child_age_invalid", max=AGE_MAX) if text and age is None else None


def _check_location(text: str) -> tuple[str, str | None]:
    return text, message("location_long", max=LOCATION_MAX, count=len(text)) if len(text) > LOCATION_MAX else None


def _check_name(text: str) -> tuple[str, str | None]:
    return text, message("name_long", max=NAME_MAX) if len(text) > NAME_MAX else None


def _check_phone(text: str) -> tuple[str, str | None]:
    if not text:
        return "", None
    normalised = normalise_phone(text) if len(text) <= PHONE_MAX else None
    return (normalised, None) if normalised is not None else ("", message("phone_invalid"))


def submission_id_bits(value: str) -> float:
    """What a submission id can carry at most, judged from its length and the alphabet it is drawn from:
    all digits 10 symbols, all hexadecimal 16, otherwise the 64 of base64url."""
    if value.isdigit():
        symbols = 10
    elif re.fullmatch(r"[0-9a-f]+|[0-9A-F]+", value):
        symbols = 16
    else:
        symbols = 64
    return len(value) * math.log2(symbols)


def submission_id_problem(value: str) -> str | None:
    """The message for a weak submission id — too short for 96 bits, or too few distinct characters
    ("a" * 40) — or None. Only a lower bound the server can check: the page's 18 random base64url
    characters (108 bits) fail the distinct-character rule about twice in a billion, the server's own
    ids (32 and 45 characters) practically never. Ids of other characters are the caller's affair (``receipts.valid_submission_id``)."""
    if not _SUBMISSION_ID_SYMBOLS.match(value):
        return None
    shortest = math.ceil(SUBMISSION_ID_MIN_BITS / 6)
    short = message("submission_id_short", bits=SUBMISSION_ID_MIN_BITS, chars=shortest)
    distinct = len(set(value))
    if len(value) < shortest:
        return short
    if distinct < SUBMISSION_ID_MIN_DISTINCT:
        return message("submission_id_repetitive", count=distinct, min=SUBMISSION_ID_MIN_DISTINCT,
                       bits=SUBMISSION_ID_MIN_BITS)
    return short if submission_id_bits(value) < SUBMISSION_ID_MIN_BITS else None


def parse_age(typed: str) -> int | None:
    """A child's age as typed ("7", "07", "7 tuổi") → 0–17, or None; never more than two significant digits
    reach int() (thousands of digits once made it raise)."""
    digits = _AGE_SUFFIX.sub("", typed)
    significant = digits.lstrip("0") or "0"  # "07" is 7, as in the browser
    if not (digits.isascii() and digits.isdigit()) or len(significant) > AGE_DIGITS_MAX:
        return None
    return int(significant) if int(significant) <= AGE_MAX else None


def message(key: str, **values) -> str:
    """The Vietnamese message ``key`` of ``MESSAGES`` with its ``{name}`` parts filled in."""
    return MESSAGES[key].format(**values)


def thousands(number: int) -> str:
    """``5000`` → ``5.000`` (Vietnamese thousands separator)."""
    return f"{number:,}".replace(",", ".")


def shown_filename(name: str) -> str:
    """A file name as a message shows it: without folders, at most ``FILENAME_SHOWN`` characters."""
    name = (name or "tệp").replace("\\", "/").rsplit("/", 1)[-1]
    return name if len(name) <= FILENAME_SHOWN else name[:FILENAME_SHOWN - 3] + "…"


def _js(regex: re.Pattern | str, ascii_digits: bool = False) -> dict[str, str]:
    """``{"source", "flags"}`` for ``new RegExp``; the ``u`` flag always (see ``text.js_pattern``)."""
    if isinstance(regex, str):
        return {"source": js_pattern(regex), "flags": "u"}
    return {"source": js_pattern(regex.pattern, ascii_digits=ascii_digits),
            "flags": "u" + ("i" if regex.flags & re.I else "")}


def browser_rules(categories: list[Category], places: Places, *, max_files: int, max_bytes: int) -> dict:
    """Everything report.js checks, from the definitions above: written into the form page as JSON.

    Patterns are JavaScript source for ``new RegExp(pattern, "u")`` matching what these Python
    patterns match (``text.js_pattern``); ``messages`` are ``MESSAGES`` unchanged.
    """
    return {
        "limits": {
            "description_min": DESCRIPTION_MIN, "description_max": DESCRIPTION_MAX,
            "location_max": LOCATION_MAX, "name_max": NAME_MAX, "phone_max": PHONE_MAX, "age_max": AGE_MAX,
            "max_files": max_files, "max_bytes": max_bytes, "max_mb": megabytes(max_bytes),
            "filename_shown": FILENAME_SHOWN,
        },
        "patterns": {
            "control": _js(CONTROL_PATTERN),
            "space": _js(r"\s"),
            "phone_separators": _js(_PHONE_SEPARATORS),
            # Phone patterns only ever see ASCII digits (normalise_phone checks that first).
            "mobile": _js(_MOBILE, ascii_digits=True),
            "landline": _js(_LANDLINE, ascii_digits=True),
            "age_suffix": _js(_AGE_SUFFIX),
            "commune_separators": _js(COMMUNE_SEPARATORS),
            "commune_prefix": _js(commune_prefix),
        },
        "messages": dict(MESSAGES),
        "categories": [c.id for c in categories],
        "communes": {
            "unknown_id": UNKNOWN_ID,
            # resolve() and is_unknown() compare look-up keys: fold, separators to one space, no "xã".
            "keys": sorted({commune_key(alias) for c in places.communes
                            for alias in (c.id, c.id.replace("-", " "), c.name, *c.former_names)}),
            "unknown_keys": sorted({k for k in (commune_key(UNKNOWN_LABEL), commune_key(UNKNOWN_ID.replace("-", " ")))
                                    if places.is_unknown(k)}),
        },
    }
