"""The directives' front matter as Python values, and its validation: no mkdocs here.

A directive (``content/van-ban/``) is a document in the official form of Nghị định 30/2020/NĐ-CP; a
notice (``content/tin-tuc/``) is a news item about a document the site may not hold. ``parse_directive``
and ``parse_notice`` turn a front matter into a ``Directive`` / ``Notice`` or raise ``FieldError`` naming
the field and what was expected (the hook ``theme/hooks/directives.py`` adds the file and stops the build).
``split_front_matter`` separates a page's YAML front matter from its Markdown body.

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
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from babel.dates import format_date

from functions.core.text import fold, slugify
from functions.core.yaml_data import load_yaml  # libyaml: it matters at 10,000 directives


LOCALE = "vi"

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


# ---------------------------------------------------------------------------------------- front matter


class NotLoaded:
    """Marks a front matter not loaded yet (or that a worker could not load): ``split_front_matter`` loads
    it, and reports the line at fault."""


def front_matter_text(text: str) -> str | None:
    """The YAML between the ``---`` lines at the top of a page, or None when it has none."""
    m = _FRONT_MATTER.match(text)
    return m.group(1) if m else None


def split_front_matter(text: str, loaded: Any = NotLoaded) -> tuple[dict, str]:
    """The YAML front matter of a page's ``text`` and the Markdown after it.

    ``loaded``: the front matter already loaded (by a worker process), else ``NotLoaded``.
    """
    m = _FRONT_MATTER.match(text)
    if not m:
        raise FieldError("---", "phần đầu YAML (front matter) giữa hai dòng ---")
    try:
        data = load_yaml(m.group(1)) if loaded is NotLoaded else loaded
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" dòng {mark.line + 2}" if mark is not None else ""
        raise FieldError("---", f"YAML hợp lệ (lỗi ở{where}: {getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise FieldError("---", "phần đầu YAML là một bảng khóa: giá trị", data)
    return data, text[m.end() :].lstrip("\n")
