"""Directives (văn bản chỉ đạo) in the official form of Nghị định 30/2020/NĐ-CP, their index and Atom feed.

Every Markdown file under ``content/van-ban/`` is a directive; every file under ``content/tin-tuc/`` is a
notice (a news item about a document the site may not hold). This hook reads and validates their front
matter (a missing or malformed field stops the build with the file, the field and what was expected —
never a traceback), renders them with ``theme/directive.html`` / ``theme/notice.html``, and generates:

- ``van-ban/index.md``: all directives, newest first, 50 a page (``van-ban/trang-2/`` …);
- filter pages that work without JavaScript: ``van-ban/nam-2024/``, ``van-ban/co-quan/<issuer>/`` and
  ``van-ban/co-quan/<issuer>/nam-2024/`` (each paginated the same way);
- ``van-ban/feed.xml``: an Atom feed of the newest directives, linked from every index page.

Directives stay out of the nav (``not_in_nav: /van-ban/``): a nav holding every page makes the build
quadratic. Generated index pages are excluded from the search index (they only repeat trích yếu).
Speed (10,000 directives): each front matter is parsed once (``on_page_read_source`` hands mkdocs the body
alone), Babel dates are cached, and the site chrome of ``directive.html`` is rendered once per folder
depth and filled with each directive rendered alone (``directive-body.html``, ``on_post_page``).
From ``PARALLEL_FROM`` directives on, two forked worker processes (``_workers/bvte_prerender.py``) load the
front matters and render the directives' Markdown while mkdocs runs on one core; the main process takes a
worker's HTML only when the Markdown mkdocs would render is the same, and renders itself any page whose
rendering logged a message (strict mode counts warnings in the main process). The main process does not
wait for them while it reads pages: a directive's HTML is taken just before its page is built
(``on_page_context``, first of all plugins), so workers render while mkdocs renders templates.

Directive front matter (parts of a document per NĐ 30/2020 Điều 8 and Phụ lục I)::

    parent_body: ỦY BAN NHÂN DÂN TỈNH ĐIỆN BIÊN   # optional: the issuer's direct parent body, or null
    issuer:
      name: Ủy ban nhân dân huyện Mường Ảng        # full name: index filter, feed, cited-by
      header: [ỦY BAN NHÂN DÂN, HUYỆN MƯỜNG ẢNG]    # the issuer block at top left, one item per line
    number: 450            # digits; null or "" = not yet numbered (shown blank, with "chưa ghi số")
    symbol: UBND-LĐTBXH    # ký hiệu, without the number and the first "/"
    place: Mường Ảng       # địa danh of the date line
    date: 2023-04-18       # YYYY-MM-DD, or partial: YYYY-MM or YYYY (unknown parts shown as "…")
    type: Công văn         # one of DOCUMENT_TYPES (NĐ 30 Điều 7)
    subject: tăng cường …  # trích yếu; a Công văn shows it as "V/v …" under its number
    recipients:            # Kính gửi, as in the source (may be [] for types that have none)
      - Các cơ quan, ban, ngành, đoàn thể huyện;
    signature:
      authority:           # thẩm quyền ký, outermost first; prefix one of TM., KT., Q., TL., TUQ.
        - {prefix: TM., of: ỦY BAN NHÂN DÂN}
        - {prefix: KT., of: CHỦ TỊCH}
      title: PHÓ CHỦ TỊCH  # chức vụ of the signer
      signer: Đinh Văn Sơn
    distribution:          # Nơi nhận, as in the source; the last item is the archive line "Lưu: …"
      - Như trên;
      - "Lưu: VT."
    cites:                 # documents it cites (optional)
      - type: Công văn     # optional
        number: 2138/UBND-KGVX
        date: 2024-05-13   # full or partial, as above
        issuer: UBND tỉnh Điện Biên
        title: về việc …
        page: van-ban/x.md # optional: a page of this site (path under content/); a cited directive the
                           # site holds is linked even without it (matched on number/symbol)
    attachments:           # optional: files of this site (path under content/)
      - {title: Phụ lục, file: van-ban/tep/phu-luc.pdf}
    corrections:           # optional: a header field shown differently from the source, and why
      - {field: place, source: Muờng Ắng, shown: Mường Ảng, reason: …}
    notes: [ … ]           # optional: editor's notes shown under the document

The Markdown body is the text of the document (from "Thực hiện…" to "./."), as in the source.

Notice front matter (``content/tin-tuc/``): ``title``, ``category`` (the source's heading), ``date``
(full/partial, or null when the source gives none), ``source`` (where it was published), ``about`` (the
document it reports on: a cited-document mapping as above), ``cites`` and ``notes`` as above.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import multiprocessing
import os
import re
import sys
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_date
from markupsafe import escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo, for `functions`

from functions.core.text import fold, slugify  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent / "_workers"))  # importable by name: workers pickle it

import bvte_prerender  # noqa: E402

try:  # libyaml is ~20x faster than the pure-Python parser: it matters at 10,000 directives
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

DIRECTIVES = "van-ban/"
NOTICES = "tin-tuc/"
PAGE_SIZE = 50
FEED_ENTRIES = 50
FEED_URI = "van-ban/feed.xml"
LOCALE = "vi"
# Directives and notices from which the work is shared with worker processes: below this, forking costs
# more than it saves (and a build of the real site stays in one process).
PARALLEL_FROM = int(os.environ.get("BVTE_DIRECTIVES_PARALLEL_FROM", "500"))  # tests lower it
WORKERS = 2
RENDER_CHUNK = 50  # pages a worker renders at a time: small enough for the main process to start early

# Văn bản hành chính, Nghị định 30/2020/NĐ-CP Điều 7.
DOCUMENT_TYPES = (
    "Nghị quyết", "Quyết định", "Chỉ thị", "Quy chế", "Quy định", "Thông cáo", "Thông báo", "Hướng dẫn",
    "Chương trình", "Kế hoạch", "Phương án", "Đề án", "Dự án", "Báo cáo", "Biên bản", "Tờ trình", "Hợp đồng",
    "Công văn", "Công điện", "Bản ghi nhớ", "Bản thỏa thuận", "Giấy ủy quyền", "Giấy mời", "Giấy giới thiệu",
    "Giấy nghỉ phép", "Phiếu gửi", "Phiếu chuyển", "Phiếu báo", "Thư công",
)
AUTHORITY_PREFIXES = ("TM.", "KT.", "Q.", "TL.", "TUQ.")
CORRECTABLE = ("parent_body", "issuer.header", "place")  # header fields only: the body is never corrected
DIRECTIVE_KEYS = {
    "parent_body", "issuer", "number", "symbol", "place", "date", "type", "subject", "recipients",
    "signature", "distribution", "cites", "attachments", "corrections", "notes",
}
NOTICE_KEYS = {"title", "category", "date", "source", "about", "cites", "notes"}
# Names the generated pages use inside van-ban/: a directive file may not take them.
_RESERVED = re.compile(r"^(index|feed|co-quan|trang-\d+|nam-\d+)$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:\.\.\.|---)[ \t]*\n", re.DOTALL)
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_SYMBOL = re.compile(r"^[^\s/][^\s]*$")


class FieldError(Exception):
    """A front-matter field that is missing or malformed: which field, and what was expected."""

    def __init__(self, field_name: str, expected: str, got: Any = ...):
        self.field_name, self.expected, self.got = field_name, expected, got
        super().__init__(field_name)

    def message(self, path: str) -> str:
        got = "" if self.got is ... else f" (nhận được: {_show(self.got)})"
        return f'{path}: trường "{self.field_name}": cần {self.expected}{got}'


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 80 else text[:77] + "…"


# --------------------------------------------------------------------------------------------- values


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date whose month and day may be unknown (a draft published before it was dated)."""

    year: int
    month: int = 0  # 0 = unknown
    day: int = 0

    @property
    def complete(self) -> bool:
        return bool(self.month and self.day)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def iso(self) -> str:
        return "-".join(f"{n:02d}" if i else str(n) for i, n in enumerate((self.year, self.month, self.day)) if n)

    def long(self) -> str:
        """ "ngày 18 tháng 4 năm 2023"; "ngày … tháng … năm 2024" when day and month are unknown."""
        return _long_date(self.year, self.month, self.day)

    def on(self) -> str:
        """ "ngày 18/04/2023" — or "tháng 05/2024" / "năm 2024" when the source gives no more."""
        return ("ngày " if self.complete else "") + self.short()

    def short(self) -> str:
        """ "18/04/2023", "tháng 05/2024" or "năm 2024" for the index rows."""
        return _short_date(self.year, self.month, self.day)


