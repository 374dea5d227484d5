"""The public list of communes recognised as child-friendly ("xã phù hợp với trẻ em"), by year.

``content/data/recognised.yml`` is typed by the office from each signed decision: one entry per commune and
year with ``commune`` (today's commune id in places.yml), ``year`` (the assessment year), ``decision_number``,
``decision_date`` (YYYY-MM-DD) and ``issuer`` — nothing is inferred or filled in. This hook checks the file
when the build starts (a ``PluginError`` naming the file, the entry and the field, never a traceback) and
replaces the marker ``<!-- bvte:recognised -->`` in a page's Markdown with the list, newest year first,
or a sentence saying there is none yet. It runs before the search plugin reads the page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

from functions.core.places import PlacesError, load_places
from functions.core.yaml_data import load_yaml

DATA_FILE = "data/recognised.yml"
MARKER = re.compile(r"^[ \t]*<!--\s*bvte:recognised\s*-->[ \t]*$", re.MULTILINE)
FIELDS = ("commune", "year", "decision_number", "decision_date", "issuer")
FIRST_YEAR = 2019  # Quyết định 06/QĐ-TTg is of 03/01/2019
MAX_TEXT = 200
NONE_YET = "Chưa có xã nào được công nhận trong dữ liệu của văn phòng."
_state: dict[str, Any] = {}


@dataclass(frozen=True)
class Recognition:
    commune_id: str
    commune_label: str
    year: int
    decision_number: str
    decision_date: dt.date
    issuer: str


class RecognisedError(ValueError):
    """A problem in the data file, as a Vietnamese sentence naming the file, the entry and the field."""


def _text(entry: dict, name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RecognisedError(f"{where}: trường '{name}' phải là chữ, không được để trống (chép đúng như trên quyết định).")
    if len(value.strip()) > MAX_TEXT:
        raise RecognisedError(f"{where}: trường '{name}' dài quá {MAX_TEXT} ký tự.")
    return value.strip()


def _entry(entry: Any, where: str, communes: dict, today: dt.date) -> Recognition:
    """One entry checked field by field."""
    if not isinstance(entry, dict):
        raise RecognisedError(f"{where}: mỗi mục phải có các trường {', '.join(FIELDS)}.")
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise RecognisedError(f"{where}: trường '{unknown[0]}' không dùng ở đây (chỉ có: {', '.join(FIELDS)}).")
    commune = communes.get(entry.get("commune"))
    if commune is None:
        raise RecognisedError(f"{where}: trường 'commune' là {entry.get('commune')!r}, không phải mã xã trong "
                              f"content/data/places.yml (có: {', '.join(communes)}).")
    year = entry.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= today.year:
        raise RecognisedError(f"{where}: trường 'year' là {year!r}: cần năm đánh giá, từ {FIRST_YEAR} đến {today.year}.")
    date = entry.get("decision_date")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise RecognisedError(f"{where}: trường 'decision_date' là {date!r}: cần ngày dạng năm-tháng-ngày, ví dụ 2026-12-15.")
    if date > today or date.year < year:
        raise RecognisedError(f"{where}: trường 'decision_date' ({date.isoformat()}) phải từ năm {year} đến hôm nay.")
    return Recognition(commune.id, commune.label, year, _text(entry, "decision_number", where), date,
                       _text(entry, "issuer", where))


def load_recognised(content_dir: Path, today: dt.date | None = None) -> list[Recognition]:
    """Every recognition in the data file, checked; ``RecognisedError`` for the first problem."""
    path = Path(content_dir) / DATA_FILE
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecognisedError(f"{path}: tệp không có (một danh sách rỗng `recognised: []` khi chưa có xã nào).") from None
    except yaml.YAMLError as exc:
        raise RecognisedError(f"{path}: không đọc được YAML ({type(exc).__name__}).") from None
    entries = data.get("recognised") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise RecognisedError(f"{path}: trường 'recognised' phải là một danh sách (rỗng khi chưa có xã nào).")
    try:
        communes = {c.id: c for c in load_places(content_dir).communes}
    except PlacesError as exc:
        raise RecognisedError(str(exc)) from None
    found, seen = [], set()
    for i, entry in enumerate(entries):
        item = _entry(entry, f"{path}: recognised[{i}]", communes, today or dt.date.today())
        if (item.commune_id, item.year) in seen:
            raise RecognisedError(f"{path}: recognised[{i}]: xã '{item.commune_id}' năm {item.year} đã có ở mục trước.")
        seen.add((item.commune_id, item.year))
        found.append(item)
    return found


def render_list(items: list[Recognition]) -> str:
    """HTML of the list by year, newest first (every value escaped), or the none-yet sentence."""
    if not items:
        return f'\n<p class="bvte-recognised bvte-recognised--none">{NONE_YET}</p>\n'
    out = ['<div class="bvte-recognised">']
    ordered = sorted(items, key=lambda r: (-r.year, r.commune_label))
    for year, group in groupby(ordered, key=lambda r: r.year):
        out.append(f'<h2 id="nam-{year}">Năm {year}</h2>')
        out.append('<table><thead><tr><th scope="col">Xã</th><th scope="col">Quyết định công nhận</th>'
                   '<th scope="col">Ngày</th><th scope="col">Cơ quan ban hành</th></tr></thead><tbody>')
        for r in group:
            out.append(f"<tr><td>{html.escape(r.commune_label)}</td><td>{html.escape(r.decision_number)}</td>"
                       f"<td>{r.decision_date.strftime('%d/%m/%Y')}</td><td>{html.escape(r.issuer)}</td></tr>")
        out.append("</tbody></table>")
    out.append("</div>")
    return "\n" + "\n".join(out) + "\n"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    try:
        _state["items"] = load_recognised(Path(config.docs_dir))
    except RecognisedError as exc:
        raise PluginError(str(exc)) from None
    return config


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, **_: Any) -> str:
    if "bvte:recognised" not in markdown:
        return markdown
    return MARKER.sub(lambda _m: render_list(_state["items"]), markdown)
