"""The hotlines data file (``content/data/hotlines.yml``), read and checked in one place.

The build (``theme/hooks/site_data.py``) shows every hotline and refuses a page holding a number this
file does not list; the functions show the primary hotline on the pages they answer with
(``functions.core.tip_forms``). Both read the file through ``load_hotlines``, which refuses a missing
or malformed field with ``HotlinesError`` naming the file and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .yaml_data import load_yaml

DATA_FILE = Path("data") / "hotlines.yml"  # under the content folder
DIGITS = re.compile(r"^[0-9]{3,15}$")
CONFIDENCE = {"confirmed", "one source"}
HOTLINE_REQUIRED = ("number", "name", "short", "when", "cost", "cost_confidence", "source")
HOTLINE_OPTIONAL = ("summary", "hours", "channels", "former")
OFFICE_FIELDS = ("name", "phone", "address", "email", "hours", "source")


class HotlinesError(ValueError):
    """The hotlines file is missing, not YAML, or has a field that is missing or malformed.

    ``field`` is the field at fault ("" when the whole file is); ``str()`` is the message for the person
    editing the file, in Vietnamese, starting with the file's path.
    """

    def __init__(self, path: Path | str, field: str, expected: str):
        self.path, self.field = path, field
        super().__init__(f"{path}: trường '{field}': {expected}" if field else f"{path}: {expected}")


def _text(value: Any, path: Path, field: str, *, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise HotlinesError(path, field, "bắt buộc, chưa có giá trị")
        return ""
    if not isinstance(value, str):
        raise HotlinesError(path, field, f"phải là một chuỗi chữ, đang là {type(value).__name__}")
    return value.strip()


def _number(value: Any, path: Path, field: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise HotlinesError(path, field, 'phải viết trong dấu ngoặc kép (ví dụ "111") để giữ số 0 ở đầu')
    text = _text(value, path, field)
    if not DIGITS.match(text):
        raise HotlinesError(path, field, f"chỉ gồm chữ số, như khi bấm gọi (3–15 số), đang là {text!r}")
    return text


def _channel(value: Any, path: Path, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise HotlinesError(path, field, "mỗi kênh là một mục có name, detail (url nếu có)")
    unknown = set(value) - {"name", "detail", "url"}
    if unknown:
        raise HotlinesError(path, f"{field}.{sorted(unknown)[0]}", "trường không được hỗ trợ (name, detail, url)")
    channel = {"name": _text(value.get("name"), path, f"{field}.name"),
               "detail": _text(value.get("detail"), path, f"{field}.detail")}
    url = _text(value.get("url"), path, f"{field}.url", required=False)
    if url:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc:
            raise HotlinesError(path, f"{field}.url", f"phải là địa chỉ https:// đầy đủ, đang là {url!r}")
        channel["url"] = url
    return channel


def _hotline(value: Any, path: Path, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise HotlinesError(path, field, "mỗi đường dây là một mục có number, name, …")
    unknown = set(value) - set(HOTLINE_REQUIRED) - set(HOTLINE_OPTIONAL)
    if unknown:
        raise HotlinesError(path, f"{field}.{sorted(unknown)[0]}", "trường không được hỗ trợ")
    entry: dict[str, Any] = {"number": _number(value.get("number"), path, f"{field}.number")}
    for name in ("name", "short", "when", "cost", "source"):
        entry[name] = _text(value.get(name), path, f"{field}.{name}")
    confidence = value.get("cost_confidence")
    if confidence not in CONFIDENCE:
        raise HotlinesError(path, f"{field}.cost_confidence", f"một trong {sorted(CONFIDENCE)}, đang là {confidence!r}")
    entry["cost_confidence"] = confidence
    for name in ("summary", "hours"):
        entry[name] = _text(value.get(name), path, f"{field}.{name}", required=False)
    channels = value.get("channels") or []
    if not isinstance(channels, list):
        raise HotlinesError(path, f"{field}.channels", "phải là một danh sách")
    entry["channels"] = [_channel(c, path, f"{field}.channels[{i}]") for i, c in enumerate(channels)]
    former = value.get("former") or []
    if not isinstance(former, list):
        raise HotlinesError(path, f"{field}.former", "phải là một danh sách số")
    entry["former"] = [_number(n, path, f"{field}.former[{i}]") for i, n in enumerate(former)]
    return entry


def load_hotlines(path: Path) -> dict[str, Any]:
    """Read and check the hotlines file at ``path``.

    Returns ``primary`` (the entry of the number every page shows), ``hotlines`` (list), ``office`` (the
    office's own contact, empty fields dropped), ``numbers`` (every number a page may link to) and
    ``former`` (numbers no longer in service that a page may still mention). Raises ``HotlinesError``.
    """
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HotlinesError(path, "", "thiếu tệp dữ liệu đường dây nóng") from None
    except yaml.YAMLError as exc:
        raise HotlinesError(path, "", f"YAML không hợp lệ: {exc}") from None
    if not isinstance(data, dict):
        raise HotlinesError(path, "(gốc)", "phải là một bảng có primary, hotlines, office")
    raw = data.get("hotlines")
    if not isinstance(raw, list) or not raw:
        raise HotlinesError(path, "hotlines", "phải là một danh sách, ít nhất một đường dây")
    hotlines = [_hotline(item, path, f"hotlines[{i}]") for i, item in enumerate(raw)]
    numbers = [h["number"] for h in hotlines]
    for i, number in enumerate(numbers):
        if number in numbers[:i]:
            raise HotlinesError(path, f"hotlines[{i}].number", f"số {number} đã có ở trên")
    primary = _number(data.get("primary"), path, "primary")
    if primary not in numbers:
        raise HotlinesError(path, "primary", f"phải là một số trong hotlines, đang là {primary!r}")

    office_raw = data.get("office") or {}
    if not isinstance(office_raw, dict):
        raise HotlinesError(path, "office", "phải là một bảng (name, phone, address, email, hours, source)")
    unknown = set(office_raw) - set(OFFICE_FIELDS)
    if unknown:
        raise HotlinesError(path, f"office.{sorted(unknown)[0]}", f"trường không được hỗ trợ ({', '.join(OFFICE_FIELDS)})")
    office = {name: _text(office_raw.get(name), path, f"office.{name}", required=False) for name in OFFICE_FIELDS}
    if office["phone"]:
        office["phone"] = _number(office["phone"], path, "office.phone")
        if not office["source"]:
            raise HotlinesError(path, "office.source", "cần nguồn cho số điện thoại của cơ quan")
    office = {name: value for name, value in office.items() if value}  # empty fields render nothing

    allowed = set(numbers) | ({office["phone"]} if "phone" in office else set())
    return {
        "primary": next(h for h in hotlines if h["number"] == primary),
        "hotlines": hotlines,
        "office": office,
        "numbers": sorted(allowed),
        "former": sorted({n for h in hotlines for n in h["former"]}),
    }