# Babel formats a date in ~0.1 ms; 10,000 directives share a few thousand dates: format each once.
@functools.cache
def _long_date(year: int, month: int, day: int) -> str:
    # NĐ 30/2020 Phụ lục I: a day below 10 and the months 1 and 2 take a leading zero.
    pattern_day = "'ngày' dd" if day else "'ngày …'"
    pattern_month = ("'tháng' MM" if month <= 2 else "'tháng' M") if month else "'tháng …'"
    return format_date(dt.date(year, month or 1, day or 1), f"{pattern_day} {pattern_month} 'năm' y", locale=LOCALE)


@functools.cache
def _short_date(year: int, month: int, day: int) -> str:
    first = dt.date(year, month or 1, day or 1)
    if month and day:
        return format_date(first, "dd/MM/y", locale=LOCALE)
    if month:
        return format_date(first, "'tháng' MM/y", locale=LOCALE)
    return format_date(first, "'năm' y", locale=LOCALE)


@dataclass
class Cited:
    number: str
    date: PartialDate
    issuer: str
    title: str
    type: str = ""
    page: str = ""  # src_uri of a page of this site, when it holds the document

    def label(self) -> str:
        kind = f"{self.type} " if self.type else ""
        return f"{kind}số {self.number}"


@dataclass
class Authority:
    prefix: str
    of: str


@dataclass
class Signature:
    authority: list[Authority]
    title: str
    signer: str


@dataclass
class Attachment:
    title: str
    file: str


