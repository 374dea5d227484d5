"""``bvte assessments``: the office's view of the communes' self-assessments."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from ..config import Config
from .session import data_dir_option, key_option

COLUMNS = [
    ("commune", "Xã"), ("former", "Gồm các xã cũ"), ("year", "Năm"), ("submitted", "Đã nộp"),
    ("version", "Lần gửi"), ("submitted_at", "Thời điểm nhận"), ("total", "Tổng điểm"),
    ("threshold", "Ngưỡng"), ("verdict", "Kết quả tự tính"), ("reasons", "Lý do"), ("rubric", "Bộ tiêu chí"),
    ("band_note", "Ghi chú ngưỡng"),
    ("review_status", "Trạng thái xem xét"), ("reviewed_version", "Lần gửi đã xem xét"),
    ("verified_total", "Tổng điểm xác minh"), ("verified_verdict", "Kết quả theo điểm xác minh"),
    ("deadline", "Hạn nộp bổ sung"),
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
    storage = open_storage(config)
    rows = with_reviews(report_rows(storage, load_places(config.content_dir), year, rubric), storage, year,
                        _report_verifier(config))
    shown = [("commune", 16), ("submitted", 7), ("version", 8), ("total", 10), ("threshold", 7), ("verdict", 16),
             ("review_status", 20), ("verified_total", 10)]
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
        _write_csv(csv_path, rows)
    if xlsx_path:
        _write_xlsx(xlsx_path, rows, year)


def _write_csv(csv_path: Path, rows: list[dict]) -> None:
    with open(csv_path, "w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel reads UTF-8
        writer = csv.writer(fh)
        writer.writerow([label for _, label in COLUMNS])
        for row in rows:
            writer.writerow([_cell(row, k) for k, _ in COLUMNS])
    click.echo(f"Đã ghi {csv_path}")


def _write_xlsx(xlsx_path: Path, rows: list[dict], year: int) -> None:
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
    for letter, width in zip("ABCDEFGHIJKLMNOPQ", (16, 36, 7, 8, 8, 26, 10, 8, 16, 60, 22, 30, 20, 8, 10, 16, 12)):
        ws.column_dimensions[letter].width = width
    wb.save(xlsx_path)
    click.echo(f"Đã ghi {xlsx_path}")


# -- the office's review --------------------------------------------------------------------------

def _report_verifier(config: Config):
    """Who may sign reviews, from the office root and its keyring; None when the office has no root yet
    (then no review counts and the report says "chưa xem xét")."""
    from ..core import office_keys, review_store
    from ..keys import load_office_root
    from ..storage import open_storage

    root = load_office_root(config)
    if root is None:
        return None
    return review_store.verifier(root, office_keys.keyring_versions(open_storage(config), root))


def with_reviews(rows: list[dict], storage, year: int, verify) -> list[dict]:
    """The report's rows with each commune's review status, the verified total and its verdict."""
    from ..core import review_store
    from ..core.assessment_review import STATUSES

    for row in rows:
        row.update(review_status="", reviewed_version=None, verified_total=None, verified_verdict="", deadline="")
        if not row["submitted"]:
            continue
        found = review_store.standing(storage, year, row["commune_id"], verify)
        row["review_status"] = STATUSES[found.status]
        if found.review is not None:
            document = found.review.document
            row.update(reviewed_version=document["version"], verified_total=document.get("verified_total"),
                       verified_verdict=document.get("computed", {}).get("verdict", ""),
                       deadline=document.get("deadline") or "")
    return rows


def _numbered(pairs: tuple[str, ...], rubric, field: str, option: str) -> dict[str, str]:
    """``N=VALUE`` options as form values keyed by the criterion's review field."""
    from ..core.assessment_review import field_names

    values = {}
    for pair in pairs:
        number, sep, value = pair.partition("=")
        criterion = next((c for c in rubric.criteria if number.strip() == str(c.number)), None)
        if not sep or criterion is None:
            raise click.BadParameter(f"“{pair}”: cần dạng N=GIÁ_TRỊ với N là số tiêu chí 1–{len(rubric.criteria)}.",
                                     param_hint=option)
        values[field_names(criterion.id)[field]] = value
    return values


