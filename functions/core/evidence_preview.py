"""What a reviewer reads of an XLSX or DOCX evidence file, from its bytes in memory: a table or plain text.

PDF and images are shown by the browser itself (under a sandbox CSP, see functions/console/review.py);
spreadsheets and documents never reach the browser as files. Only cell values (``data_only``: never
formulas evaluated here) and paragraph text are read, with bounds so a huge sheet cannot fill a page.
Files sent in the form were checked by content at intake (``filetypes.sniff``: zip size and entry limits);
a file sealed in the browser never was (the server cannot read it), so ``kind_problem`` checks every file by
content when it is opened, before anything is shown.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from defusedxml import ElementTree

from . import filetypes

MAX_ROWS = 200
MAX_COLUMNS = 30
MAX_PARAGRAPHS = 2000
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class PreviewError(ValueError):
    """The file cannot be read as its kind says; the message is Vietnamese."""


@dataclass(frozen=True)
class Sheet:
    title: str
    rows: list[list[str]]
    truncated: bool


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_sheets(data: bytes) -> list[Sheet]:
    """Every sheet's values, at most ``MAX_ROWS`` × ``MAX_COLUMNS`` each, empty trailing rows dropped."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise PreviewError("Không đọc được bảng tính này.") from exc
    sheets = []
    try:
        for ws in workbook.worksheets:
            rows, truncated = [], False
            for i, row in enumerate(ws.iter_rows(values_only=True)):
                if i >= MAX_ROWS:
                    truncated = True
                    break
                truncated = truncated or len(row) > MAX_COLUMNS
                rows.append([_cell(v) for v in row[:MAX_COLUMNS]])
            while rows and not any(rows[-1]):
                rows.pop()
            sheets.append(Sheet(ws.title, rows, truncated))
    finally:
        workbook.close()
    return sheets


def docx_paragraphs(data: bytes) -> list[str]:
    """The document's paragraphs as plain text (word/document.xml, parsed with defusedxml)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("word/document.xml")
        root = ElementTree.fromstring(xml)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError) as exc:
        raise PreviewError("Không đọc được văn bản này.") from exc
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        text = "".join(node.text or "" for node in paragraph.iter(f"{_W}t"))
        if text.strip():
            paragraphs.append(text)
        if len(paragraphs) >= MAX_PARAGRAPHS:
            break
    return paragraphs


def kind_problem(data: bytes, kind: str) -> str:
    """"" when ``data`` is by content the ``kind`` its record names, else why it is refused, in Vietnamese."""
    try:
        sniffed = filetypes.sniff(io.BytesIO(data))
    except filetypes.ZipRejected as exc:
        return f"Tệp minh chứng bị từ chối, không mở: {exc}"
    if sniffed.kind != kind:
        return (f"Tệp minh chứng không đúng loại đã khai ({filetypes.LABELS.get(kind, kind)}): thực chất là "
                f"{sniffed.described}. Tệp không được mở.")
    return ""