@dataclass
class Correction:
    field: str
    source: str
    shown: str
    reason: str


@dataclass
class Directive:
    src_uri: str
    url: str
    parent_body: str
    issuer_name: str
    issuer_header: list[str]
    number: str
    symbol: str
    place: str
    date: PartialDate
    type: str
    subject: str
    recipients: list[str]
    signature: Signature
    distribution: list[str]
    cites: list[Cited] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def numbered(self) -> bool:
        return bool(self.number)

    @property
    def number_symbol(self) -> str:
        """ "450/UBND-LĐTBXH", or "…/UBND-LĐTĐ&XH" when not yet numbered."""
        return f"{self.number or '…'}/{self.symbol}"

    @property
    def is_letter(self) -> bool:
        """A công văn carries its trích yếu as "V/v …" under the number, not as a title."""
        return self.type == "Công văn"

    @property
    def subject_line(self) -> str:
        return f"V/v {self.subject}" if self.is_letter else self.subject

    @property
    def title(self) -> str:
        return f"{self.type} số {self.number_symbol}: {self.subject_line}"

    @property
    def date_line(self) -> str:
        """ "Mường Ảng, ngày 18 tháng 4 năm 2023" (the date line, in italics in the layout)."""
        return f"{self.place}, {self.date.long()}"

    @functools.cached_property
    def issuer_slug(self) -> str:
        return slugify(self.issuer_name)

    @property
    def key(self) -> str:
        """What a citing document writes: "450/UBND-LĐTBXH" (folded, to match regardless of case)."""
        return fold(f"{self.number}/{self.symbol}")

    def sort_key(self) -> tuple:
        # Newest first: by date (unknown month/day sort first within their year), then by number.
        return (self.date, int(self.number) if self.number else 0, self.src_uri)


@dataclass
class Notice:
    src_uri: str
    url: str
    title: str
    category: str
    date: PartialDate | None
    source: str
    about: Cited
    cites: list[Cited]
    notes: list[str]


# ------------------------------------------------------------------------------------------ validation


def _text(data: dict, name: str, *, prefix: str = "", optional: bool = False, blank: bool = False) -> str:
    label = prefix + name
    if name not in data:
        if optional:
            return ""
        raise FieldError(label, "một chuỗi văn bản (trường bắt buộc, đang thiếu)")
    value = data[name]
    if value is None and (optional or blank):
        return ""
    if not isinstance(value, str) or (not value.strip() and not (optional or blank)):
        raise FieldError(label, "một chuỗi văn bản không rỗng", value)
    return value.strip()


def _text_list(data: dict, name: str, *, prefix: str = "", optional: bool = False, allow_empty: bool = True) -> list[str]:
    label = prefix + name
    if name not in data:
        if optional:
            return []
        raise FieldError(label, "một danh sách các dòng văn bản (trường bắt buộc, đang thiếu)")
    value = data[name]
    if value is None and optional:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FieldError(label, "một danh sách các dòng văn bản, mỗi dòng một chuỗi không rỗng", value)
    if not value and not allow_empty:
        raise FieldError(label, "ít nhất một dòng", value)
    return [v.strip() for v in value]


def _mapping(value: Any, label: str) -> dict:
    if not isinstance(value, dict):
        raise FieldError(label, "một bảng khóa: giá trị (mapping)", value)
    return value


def _date(data: dict, name: str, *, prefix: str = "", nullable: bool = False) -> PartialDate | None:
    label = prefix + name
    expected = "một ngày dạng YYYY-MM-DD, hoặc YYYY-MM / YYYY khi văn bản gốc chưa ghi đủ ngày"
    if name not in data:
        raise FieldError(label, expected + " (trường bắt buộc, đang thiếu)")
    value = data[name]
    if value is None and nullable:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FieldError(label, expected, value)
    m = _DATE.match(str(value).strip())
    if not m:
        raise FieldError(label, expected, value)
    year, month, day = (int(g) if g else 0 for g in m.groups())
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        raise FieldError(label, expected + " (ngày không có thật)", value) from None
    if not 1900 <= year <= 2200:
        raise FieldError(label, expected + " (năm từ 1900 đến 2200)", value)
    return PartialDate(year, month, day)


def _cited(value: Any, label: str) -> Cited:
    data = _mapping(value, label)
    unknown = set(data) - {"type", "number", "date", "issuer", "title", "page"}
    if unknown:
        raise FieldError(f"{label}.{sorted(unknown)[0]}", "chỉ các khóa type, number, date, issuer, title, page")
    number = data.get("number")
    if isinstance(number, int) and not isinstance(number, bool):
        number = str(number)
    if not isinstance(number, str) or not re.match(r"^\S+$", number.strip() or " "):
        raise FieldError(f"{label}.number", 'số, ký hiệu của văn bản được dẫn chiếu, ví dụ "2138/UBND-KGVX"', number)
    kind = _text(data, "type", prefix=label + ".", optional=True)
    if kind and kind not in DOCUMENT_TYPES and kind not in ("Luật", "Nghị định", "Thông tư", "Nghị định thư"):
        raise FieldError(f"{label}.type", "một loại văn bản, ví dụ Công văn, Kế hoạch, Chỉ thị, Nghị định", kind)
    page = _text(data, "page", prefix=label + ".", optional=True)
    if page and not page.endswith(".md"):
        raise FieldError(f"{label}.page", "đường dẫn một trang .md của trang web, tính từ content/", page)
    return Cited(
        number=number.strip(),
        date=_date(data, "date", prefix=label + "."),
        issuer=_text(data, "issuer", prefix=label + "."),
        title=_text(data, "title", prefix=label + "."),
        type=kind,
        page=page,
    )