def _review_values(rubric, verdict, score, reason, comment, outcome, deadline) -> dict[str, str]:
    values = {"outcome": outcome, "deadline": deadline or ""}
    for pairs, field, option in ((verdict, "verdict", "--verdict"), (score, "score", "--score"),
                                 (reason, "reason", "--reason"), (comment, "comment", "--comment")):
        values.update(_numbered(pairs, rubric, field, option))
    return values


def _may_review(session, actor, commune_id: str) -> None:
    if actor.officer_id is None:
        return
    officer = session.keyring.officer(actor.officer_id)
    if officer is None or not officer.covers(commune_id):
        raise click.ClickException(f"Cán bộ {actor.officer_id} không phụ trách xã này: không xem xét được.")


def _submission_rubric(config: Config, record: dict):
    from ..core.rubric import find_rubric, load_rubrics, rubrics_dir

    found = find_rubric(load_rubrics(rubrics_dir(config.content_dir)), record.get("rubric", {}).get("id", ""))
    if found is None:
        raise click.ClickException("Không tìm thấy bộ tiêu chí mà bản tự đánh giá này đã dùng.")
    return found


def _print_decision(decision, record: dict, commune_label: str) -> None:
    click.echo(f"{commune_label} · năm {record['year']} · lần gửi {record['version']}: {decision.outcome_label}"
               + (f" (hạn nộp bổ sung {decision.deadline:%d/%m/%Y})" if decision.deadline else ""))
    for c in decision.criteria:
        changed = f" (xã tự chấm {c.claimed}; lý do: {c.reason})" if c.verified != c.claimed else ""
        click.echo(f"  Tiêu chí {c.number}: {c.verdict_label} · {c.verified} điểm{changed}")
    click.echo(f"Theo điểm xác minh: {decision.computed.verdict} — " + " ".join(decision.computed.reasons))


@group.command("review", help="Ghi kết quả xem xét bản tự đánh giá mới nhất của một xã (có chữ ký của cán bộ).")
@click.argument("commune")
@click.option("--year", type=int, required=True, help="Năm đánh giá.")
@click.option("--outcome", type=click.Choice(["tra-lai", "de-nghi-cong-nhan", "khong-du-dieu-kien"]),
              required=True, help="Kết luận: trả lại để bổ sung, đề nghị công nhận, không đủ điều kiện.")
@click.option("--verdict", multiple=True, metavar="N=dat|can-bo-sung|khong-dat", help="Đánh giá tiêu chí N.")
@click.option("--score", multiple=True, metavar="N=S", help="Điểm xác minh của tiêu chí N (mặc định: điểm xã chấm).")
@click.option("--reason", multiple=True, metavar="N=TEXT", help="Lý do khi điểm xác minh khác điểm xã chấm.")
@click.option("--comment", multiple=True, metavar="N=TEXT", help="Nhận xét về tiêu chí N (xã đọc được).")
@click.option("--deadline", default="", metavar="YYYY-MM-DD", help="Hạn nộp bổ sung (khi trả lại).")
@key_option
@data_dir_option
def review(commune: str, year: int, outcome: str, verdict, score, reason, comment, deadline: str,
           key_path: Path | None, data_dir: Path | None) -> None:
    from ..core import assessments, review_store
    from ..core.assessment_review import ReviewRejected, decide
    from ..core.places import load_places
    from .session import Session, storage_errors

    session = Session(data_dir)
    place = load_places(session.config.content_dir).resolve(commune)
    if place is None:
        raise click.ClickException(f"Không tìm thấy xã “{commune}”.")
    actor = session.unlock(key_path)
    _may_review(session, actor, place.id)
    with storage_errors():
        record = assessments.latest(session.storage, year, place.id)
        if record is None:
            raise click.ClickException(f"{place.label} chưa nộp bản tự đánh giá năm {year}.")
        sha = review_store.submission_digest(session.storage, year, place.id, record["version"])
    rubric = _submission_rubric(session.config, record)
    try:
        decision = decide(rubric, record, _review_values(rubric, verdict, score, reason, comment, outcome, deadline),
                          today=_vietnam_today())
    except ReviewRejected as exc:
        raise click.ClickException("Chưa ghi được:\n" + "\n".join(f"  {_field_label(rubric, k)}: {v}"
                                                                   for k, v in exc.fields.items())) from None
    with storage_errors():
        try:
            review_store.write_review(session.storage, commune_id=place.id, year=year, version=record["version"],
                                      submission_sha256=sha, decision=decision, author=actor.author,
                                      identity=actor.identity)
        except review_store.ReviewStale as exc:
            raise click.ClickException(str(exc)) from None
    session.audit(actor, "write_review", f"{place.id}.{year}.v{record['version']}")
    _print_decision(decision, record, place.label)


