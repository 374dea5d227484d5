"""Document type by content for assessment evidence: PDF, JPEG, PNG, XLSX, DOCX.

The name and the browser's content type are what the sender claims; the bytes are what counts.
Office files are zip archives: the archive is inspected (entry count and total uncompressed size
from its central directory, BEFORE anything is decompressed, so a zip bomb is refused unopened)
and recognised by ``[Content_Types].xml`` naming its main part.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO

import defusedxml.ElementTree as SafeET

PDF, JPEG, PNG, XLSX, DOCX = "pdf", "jpeg", "png", "xlsx", "docx"
LABELS = {PDF: "PDF", JPEG: "ảnh JPEG", PNG: "ảnh PNG", XLSX: "bảng tính Excel (XLSX)", DOCX: "văn bản Word (DOCX)"}
MEDIA_TYPES = {
    PDF: "application/pdf",
    JPEG: "image/jpeg",
    PNG: "image/png",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "xlsm",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.ms-word.document.macroEnabled.main+xml": "docm",
}
# Office documents are small XML: these bounds are far above any real self-assessment file.
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 200
_CONTENT_TYPES_MAX = 1024 * 1024


class ZipRejected(ValueError):
    """A zip archive refused before opening; ``too_large`` separates 413 from 415."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class Sniffed:
    kind: str | None  # one of PDF, JPEG, PNG, XLSX, DOCX, or None when not accepted
    described: str  # what the bytes are, in Vietnamese, for messages ("tệp PDF", "tệp chạy được (EXE)")


def describe_head(head: bytes) -> tuple[str | None, str]:
    """The kind from the first bytes alone; zip archives come back as ``"zip"`` to be inspected."""
    if head.startswith(b"%PDF-"):
        return PDF, "tệp PDF"
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG, "ảnh JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG, "ảnh PNG"
    if head.startswith(b"PK\x03\x04"):
        return "zip", "tệp nén ZIP"
    if head.startswith(b"MZ"):
        return None, "tệp chạy được (EXE)"
    if head.startswith(b"\x7fELF"):
        return None, "tệp chạy được (ELF)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return None, "tệp Office đời cũ (.doc/.xls)"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return None, "ảnh GIF"
    if head.startswith(b"Rar!"):
        return None, "tệp nén RAR"
    if not head:
        return None, "tệp rỗng"
    return None, "tệp không rõ loại"


def inspect_zip(stream: IO[bytes], *, max_uncompressed: int = ZIP_MAX_UNCOMPRESSED,
                max_entries: int = ZIP_MAX_ENTRIES) -> str | None:
    """The Office kind of a zip archive (``"xlsx"``, ``"docx"``, …) or None if it is another zip.

    Only the central directory and ``[Content_Types].xml`` (size-checked first) are read.
    Raises ``ZipRejected`` for archives that are broken or would expand past the limits.
    """
    stream.seek(0)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ZipRejected("Tệp nén bị hỏng hoặc không đọc được.") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > max_entries:
            raise ZipRejected(f"Tệp chứa quá nhiều thành phần ({len(infos)}).", too_large=True)
        total = sum(i.file_size for i in infos)
        if total > max_uncompressed:
            raise ZipRejected(
                f"Tệp khi giải nén sẽ lớn {total // (1024 * 1024)} MB, vượt giới hạn "
                f"{max_uncompressed // (1024 * 1024)} MB.", too_large=True)
        for i in infos:
            if i.compress_size and i.file_size / i.compress_size > ZIP_MAX_RATIO and i.file_size > 1024 * 1024:
                raise ZipRejected("Tệp có tỉ lệ nén bất thường (có thể là “bom nén”).", too_large=True)
        try:
            ct = archive.getinfo("[Content_Types].xml")
        except KeyError:
            return None
        if ct.file_size > _CONTENT_TYPES_MAX:
            raise ZipRejected("Tệp Office có phần mô tả bất thường.")
        try:
            root = SafeET.fromstring(archive.read(ct))
        except Exception:  # defusedxml raises several types; any of them means "not Office"
            return None
        for el in root:
            if el.tag.endswith("Override"):
                kind = _MAIN_PARTS.get(el.get("ContentType", ""))
                if kind:
                    return kind
    return None


def sniff(stream: IO[bytes], *, max_uncompressed: int = ZIP_MAX_UNCOMPRESSED) -> Sniffed:
    """What a seekable stream really holds. Raises ``ZipRejected`` for dangerous archives."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    kind, described = describe_head(head)
    if kind != "zip":
        return Sniffed(kind, described)
    office = inspect_zip(stream, max_uncompressed=max_uncompressed)
    stream.seek(0)
    if office in (XLSX, DOCX):
        return Sniffed(office, "bảng tính XLSX" if office == XLSX else "văn bản DOCX")
    if office in ("xlsm", "docm"):
        return Sniffed(None, "tệp Office có macro")
    return Sniffed(None, "tệp nén ZIP")