def _cites(data: dict) -> list[Cited]:
    value = data.get("cites") or []
    if not isinstance(value, list):
        raise FieldError("cites", "một danh sách văn bản được dẫn chiếu (number, date, issuer, title)", value)
    return [_cited(item, f"cites[{i}]") for i, item in enumerate(value)]


def _signature(data: dict) -> Signature:
    if "signature" not in data:
        raise FieldError("signature", "khối chữ ký: authority, title, signer (trường bắt buộc, đang thiếu)")
    sig = _mapping(data["signature"], "signature")
    authority = sig.get("authority") or []
    if not isinstance(authority, list):
        raise FieldError("signature.authority", "một danh sách {prefix, of}", authority)
    lines = []
    for i, item in enumerate(authority):
        label = f"signature.authority[{i}]"
        item = _mapping(item, label)
        prefix = item.get("prefix")
        if prefix not in AUTHORITY_PREFIXES:
            raise FieldError(f"{label}.prefix", "một trong " + ", ".join(AUTHORITY_PREFIXES), prefix)
        lines.append(Authority(prefix, _text(item, "of", prefix=label + ".")))
    return Signature(lines, _text(sig, "title", prefix="signature."), _text(sig, "signer", prefix="signature."))


def _number(data: dict) -> str:
    if "number" not in data:
        raise FieldError("number", 'số văn bản (chữ số), hoặc null / "" khi văn bản chưa ghi số (trường bắt buộc, đang thiếu)')
    value = data["number"]
    if value is None or value == "":
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"\d{1,6}", value.strip()) and int(value):
        return value.strip()
    raise FieldError("number", 'số văn bản bằng chữ số (ví dụ 450), hoặc null / "" khi chưa ghi số', value)


def parse_directive(meta: dict, src_uri: str, url: str) -> Directive:
    unknown = set(meta) - DIRECTIVE_KEYS - {"title", "template", "hide", "search"}
    if unknown:
        raise FieldError(sorted(unknown)[0], "một trong các khóa: " + ", ".join(sorted(DIRECTIVE_KEYS)))
    if "issuer" not in meta:
        raise FieldError("issuer", "cơ quan ban hành: name, header (trường bắt buộc, đang thiếu)")
    issuer = _mapping(meta["issuer"], "issuer")
    symbol = meta.get("symbol")
    if not isinstance(symbol, str) or not _SYMBOL.match(symbol.strip()) or not re.search(r"[^\W\d_]", symbol):
        raise FieldError("symbol", 'ký hiệu văn bản không có số và dấu "/" đầu, không có khoảng trắng, ví dụ "UBND-LĐTBXH"',
                         symbol if "symbol" in meta else ...)
    kind = _text(meta, "type")
    if kind not in DOCUMENT_TYPES:
        raise FieldError("type", "một loại văn bản hành chính theo Nghị định 30/2020/NĐ-CP Điều 7 (ví dụ Công văn, Kế hoạch)", kind)
    distribution = _text_list(meta, "distribution", allow_empty=False)
    if not distribution[-1].startswith("Lưu:"):
        raise FieldError("distribution", 'dòng cuối của Nơi nhận là nơi lưu, bắt đầu bằng "Lưu:"', distribution[-1])
    attachments = []
    raw = meta.get("attachments") or []
    if not isinstance(raw, list):
        raise FieldError("attachments", "một danh sách {title, file}", raw)
    for i, item in enumerate(raw):
        item = _mapping(item, f"attachments[{i}]")
        attachments.append(Attachment(_text(item, "title", prefix=f"attachments[{i}]."),
                                      _text(item, "file", prefix=f"attachments[{i}].")))
    corrections = []
    raw = meta.get("corrections") or []
    if not isinstance(raw, list):
        raise FieldError("corrections", "một danh sách {field, source, shown, reason}", raw)
    for i, item in enumerate(raw):
        label = f"corrections[{i}]"
        item = _mapping(item, label)
        name = _text(item, "field", prefix=label + ".")
        if name not in CORRECTABLE:
            raise FieldError(f"{label}.field", "một trường phần đầu văn bản: " + ", ".join(CORRECTABLE)
                             + " (nội dung văn bản không được sửa)", name)
        corrections.append(Correction(name, _text(item, "source", prefix=label + "."),
                                      _text(item, "shown", prefix=label + "."), _text(item, "reason", prefix=label + ".")))
    return Directive(
        src_uri=src_uri,
        url=url,
        parent_body=_text(meta, "parent_body", optional=True),
        issuer_name=_text(issuer, "name", prefix="issuer."),
        issuer_header=_text_list(issuer, "header", prefix="issuer.", allow_empty=False),
        number=_number(meta),
        symbol=symbol.strip(),
        place=_text(meta, "place"),
        date=_date(meta, "date"),
        type=kind,
        subject=_text(meta, "subject"),
        recipients=_text_list(meta, "recipients"),
        signature=_signature(meta),
        distribution=distribution,
        cites=_cites(meta),
        attachments=attachments,
        corrections=corrections,
        notes=_text_list(meta, "notes", optional=True),
    )


