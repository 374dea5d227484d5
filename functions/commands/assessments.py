"""``bvte assessments``: the office's view of the communes' self-assessments."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from ..config import Config

COLUMNS = [
    ("commune", "Xã"), ("former", "Gồm các xã cũ"), ("year", "Năm"), ("submitted", "Đã nộp"),
    ("version", "Lần gửi"), ("submitted_at", "Thời điểm nhận"), ("total", "Tổng điểm"),
    ("threshold", "Ngưỡng"), ("verdict", "Kết quả tự tính"), ("reasons", "Lý do"), ("rubric", "Bộ tiêu chí"),
    ("band_note", "Ghi chú ngưỡng"),
]


@click.group("assessments", help="Bản tự đánh giá của các xã theo Quyết định 06/QĐ-TTg.")
def group() -> None:
    pass


def _cell(row: dict, key: str):
    value = row[key]
    if key == "submitted":
        return "Có" if value else "Chưa"
    return "" if value is None else value


@group.command("report", help="Bảng mọi xã trong năm (đã nộp hay chưa): lần gửi sau cùng, tổng điểm, kết quả.")
@click.option("--year", type=int, required=True, help="Năm đánh giá, ví dụ 2025.")
@click.option("--xlsx", "xlsx_path", type=click.Path(path_type=Path), default=None, help="Ghi bảng ra tệp XLSX.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Ghi bảng ra tệp CSV (UTF-8).")
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="BVTE_DATA_DIR", default=None)
def report(year: int, xlsx_path: Path | None, csv_path: Path | None, data_dir: Path | None) -> None:
    import datetime as dt

    from ..core.assessments import report_rows
    from ..core.places import load_places
    from ..core.rubric import load_rubrics, rubric_in_force, rubrics_dir
    from ..storage import open_storage

    config = Config.from_env(data_dir=data_dir)
    try:
        # The assessment happens late in the year: the rubric in force at its end (or today).
        rubric = rubric_in_force(load_rubrics(rubrics_dir(config.content_dir)),
                                 min(dt.date(year, 12, 31), dt.date.today()))
    except LookupError:
        rubric = None
    rows = report_rows(open_storage(config), load_places(config.content_dir), year, rubric)
    shown = [("commune", 16), ("submitted", 7), ("version", 8), ("total", 10), ("threshold", 7), ("verdict", 16)]
    if any(r["band_note"] for r in rows):
        shown.append(("band_note", 0))
    labels = dict(COLUMNS)
    click.echo("  ".join(labels[k].ljust(w) for k, w in shown))
    for row in rows:
        click.echo("  ".join(str(_cell(row, k)).ljust(w) for k, w in shown))
    submitted = sum(1 for r in rows if r["submitted"])
    passed = sum(1 for r in rows if r["verdict"] == "Đạt")
    click.echo(f"{len(rows)} xã · {submitted} đã nộp · {passed} tự tính Đạt · năm {year}")
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel reads UTF-8
            writer = csv.writer(fh)
            writer.writerow([label for _, label in COLUMNS])
            for row in rows:
                writer.writerow([_cell(row, k) for k, _ in COLUMNS])
        click.echo(f"Đã ghi {csv_path}")
    if xlsx_path:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        ws.title = f"Tự đánh giá {year}"
        ws.append([label for _, label in COLUMNS])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_cell(row, k) for k, _ in COLUMNS])
        ws.freeze_panes = "A2"
        for letter, width in zip("ABCDEFGHIJKL", (16, 36, 7, 8, 8, 26, 10, 8, 16, 60, 22, 30)):
            ws.column_dimensions[letter].width = width
        wb.save(xlsx_path)
        click.echo(f"Đã ghi {xlsx_path}")
