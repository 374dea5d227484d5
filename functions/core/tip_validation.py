"""Validation of a tip's fields: what the person typed → clean values, or a Vietnamese message per field.

Rules (DESIGN.md, HTTP API): ``description`` 10–5,000 characters; ``category`` an id of
``content/data/categories.yml``; ``commune`` today's commune, a former name (with or without
tones) or ``khong-ro``; optional ``urgent``, ``child_age`` (whole number 0–17), ``location_detail``,
``reporter_name``, ``reporter_phone`` (Vietnamese mobile or landline). All text is NFC with control
characters removed. Unknown fields are ignored. The caller keeps the raw values to re-show them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml

from .places import UNKNOWN_ID, Places
from .text import normalise

FIELDS = ("description", "category", "commune", "urgent", "child_age", "location_detail",
          "reporter_name", "reporter_phone")
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 5000
LOCATION_MAX = 500
NAME_MAX = 100
PHONE_MAX = 30
AGE_MAX = 17

_TRUE = {"1", "true", "on", "yes", "co", "có"}
_FALSE = {"", "0", "false", "off", "no", "khong", "không"}
# Mobile prefixes in use since the 2018 renumbering (0 + 9 digits): 03x Viettel, 05x Vietnamobile/
# Gmobile/Reddi, 07x MobiFone, 08x several networks, 09x the older ranges of all of them.
_MOBILE = re.compile(r"^0(3[2-9]|5[25689]|7[06-9]|8[1-9]|9\d)\d{7}$")
# Landlines since 2017: 02 + area code, 11 digits in all (Điện Biên is 0215).
_LANDLINE = re.compile(r"^02\d{9}$")


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
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
    digits = re.sub(r"[\s.\-()/]", "", text)
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

    def text(name: str, multiline: bool = False) -> str:
        value = raw.get(name, "")
        return normalise(value if isinstance(value, str) else str(value), multiline=multiline)

    description = text("description", multiline=True)
    if not description:
        errors["description"] = "Hãy kể điều bạn thấy hoặc biết (ít nhất 10 ký tự)."
    elif len(description) < DESCRIPTION_MIN:
        errors["description"] = f"Mô tả quá ngắn: cần ít nhất {DESCRIPTION_MIN} ký tự (hiện có {len(description)})."
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = (f"Mô tả quá dài: tối đa {DESCRIPTION_MAX:,} ký tự (hiện có {len(description):,})."
                                 .replace(",", "."))
    clean["description"] = description

    category = text("category")
    ids = {c.id for c in categories}
    if not category:
        errors["category"] = "Hãy chọn một loại việc (nếu không chắc, chọn “Việc khác”)."
    elif category not in ids:
        errors["category"] = "Loại việc này không có trong danh sách. Hãy chọn lại."
    clean["category"] = category

    commune_text = text("commune")
    if not commune_text:
        errors["commune"] = "Hãy cho biết xã nơi trẻ đang ở (hoặc chọn “Không rõ xã nào”)."
        clean["commune"] = ""
    elif places.is_unknown(commune_text):
        clean["commune"] = UNKNOWN_ID
    else:
        commune = places.resolve(commune_text)
        if commune is None:
            errors["commune"] = ("Không tìm thấy xã này. Hãy chọn một xã trong danh sách (tên mới hoặc tên cũ đều được), "
                                 "hoặc chọn “Không rõ xã nào”.")
            clean["commune"] = ""
        else:
            clean["commune"] = commune.id

    urgent = parse_flag(text("urgent"))
    if urgent is None:
        errors["urgent"] = "Hãy đánh dấu ô này nếu việc cần xử lý gấp, hoặc để trống."
    clean["urgent"] = bool(urgent)

    age = text("child_age")
    clean["child_age"] = None
    if age:
        age_digits = re.sub(r"\s*tuổi$", "", age, flags=re.I)
        if not (age_digits.isascii() and age_digits.isdigit()) or int(age_digits) > AGE_MAX:
            errors["child_age"] = f"Tuổi của trẻ là một số nguyên từ 0 đến {AGE_MAX}. Nếu không biết, hãy để trống."
        else:
            clean["child_age"] = int(age_digits)

    location = text("location_detail", multiline=True)
    if len(location) > LOCATION_MAX:
        errors["location_detail"] = f"Phần mô tả nơi ở quá dài: tối đa {LOCATION_MAX} ký tự (hiện có {len(location)})."
    clean["location_detail"] = location

    name = text("reporter_name")
    if len(name) > NAME_MAX:
        errors["reporter_name"] = f"Tên quá dài: tối đa {NAME_MAX} ký tự."
    clean["reporter_name"] = name

    phone = text("reporter_phone")
    clean["reporter_phone"] = ""
    if phone:
        normalised = normalise_phone(phone) if len(phone) <= PHONE_MAX else None
        if normalised is None:
            errors["reporter_phone"] = ("Số điện thoại chưa đúng: số di động gồm 10 chữ số bắt đầu bằng 0 "
                                        "(hoặc +84), số máy bàn bắt đầu bằng 02. Không muốn để lại số thì để trống.")
        else:
            clean["reporter_phone"] = normalised
    return clean, errors