def parse_notice(meta: dict, src_uri: str, url: str) -> Notice:
    unknown = set(meta) - NOTICE_KEYS - {"template", "hide", "search"}
    if unknown:
        raise FieldError(sorted(unknown)[0], "một trong các khóa: " + ", ".join(sorted(NOTICE_KEYS)))
    if "about" not in meta:
        raise FieldError("about", "văn bản mà tin nói đến: number, date, issuer, title (trường bắt buộc, đang thiếu)")
    return Notice(
        src_uri=src_uri,
        url=url,
        title=_text(meta, "title"),
        category=_text(meta, "category"),
        date=_date(meta, "date", nullable=True),
        source=_text(meta, "source"),
        about=_cited(meta["about"], "about"),
        cites=_cites(meta),
        notes=_text_list(meta, "notes", optional=True),
    )


def read_front_matter(file: File, text: str | None = None, loaded: Any = bvte_prerender.Failed) -> tuple[dict, str]:
    """The YAML front matter of ``file`` and the Markdown after it.

    Parsed once, here: ``on_page_read_source`` then hands mkdocs the body alone, so that 10,000 front
    matters are not parsed twice (YAML construction is the largest cost of this hook). ``text`` and
    ``loaded``: the file's text and its front matter already loaded by a worker (``_front_matters``).
    """
    if text is None:
        text = file.content_string
    m = _FRONT_MATTER.match(text)
    if not m:
        raise FieldError("---", "phần đầu YAML (front matter) giữa hai dòng ---")
    try:
        data = yaml.load(m.group(1), Loader=_Loader) if loaded is bvte_prerender.Failed else loaded
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" dòng {mark.line + 2}" if mark is not None else ""
        raise FieldError("---", f"YAML hợp lệ (lỗi ở{where}: {getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise FieldError("---", "phần đầu YAML là một bảng khóa: giá trị", data)
    return data, text[m.end() :].lstrip("\n")


# ------------------------------------------------------------------------------------- build state


@dataclass
class Listing:
    """One generated index page: a filter (issuer, year) and a page of rows."""

    src_uri: str
    title: str
    issuer: str  # slug, "" = all
    year: int  # 0 = all
    number: int  # 1-based page number
    pages: int
    rows: list[Directive]


@dataclass
class State:
    directives: dict[str, Directive] = field(default_factory=dict)  # by src_uri
    notices: dict[str, Notice] = field(default_factory=dict)
    # ("450/ubnd-ldtbxh", 2023) -> the directives of that number/symbol and year (one per issuer)
    by_key: dict[tuple[str, int], list[Directive]] = field(default_factory=dict)
    listings: dict[str, Listing] = field(default_factory=dict)
    issuers: dict[str, str] = field(default_factory=dict)  # slug -> name
    years: list[int] = field(default_factory=list)
    docs: set[str] = field(default_factory=set)  # src_uris of every file of the site
    sources: dict[str, tuple[dict, str]] = field(default_factory=dict)  # src_uri -> (front matter, body)


STATE = State()
_FILES: dict[str, Files] = {}
_ENV: dict[str, Any] = {}
# Chrome of a directive page, rendered once per folder depth (relative links are the same at one depth).
_SHELLS: dict[int, str] = {}
_CONTENT_MARK = "\x00bvte-directive-content\x00"
_TITLE_MARK = "\x00bvte-directive-title\x00"
_URL_MARK = "bvte-directive-canonical-url"


def listing_uri(issuer: str, year: int, number: int) -> str:
    parts = [DIRECTIVES.rstrip("/")]
    if issuer:
        parts += ["co-quan", issuer]
    if year:
        parts.append(f"nam-{year}")
    if number > 1:
        parts.append(f"trang-{number}")
    return "/".join(parts) + "/index.md"


_LISTING_MD = """---
title: {title}
template: directives_index.html
search:
  exclude: true
hide:
  - toc
---
"""


def _fork_pool() -> ProcessPoolExecutor | None:
    if "fork" not in multiprocessing.get_all_start_methods():
        return None  # workers would re-import mkdocs and the hooks: not worth it
    return ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("fork"))


