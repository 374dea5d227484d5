"""Site-wide data for the templates, and the guard that keeps phone numbers honest.

- Loads and validates ``content/data/hotlines.yml``; exposes it as ``config.extra.hotlines``:
  ``primary`` (the entry of the number every page shows), ``hotlines`` (list), ``office`` (the office's
  own contact, empty fields dropped) and ``numbers`` (every number a page may link to).
- Validates ``extra.quick_exit_url`` (the neutral site the quick-exit control leads to).
- Replaces the markers ``<!-- bvte:hotlines -->`` and ``<!-- bvte:hotline-primary -->`` in a page's
  Markdown with the hotlines rendered from the data (``theme/partials/bvte-hotlines.html``), so no page
  retypes a number. This runs before the search plugin reads the page, so the numbers are searchable.
- Refuses a built page that links (``tel:``) to a number not in the data file, or whose text holds a
  phone-like number (``0xx…``, ``+84…``, ``1800…``/``1900…``) that the data file does not list.

Every problem is a ``PluginError`` naming the file and the field, never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

DATA_FILE = Path("data") / "hotlines.yml"
PARTIAL = "partials/bvte-hotlines.html"
MARKER = re.compile(r"^[ \t]*<!--\s*bvte:(hotlines|hotline-primary)\s*-->[ \t]*$", re.MULTILINE)

DIGITS = re.compile(r"^[0-9]{3,15}$")
CONFIDENCE = {"confirmed", "one source"}
HOTLINE_REQUIRED = ("number", "name", "short", "when", "cost", "cost_confidence", "source")
HOTLINE_OPTIONAL = ("summary", "hours", "channels", "former")
OFFICE_FIELDS = ("name", "phone", "address", "email", "hours", "source")

# tel: links, and phone-like runs of digits in a page: Vietnamese numbers start with 0 or +84
# (9–11 digits in all) or are 1800/1900 service numbers. Dates, document numbers (2138/UBND) and
# asset hashes do not match: the run may not touch a letter, digit, slash, dot-digit or dash.
TEL_LINK = re.compile(r"""tel:([^"'<>\s)]*)""")
# Each pattern starts with a literal so the regex engine can skip ahead fast: every page is scanned at
# build time (10,000 directives included). The characters around a match are checked in Python.
PHONE_PATTERNS = (
    re.compile(r"0[1-9](?:[ .]?[0-9]){7,9}"),
    re.compile(r"\+84[ .]?[1-9](?:[ .]?[0-9]){7,9}"),
    re.compile(r"1[89]00(?:[ .]?[0-9]){4,6}"),
)
_BEFORE = re.compile(r"[\w/.,:=#%&+-]")
_AFTER = re.compile(r"[\w/]|[.,-][0-9]")


def phone_like(text: str):
    """Phone-like numbers in ``text`` that stand alone (not part of a date, document number or hash)."""
    for pattern in PHONE_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if start and _BEFORE.match(text, start - 1):
                continue
            if _AFTER.match(text, end):
                continue
            yield match.group(0)


class _Error(PluginError):
    pass


def _fail(path: Path | str, field: str, expected: str) -> _Error:
    return _Error(f"{path}: trường '{field}': {expected}")


def _text(value: Any, path: Path, field: str, *, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise _fail(path, field, "bắt buộc, chưa có giá trị")
        return ""
    if not isinstance(value, str):
        raise _fail(path, field, f"phải là một chuỗi chữ, đang là {type(value).__name__}")
    return value.strip()


def _number(value: Any, path: Path, field: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise _fail(path, field, 'phải viết trong dấu ngoặc kép (ví dụ "111") để giữ số 0 ở đầu')
    text = _text(value, path, field)
    if not DIGITS.match(text):
        raise _fail(path, field, f"chỉ gồm chữ số, như khi bấm gọi (3–15 số), đang là {text!r}")
    return text


def _channel(value: Any, path: Path, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(path, field, "mỗi kênh là một mục có name, detail (url nếu có)")
    unknown = set(value) - {"name", "detail", "url"}
    if unknown:
        raise _fail(path, f"{field}.{sorted(unknown)[0]}", "trường không được hỗ trợ (name, detail, url)")
    channel = {"name": _text(value.get("name"), path, f"{field}.name"),
               "detail": _text(value.get("detail"), path, f"{field}.detail")}
    url = _text(value.get("url"), path, f"{field}.url", required=False)
    if url:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc:
            raise _fail(path, f"{field}.url", f"phải là địa chỉ https:// đầy đủ, đang là {url!r}")
        channel["url"] = url
    return channel


def _hotline(value: Any, path: Path, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, field, "mỗi đường dây là một mục có number, name, …")
    unknown = set(value) - set(HOTLINE_REQUIRED) - set(HOTLINE_OPTIONAL)
    if unknown:
        raise _fail(path, f"{field}.{sorted(unknown)[0]}", "trường không được hỗ trợ")
    entry: dict[str, Any] = {"number": _number(value.get("number"), path, f"{field}.number")}
    for name in ("name", "short", "when", "cost", "source"):
        entry[name] = _text(value.get(name), path, f"{field}.{name}")
    confidence = value.get("cost_confidence")
    if confidence not in CONFIDENCE:
        raise _fail(path, f"{field}.cost_confidence", f"một trong {sorted(CONFIDENCE)}, đang là {confidence!r}")
    entry["cost_confidence"] = confidence
    for name in ("summary", "hours"):
        entry[name] = _text(value.get(name), path, f"{field}.{name}", required=False)
    channels = value.get("channels") or []
    if not isinstance(channels, list):
        raise _fail(path, f"{field}.channels", "phải là một danh sách")
    entry["channels"] = [_channel(c, path, f"{field}.channels[{i}]") for i, c in enumerate(channels)]
    former = value.get("former") or []
    if not isinstance(former, list):
        raise _fail(path, f"{field}.former", "phải là một danh sách số")
    entry["former"] = [_number(n, path, f"{field}.former[{i}]") for i, n in enumerate(former)]
    return entry


def load_hotlines(path: Path) -> dict[str, Any]:
    """Read and validate the hotlines file; raise ``PluginError`` naming the field at fault."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _Error(f"{path}: thiếu tệp dữ liệu đường dây nóng") from None
    except yaml.YAMLError as exc:
        raise _Error(f"{path}: YAML không hợp lệ: {exc}") from None
    if not isinstance(data, dict):
        raise _fail(path, "(gốc)", "phải là một bảng có primary, hotlines, office")
    raw = data.get("hotlines")
    if not isinstance(raw, list) or not raw:
        raise _fail(path, "hotlines", "phải là một danh sách, ít nhất một đường dây")
    hotlines = [_hotline(item, path, f"hotlines[{i}]") for i, item in enumerate(raw)]
    numbers = [h["number"] for h in hotlines]
    for i, number in enumerate(numbers):
        if number in numbers[:i]:
            raise _fail(path, f"hotlines[{i}].number", f"số {number} đã có ở trên")
    primary = _number(data.get("primary"), path, "primary")
    if primary not in numbers:
        raise _fail(path, "primary", f"phải là một số trong hotlines, đang là {primary!r}")

    office_raw = data.get("office") or {}
    if not isinstance(office_raw, dict):
        raise _fail(path, "office", "phải là một bảng (name, phone, address, email, hours, source)")
    unknown = set(office_raw) - set(OFFICE_FIELDS)
    if unknown:
        raise _fail(path, f"office.{sorted(unknown)[0]}", f"trường không được hỗ trợ ({', '.join(OFFICE_FIELDS)})")
    office = {name: _text(office_raw.get(name), path, f"office.{name}", required=False) for name in OFFICE_FIELDS}
    if office["phone"]:
        office["phone"] = _number(office["phone"], path, "office.phone")
        if not office["source"]:
            raise _fail(path, "office.source", "cần nguồn cho số điện thoại của cơ quan")
    office = {name: value for name, value in office.items() if value}  # empty fields render nothing

    allowed = set(numbers) | ({office["phone"]} if "phone" in office else set())
    return {
        "primary": next(h for h in hotlines if h["number"] == primary),
        "hotlines": hotlines,
        "office": office,
        "numbers": sorted(allowed),
        "former": sorted({n for h in hotlines for n in h["former"]}),
    }


def _quick_exit_url(config: MkDocsConfig) -> str:
    url = config.extra.get("quick_exit_url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "https" or not parts.netloc:
        raise PluginError(f"mkdocs.yml: trường 'extra.quick_exit_url': cần một địa chỉ https:// đầy đủ, đang là {url!r}")
    return url


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    config.extra["hotlines"] = load_hotlines(Path(config.docs_dir) / DATA_FILE)
    _quick_exit_url(config)
    return config


# --- markers: hotlines rendered from the data -------------------------------------------------------

_env: jinja2.Environment | None = None


def _partial(config: MkDocsConfig) -> jinja2.Template:
    global _env
    if _env is None:
        # Our own environment, autoescaped: the theme's environment does not escape by default.
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(config.theme.dirs),
            autoescape=True, trim_blocks=True, lstrip_blocks=True,
        )
    return _env.get_template(PARTIAL)


def render_hotlines(config: MkDocsConfig, which: str) -> str:
    html = _partial(config).render(hotlines=config.extra["hotlines"], which=which)
    # A raw HTML block for Python-Markdown: no blank lines inside, blank lines around.
    return "\n" + "\n".join(line for line in html.splitlines() if line.strip()) + "\n"


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, **_: Any) -> str:
    if "bvte:hotline" not in markdown:
        return markdown
    return MARKER.sub(lambda m: render_hotlines(config, m.group(1)), markdown)


# --- the guard: no phone number that is not in the data file ------------------------------------------

def check_numbers(html: str, allowed: set[str], former: set[str], where: str) -> None:
    """Raise ``PluginError`` when ``html`` links to or shows a number the data file does not list."""
    for match in TEL_LINK.finditer(html):
        if html[match.start() - 1: match.start()] not in ('"', "'", "(", "="):
            continue  # "tel:" as a word in text or script, not a link
        number = match.group(1)
        if number not in allowed:
            raise PluginError(
                f"{where}: liên kết 'tel:{number}' không có trong content/data/hotlines.yml "
                f"(được phép: {', '.join(sorted(allowed))})"
            )
    for found in phone_like(html):
        digits = re.sub(r"\D", "", found)
        if found.startswith("+"):
            digits = "0" + digits[2:]
        if digits not in allowed and digits not in former:
            raise PluginError(f"{where}: số điện thoại '{found}' không có trong content/data/hotlines.yml")


def _guard(output: str, config: MkDocsConfig, where: str) -> None:
    hotlines = config.extra["hotlines"]
    check_numbers(output, set(hotlines["numbers"]), set(hotlines["former"]), where)


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    _guard(output, config, page.file.src_uri)
    return output


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    _guard(output_content, config, template_name)
    return output_content