def _vietnam_today():
    import datetime as dt

    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=7)).date()


def _field_label(rubric, field: str) -> str:
    """Where a review message belongs, in the option's words ("--score 6", "--outcome")."""
    kind, _, criterion_id = field.partition("_")
    found = rubric.criterion(criterion_id) if criterion_id else None
    option = {"verdict": "--verdict", "verified": "--score", "reason": "--reason", "comment": "--comment"}.get(kind)
    return f"{option} {found.number}" if found and option else f"--{field}"


@group.command("seal-evidence", help="Mã hóa các tệp minh chứng còn lưu dạng rõ (trước khi có mã hóa) cho khóa gốc và "
                                      "các cán bộ phụ trách từng xã, rồi xóa bản rõ. Chỉ cần khóa công khai; "
                                      "chạy lại được nếu bị ngắt giữa chừng.")
@data_dir_option
def seal_evidence(data_dir: Path | None) -> None:
    from ..core import assessments, evidence_seal
    from .session import Session, storage_errors

    session = Session(data_dir)
    root, keyring = session.root, session.keyring
    with storage_errors():
        try:
            sealed, removed = assessments.seal_clear_evidence(
                session.storage, lambda commune_id: evidence_seal.lock_for_keyring(root, keyring, commune_id))
        except ValueError:
            raise click.ClickException("Một tệp minh chứng dạng rõ bị hỏng (không khớp mã kiểm tra): đã dừng, "
                                       "các tệp đã mã hóa trước đó vẫn giữ nguyên.") from None
    click.echo(f"Đã mã hóa {sealed} bản cho các xã; đã xóa {removed} tệp dạng rõ.")


def evidence_recipients(session):
    """Commune id → the holders its evidence is sealed to now: the root and the keyring's officers covering it."""
    from ..core import evidence_seal

    root, keyring = session.root, session.keyring
    return lambda commune_id: evidence_seal.lock_for_keyring(root, keyring, commune_id).recipients


@group.command("share-evidence", help="Niêm phong lại khóa của các tệp minh chứng đã mã hóa cho cán bộ mới được giao "
                                       "phụ trách xã (tệp mã hóa trước khi họ được thêm vào). Cần khóa gốc hoặc khóa "
                                       "của một cán bộ mở được tệp; chạy lại được, chỉ thêm phần còn thiếu.")
@key_option
@data_dir_option
def share_evidence(key_path: Path | None, data_dir: Path | None) -> None:
    from ..core import assessments, evidence_seal
    from .session import Session, storage_errors

    session = Session(data_dir)
    actor = session.unlock(key_path)
    with storage_errors():
        added, shared, closed = assessments.share_sealed_evidence(
            session.storage, evidence_recipients(session), evidence_seal.holder_name(actor.officer_id),
            actor.identity.box_key)
    session.audit(actor, "share_evidence", f"{added}")
    click.echo(f"Đã niêm phong thêm {added} khóa cho {shared} tệp minh chứng."
               + (f" {closed} tệp khóa {actor.label} không mở được (cần khóa gốc)." if closed else ""))