def _front_matters(pages: list[File]) -> dict[str, tuple[str, Any]]:
    """src_uri -> (text, front matter loaded by a worker, or ``Failed``) for many pages, else {}.

    Only loading is shared out (turning YAML into Python objects is the cost); every check, and every
    error message, stays in ``_collect``, in file order.
    """
    if len(pages) < PARALLEL_FROM:
        return {}
    texts: dict[str, str] = {}
    heads: list[str] = []
    for file in pages:
        try:
            text = file.content_string
        except Exception:
            continue  # _collect reads it again and names the file
        m = _FRONT_MATTER.match(text)
        if m:
            texts[file.src_uri] = text
            heads.append(m.group(1))
    pool = _fork_pool()
    if pool is None:
        return {}
    with pool:
        step = -(-len(heads) // (WORKERS * 4))
        loaded = [data for chunk in pool.map(bvte_prerender.load_yaml_many, [heads[i : i + step] for i in range(0, len(heads), step)])
                  for data in chunk]
    return {uri: (text, data) for (uri, text), data in zip(texts.items(), loaded, strict=True)}


def _collect(files: Files, config: MkDocsConfig) -> State:
    state = State()
    pages = [f for f in files.documentation_pages() if f.src_uri.startswith((DIRECTIVES, NOTICES))]
    preloaded = _front_matters(pages)
    for file in pages:
        uri = file.src_uri
        in_directives = uri.startswith(DIRECTIVES)
        where = f"{config.docs_dir.rstrip('/')}/{uri}"
        try:
            meta, body = read_front_matter(file, *preloaded.get(uri, (None, bvte_prerender.Failed)))
            state.sources[uri] = (meta, body)
            if in_directives:
                stem = Path(uri).stem
                if _RESERVED.match(stem):
                    raise FieldError("(tên tệp)", f'tên tệp khác các tên dành cho trang mục lục ({stem}.md)')
                d = parse_directive(meta, uri, file.url)
                if d.numbered:
                    # Numbers restart each 1 January and are unique in the year for one issuer (NĐ 30).
                    held = state.by_key.setdefault((d.key, d.date.year), [])
                    other = next((o for o in held if o.issuer_slug == d.issuer_slug), None)
                    if other is not None:
                        raise FieldError("number", f"số, ký hiệu không trùng trong năm (đã dùng ở {other.src_uri})", d.number_symbol)
                    held.append(d)
                state.directives[uri] = d
            else:
                state.notices[uri] = parse_notice(meta, uri, file.url)
        except FieldError as exc:
            raise PluginError(exc.message(where)) from None
        except Exception as exc:  # a validator bug must still name the file, not print a traceback
            raise PluginError(f"{where}: không đọc được phần đầu văn bản: {type(exc).__name__}: {exc}") from None
    return state


def _check_links(state: State, config: MkDocsConfig) -> None:
    for doc in [*state.directives.values(), *state.notices.values()]:
        where = f"{config.docs_dir.rstrip('/')}/{doc.src_uri}"
        cited = list(enumerate(doc.cites))
        for i, c in cited:
            if c.page and c.page not in state.docs:
                raise PluginError(FieldError(f"cites[{i}].page", "một trang có trong content/", c.page).message(where))
        if isinstance(doc, Notice) and doc.about.page and doc.about.page not in state.docs:
            raise PluginError(FieldError("about.page", "một trang có trong content/", doc.about.page).message(where))
        for i, a in enumerate(getattr(doc, "attachments", [])):
            if a.file not in state.docs:
                raise PluginError(FieldError(f"attachments[{i}].file", "một tệp có trong content/", a.file).message(where))


def _listings(state: State) -> dict[str, Listing]:
    ordered = sorted(state.directives.values(), key=Directive.sort_key, reverse=True)
    groups: dict[tuple[str, int], list[Directive]] = {("", 0): ordered}
    for d in ordered:  # already newest first, so every group is too
        for key in (("", d.date.year), (d.issuer_slug, 0), (d.issuer_slug, d.date.year)):
            groups.setdefault(key, []).append(d)
    listings = {}
    for (issuer, year), rows in groups.items():
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        for n in range(1, pages + 1):
            title = "Văn bản chỉ đạo"
            if issuer:
                title += f" của {state.issuers[issuer]}"
            if year:
                title += f" năm {year}"
            if n > 1:
                title += f" (trang {n})"
            uri = listing_uri(issuer, year, n)
            listings[uri] = Listing(uri, title, issuer, year, n, pages, rows[(n - 1) * PAGE_SIZE : n * PAGE_SIZE])
    return listings


def _feed(state: State, config: MkDocsConfig) -> str:
    """Atom (RFC 4287). Links are absolute when ``site_url`` is set, else relative to the feed."""
    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)
    base = (config.site_url or "").rstrip("/")

    def href(url: str) -> str:
        return f"{base}/{url}" if base else get_relative_url(url, FEED_URI)

    def el(parent, tag, text=None, **attrs):
        node = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            node.text = text
        return node

    ordered = sorted(state.directives.values(), key=Directive.sort_key, reverse=True)[:FEED_ENTRIES]
    feed = ET.Element(f"{{{ns}}}feed", {"xml:lang": "vi"})
    el(feed, "title", f"Văn bản chỉ đạo — {config.site_name}")
    el(feed, "id", "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, (base or config.site_name) + "/" + FEED_URI)))
    newest = ordered[0].date.first_day if ordered else dt.date(2000, 1, 1)
    el(feed, "updated", f"{newest.isoformat()}T00:00:00Z")
    el(feed, "link", rel="self", href=href(FEED_URI))
    el(feed, "link", rel="alternate", type="text/html", href=href(DIRECTIVES))
    for d in ordered:
        entry = el(feed, "entry")
        el(entry, "title", d.title)
        el(entry, "id", "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, (base or config.site_name) + "/" + d.url)))
        # A partial date ("năm 2024") is dated to its first day; the summary gives it as in the source.
        el(entry, "updated", f"{d.date.first_day.isoformat()}T00:00:00Z")
        el(entry, "link", rel="alternate", type="text/html", href=href(d.url))
        author = el(entry, "author")
        el(author, "name", d.issuer_name)
        el(entry, "summary", f"{d.date_line}. {d.subject_line}.")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode")


# ---------------------------------------------------------------------------------------- mkdocs events


def on_files(files: Files, config: MkDocsConfig) -> Files:
    global STATE
    state = _collect(files, config)
    state.docs = {f.src_uri for f in files}
    _check_links(state, config)
    state.issuers = {d.issuer_slug: d.issuer_name for d in state.directives.values()}
    state.years = sorted({d.date.year for d in state.directives.values()}, reverse=True)
    state.listings = _listings(state)
    for uri, listing in state.listings.items():
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=_LISTING_MD.format(title=json.dumps(listing.title, ensure_ascii=False))))
    files.append(File.generated(config, FEED_URI, content=_feed(state, config)))
    STATE = state
    _FILES["files"] = files  # the page context does not carry Files: kept for link resolution
    return files


# Directives being rendered by workers: src_uri -> (future of its chunk, index in the chunk).
_RENDERING: dict[str, tuple[Future, int]] = {}
_POOL: list[ProcessPoolExecutor] = []


def on_nav(nav, config: MkDocsConfig, files: Files):
    """Start rendering the directives in workers: every hook's ``on_files`` has run, the files are final."""
    _stop_workers()
    uris = [f.src_uri for f in files.documentation_pages() if f.src_uri in STATE.directives]
    if len(uris) < PARALLEL_FROM:
        return nav
    bvte_prerender.JOB.update(config=config, files=files)  # forked with the workers: nothing is pickled
    pool = _fork_pool()
    if pool is None:
        return nav
    _POOL.append(pool)
    for start in range(0, len(uris), RENDER_CHUNK):
        chunk = uris[start : start + RENDER_CHUNK]
        future = pool.submit(bvte_prerender.render_pages, chunk)
        _RENDERING.update((uri, (future, i)) for i, uri in enumerate(chunk))
    bvte_prerender.JOB.clear()
    return nav


def _stop_workers() -> None:
    for pool in _POOL:
        pool.shutdown(wait=True, cancel_futures=True)
    _POOL.clear()
    _RENDERING.clear()


def _render_later(page: Page, config: MkDocsConfig, files: Files) -> None:
    """``Page.render`` for a directive a worker renders: empty until ``_take_rendered`` fills it in."""
    del page.render  # the class's method again
    page.content, page.toc, page.present_anchor_ids = "", get_toc([]), set()


def _take_rendered(page: Page, config: MkDocsConfig) -> None:
    """The worker's HTML of a directive when it rendered the same Markdown, else rendered here as mkdocs
    would (``Page.render``, then the ``on_page_content`` events)."""
    future, i = _RENDERING.pop(page.file.src_uri)
    files = _FILES["files"]
    result = future.result()[i]
    if result is None or result[0] != page.markdown:
        page.render(config, files)
        page.content = config.plugins.on_page_content(page.content, page=page, config=config, files=files)
        return
    _markdown, page.content, page.toc, page._title_from_render, page.present_anchor_ids, links = result
    if links is not None:
        page.links_to_anchors = {files.get_file_from_path(uri): anchors for uri, anchors in links.items()}


def on_build_error(error: Exception) -> None:
    _stop_workers()


def on_page_read_source(page: Page, config: MkDocsConfig) -> str | None:
    """The body of a directive or notice, with an empty front matter: its own was parsed in on_files."""
    source = STATE.sources.get(page.file.src_uri)
    return None if source is None else "---\n{}\n---\n" + source[1]


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    uri = page.file.src_uri
    if uri in STATE.sources:
        page.meta = dict(STATE.sources[uri][0])
    if uri in _RENDERING and not bvte_prerender.JOB:  # (JOB is set in the workers only)
        page.render = functools.partial(_render_later, page)  # type: ignore[method-assign]
    if uri in STATE.directives:
        d = STATE.directives[uri]
        # Titles are HTML in mkdocs and material prints them unescaped ("…/UBND-LĐTĐ&XH"): escape here.
        page.meta.update(title=str(escape(d.title)), template="directive-body.html", hide=["navigation", "toc"])
    elif uri in STATE.notices:
        page.meta.update(title=str(escape(STATE.notices[uri].title)), template="notice.html", hide=["navigation", "toc"])
    return markdown


def _issuer_words(name: str) -> str:
    return re.sub(r"\bubnd\b", "uy ban nhan dan", fold(name)).strip()


def _held(c: Cited) -> Directive | None:
    """The directive of this site a citation names: same number/symbol and year, and the same issuer
    when several issuers used that number/symbol in that year."""
    held = STATE.by_key.get((fold(c.number), c.date.year), [])
    if len(held) > 1:
        held = [d for d in held if _issuer_words(d.issuer_name) == _issuer_words(c.issuer)]
    return held[0] if len(held) == 1 else None


def _cited_links(cites: list[Cited], page: Page, files: Files) -> list[tuple[Cited, str]]:
    """Each cited document with a URL relative to ``page`` when the site holds it, else ""."""
    out = []
    for c in cites:
        target = c.page
        if not target:
            held = _held(c)
            target = held.src_uri if held else ""
        url = ""
        if target:
            f = files.get_file_from_path(target)
            url = get_relative_url(f.url, page.url) if f is not None else ""
        out.append((c, url))
    return out


@event_priority(100)  # first: the search plugin and the template need a directive's HTML
def on_page_context(context: dict, page: Page, config: MkDocsConfig, nav) -> dict:
    uri = page.file.src_uri
    if uri in _RENDERING:
        _take_rendered(page, config)
    files = _FILES["files"]
    feed_url = get_relative_url(FEED_URI, page.url)
    if uri in STATE.directives:
        d = STATE.directives[uri]
        context["directive"] = d
        context["cited"] = _cited_links(d.cites, page, files)
        context["attachments"] = [(a, get_relative_url(files.get_file_from_path(a.file).url, page.url)) for a in d.attachments]
        context["index_url"] = get_relative_url(DIRECTIVES, page.url)
        _ensure_shell(context, page)
    elif uri in STATE.notices:
        n = STATE.notices[uri]
        context["notice"] = n
        context["about"] = _cited_links([n.about], page, files)[0]
        context["cited"] = _cited_links(n.cites, page, files)
        context["index_url"] = get_relative_url(DIRECTIVES, page.url)
    elif uri in STATE.listings:
        listing = STATE.listings[uri]
        rel = lambda target: get_relative_url(target, page.url)  # noqa: E731
        context["listing"] = listing
        context["feed_url"] = feed_url
        context["rows"] = [(d, rel(d.url)) for d in listing.rows]
        context["year_filters"] = [
            (str(y) if y else "Tất cả các năm", rel(listing_uri(listing.issuer, y, 1).removesuffix("index.md")), y == listing.year)
            for y in [0, *STATE.years]
            if not y or listing_uri(listing.issuer, y, 1) in STATE.listings
        ]
        context["issuer_filters"] = [
            (name or "Tất cả cơ quan", rel(listing_uri(slug, listing.year, 1).removesuffix("index.md")), slug == listing.issuer)
            for slug, name in [("", ""), *sorted(STATE.issuers.items(), key=lambda kv: fold(kv[1]))]
            if not slug or listing_uri(slug, listing.year, 1) in STATE.listings
        ]
        # A window of page links (first, last, current ± 2): 200 links on each of 200 pages would not be light.
        shown = sorted({1, listing.pages, *range(max(1, listing.number - 2), min(listing.pages, listing.number + 2) + 1)})
        context["pager"] = [
            (n, rel(listing_uri(listing.issuer, listing.year, n).removesuffix("index.md")), n == listing.number)
            for n in shown
        ] if listing.pages > 1 else []
        if listing.number == 1 and not listing.issuer and not listing.year:
            notices = sorted(STATE.notices.values(), key=lambda n: (n.about.date, n.src_uri), reverse=True)
            context["notices"] = [(n, rel(n.url)) for n in notices]
    return context


def on_env(env, config: MkDocsConfig, files: Files):
    _ENV["env"] = env
    _SHELLS.clear()
    return env


def _depth(page: Page) -> int:
    return page.url.count("/")


def _ensure_shell(context: dict, page: Page) -> None:
    """Render directive.html once for this folder depth with markers for the title, URL and article."""
    depth = _depth(page)
    if depth in _SHELLS:
        return
    title, canonical = page.meta.get("title"), page.canonical_url
    page.meta["title"] = _TITLE_MARK
    if canonical:
        page.canonical_url = _URL_MARK
    try:
        shell = _ENV["env"].get_template("directive.html").render({**context, "directive_shell": _CONTENT_MARK})
    finally:
        page.meta["title"] = title
        page.canonical_url = canonical
    if shell.count(_CONTENT_MARK) != 1 or "\x00" in shell.replace(_CONTENT_MARK, "").replace(_TITLE_MARK, ""):
        raise PluginError(f"theme/directive.html: cần đúng một chỗ cho nội dung văn bản ({page.file.src_uri})")
    _SHELLS[depth] = shell


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """A directive rendered alone (directive-body.html) goes into the shell of its folder depth."""
    if page.file.src_uri not in STATE.directives:
        return output
    shell = _SHELLS[_depth(page)]
    return (shell.replace(_TITLE_MARK, page.meta["title"]).replace(_URL_MARK, page.canonical_url or "")
            .replace(_CONTENT_MARK, output.strip()))


def on_post_build(config: MkDocsConfig) -> None:
    _stop_workers()  # every page is built: the workers are idle
