"""The forms of Nghị định 56/2017 as data (content/data/forms/) and their rules (functions.core.forms)."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from functions.config import REPO_ROOT
from functions.core import forms

CONTENT = REPO_ROOT / "content"
RATINGS = ("Cao", "Trung bình", "Thấp")
REPORT = {"description": "Em bé hàng xóm bị đánh nhiều lần, tối qua khóc rất lâu.", "category": "bao-luc",
          "commune": "bung-lao", "commune_as_typed": "Búng Lao cũ", "urgent": True, "child_age": 9,
          "location_detail": "Bản Co Nỏng, nhà gần suối", "reporter_name": "Lò Văn A", "reporter_phone": "0912345678"}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, forms.Form]:
    return forms.load_forms(CONTENT)


# -- the data ------------------------------------------------------------------------------------------------

def test_every_form_of_the_six_steps_loads_with_its_step_version_and_source(catalogue):
    assert list(catalogue) == [f"mau-0{n}" for n in range(1, 8)]
    assert {form_id: form.step for form_id, form in catalogue.items()} == {
        "mau-01": 1, "mau-02": 2, "mau-03": 3, "mau-04": 4, "mau-05": 4, "mau-06": 6, "mau-07": 2}
    for form in catalogue.values():
        assert form.version >= 1 and form.number == form.id[-2:]
        assert "56/2017/NĐ-CP" in form.source.document and f"Mẫu {form.number}" in form.source.document
        assert form.source.confidence == "confirmed"
        assert form.official_title is None  # no source gives the printed heading: never guessed


def test_forms_whose_official_fields_are_unknown_say_so_and_stay_minimal(catalogue):
    for form_id in ("mau-02", "mau-03", "mau-04", "mau-05", "mau-07"):
        form = catalogue[form_id]
        assert form.source.fields_confidence == "unknown"
        assert "chưa được xác nhận" in form.source.note
        assert not any(spec.official for spec in form.fields)  # nothing claimed to be on the official form
        assert len(form.fields) <= 5


def test_mau01_and_mau06_carry_the_one_source_fields(catalogue):
    mau01, mau06 = catalogue["mau-01"], catalogue["mau-06"]
    assert mau01.source.fields_confidence == mau06.source.fields_confidence == "one source"
    assert "một nguồn" in mau01.source.note and "một nguồn" in mau06.source.note
    official = {spec.id for spec in mau01.fields if spec.official}
    assert {"nguon_thong_tin", "thoi_diem_tiep_nhan", "ho_ten_tre", "ngay_sinh", "tuoi_uoc_tinh", "gioi_tinh",
            "dia_diem", "tinh_trang_tre", "gia_dinh", "bien_phap_da_thuc_hien", "nguoi_bao_tin",
            "can_bo_tiep_nhan"} == official
    ratings = [spec for spec in mau06.fields if spec.type == "choice"]
    assert [spec.id for spec in ratings] == ["muc_do_ton_hai", "kha_nang_tiep_can", "moi_truong_cham_soc"]
    assert all(spec.choices == RATINGS and spec.required for spec in ratings)
    assert mau06.field("kha_nang_tu_bao_ve").required


def test_mau01_records_a_web_report_as_the_offices_choice_and_marks_its_own_additions(catalogue):
    mau01 = catalogue["mau-01"]
    assert "lựa chọn của văn phòng" in mau01.web_report["note"] and "trực tuyến" in mau01.web_report["note"]
    assert {spec.id: spec.prefill for spec in mau01.fields if spec.prefill} == {
        "nguon_thong_tin": "web_report", "thoi_diem_tiep_nhan": "received", "tuoi_uoc_tinh": "child_age",
        "dia_diem": "commune", "tinh_trang_tre": "description", "loai_viec": "category", "bao_gap": "urgent"}
    # category and urgent are not on the official form: they are the office's additions, shown as such
    assert not mau01.field("loai_viec").official and not mau01.field("bao_gap").official
    assert not mau01.field("ho_ten_tre").prefill and not mau01.field("nguoi_bao_tin").prefill


def test_mau02_records_serious_danger_and_separation_and_mau05_the_approval_typed_by_the_officer(catalogue):
    mau02, mau05 = catalogue["mau-02"], catalogue["mau-05"]
    for field_id in ("nguy_hiem_nghiem_trong", "tach_tam_thoi"):
        assert mau02.field(field_id).type == "bool" and mau02.field(field_id).required
    assert "12 giờ" in mau02.field("nguy_hiem_nghiem_trong").help
    assert mau05.field("so_quyet_dinh").type == "text" and mau05.field("so_quyet_dinh").required
    assert mau05.field("ngay_quyet_dinh").type == "date" and mau05.field("ngay_quyet_dinh").required


# -- bad files ----------------------------------------------------------------------------------------------

def _write(tmp_path: Path, document: dict | str, name: str = "mau-03.yml") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document, allow_unicode=True),
                    encoding="utf-8")
    return path


def _mau03() -> dict:
    return yaml.safe_load((CONTENT / "data" / "forms" / "mau-03.yml").read_text(encoding="utf-8"))


def _set(path: tuple, value):
    def mutate(document: dict) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


_DELETE = object()
BAD = [
    (_set(("fields", 0, "type"), "dropdown"), "fields[0] (ngay).type"),
    (_set(("fields", 1, "label"), _DELETE), "fields[1] (tom_tat).label"),
    (_set(("fields", 1, "label"), "  "), "fields[1] (tom_tat).label"),
    (_set(("fields", 0, "type"), "choice"), "fields[0] (ngay).choices"),
    (_set(("fields", 0, "choices"), ["Có", "Không"]), "fields[0] (ngay).choices"),
    (_set(("fields", 1, "id"), "ngay"), "fields[1].id"),
    (_set(("fields", 1, "id"), "Tóm tắt"), "fields[1].id"),
    (_set(("fields", 0, "lable"), "x"), "fields[0] (ngay).lable"),
    (_set(("fields", 0, "required"), "yes"), "fields[0] (ngay).required"),
    (_set(("fields", 0, "official"), _DELETE), "fields[0] (ngay).official"),
    (_set(("fields", 0, "official"), True), "fields"),  # unknown official fields cannot be claimed
    (_set(("fields", 0, "min"), 0), "fields[0] (ngay).min"),
    (_set(("fields", 0, "prefill"), "web_report"), "fields[0] (ngay).prefill"),
    (_set(("fields", 0, "prefill"), "reporter_name"), "fields[0] (ngay).prefill"),  # never the reporter's name
    (_set(("fields",), []), "fields"),
    (_set(("id",), "mau-04"), "id"),
    (_set(("number",), 3), "number"),
    (_set(("step",), 7), "step"),
    (_set(("step",), True), "step"),
    (_set(("version",), 0), "version"),
    (_set(("title",), _DELETE), "title"),
    (_set(("source", "fields_confidence"), "maybe"), "source.fields_confidence"),
    (_set(("source", "confidence"), "unknown"), "source.confidence"),
    (_set(("source", "note"), _DELETE), "source.note"),  # an unconfirmed field list must say so
    (_set(("source", "document"), ""), "source.document"),
    (_set(("source",), "NĐ 56"), "source"),
    (_set(("extra",), 1), "extra"),
    (_set(("web_report",), {"source_text": "x"}), "web_report.note"),
]


@pytest.mark.parametrize("mutate, field", BAD, ids=[field for _, field in BAD])
def test_a_bad_form_file_is_refused_with_the_file_and_the_field(tmp_path, mutate, field):
    document = _mau03()
    mutate(document)
    path = _write(tmp_path, document)
    with pytest.raises(forms.FormsError) as caught:
        forms.load_form(path)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{path}: trường '{field}': ")


def test_a_number_field_with_min_above_max_is_refused(tmp_path):
    document = _mau03()
    document["fields"][0].update({"type": "number", "min": 5, "max": 1})
    with pytest.raises(forms.FormsError, match=r"fields\[0\] \(ngay\)\.max"):
        forms.load_form(_write(tmp_path, document))


@pytest.mark.parametrize("text", ["id: [unclosed", "- a list", ""])
def test_a_file_that_is_not_a_form_names_the_file(tmp_path, text):
    path = _write(tmp_path, text)
    with pytest.raises(forms.FormsError) as caught:
        forms.load_form(path)
    assert caught.value.field == "" and str(caught.value).startswith(str(path))


def test_a_forms_folder_without_files_or_with_one_bad_file_is_refused(tmp_path):
    with pytest.raises(forms.FormsError, match="không có tệp biểu mẫu"):
        forms.load_forms(tmp_path)
    folder = tmp_path / "data" / "forms"
    shutil.copytree(CONTENT / "data" / "forms", folder)
    assert len(forms.load_forms(tmp_path)) == 7
    broken = _mau03()
    broken["fields"][0]["type"] = "dropdown"
    _write(folder, broken)
    with pytest.raises(forms.FormsError, match=r"mau-03\.yml: trường 'fields\[0\] \(ngay\)\.type'"):
        forms.load_forms(tmp_path)


# -- answers ------------------------------------------------------------------------------------------------

def test_required_fields_are_enforced_with_a_vietnamese_message_naming_the_field(catalogue):
    mau05 = catalogue["mau-05"]
    clean, errors = forms.validate_answers(mau05, {"so_quyet_dinh": "  ", "tom_tat": "Đã ký"})
    assert errors == {"so_quyet_dinh": "“Số quyết định phê duyệt (cán bộ ghi theo quyết định đã ký)” là bắt buộc.",
                      "ngay_quyet_dinh": "“Ngày ký quyết định phê duyệt” là bắt buộc."}
    assert clean == {"so_quyet_dinh": None, "ngay_quyet_dinh": None, "tom_tat": "Đã ký"}
    assert not forms.is_complete(mau05, {"so_quyet_dinh": "12/QĐ-UBND"})
    assert forms.is_complete(mau05, {"so_quyet_dinh": "12/QĐ-UBND", "ngay_quyet_dinh": "02/12/2026"})
    assert not forms.is_complete(mau05, None)


def test_each_field_type_cleans_what_an_officer_types_and_refuses_the_rest(catalogue):
    mau01, mau02, mau06 = catalogue["mau-01"], catalogue["mau-02"], catalogue["mau-06"]
    clean, errors = forms.validate_answers(mau01, {
        "thoi_diem_tiep_nhan": "30/11/2026 14:05", "ngay_sinh": "05/03/2017", "tuoi_uoc_tinh": "9",
        "gioi_tinh": "Nữ", "dia_diem": " Búng Lao \r\n bản Co ", "bao_gap": "có", "ho_ten_tre": "  Lò Thị B "})
    assert clean["thoi_diem_tiep_nhan"] == "2026-11-30T14:05:00" and clean["ngay_sinh"] == "2017-03-05"
    assert clean["tuoi_uoc_tinh"] == 9 and clean["gioi_tinh"] == "Nữ" and clean["bao_gap"] is True
    assert clean["ho_ten_tre"] == "Lò Thị B" and clean["dia_diem"] == "Búng Lao \n bản Co"
    assert set(errors) == {"nguon_thong_tin", "tinh_trang_tre", "can_bo_tiep_nhan"}  # required, left out

    _, errors = forms.validate_answers(mau01, {
        "thoi_diem_tiep_nhan": "hôm qua", "ngay_sinh": "31/02/2017", "tuoi_uoc_tinh": "18", "gioi_tinh": "nam giới",
        "ho_ten_tre": "Lò\nThị B", "bao_gap": "có lẽ", "nguon_thong_tin": 5, "can_bo_tiep_nhan": "x" * 501})
    assert errors["thoi_diem_tiep_nhan"] == "“Thời điểm tiếp nhận”: hãy ghi ngày và giờ, ví dụ 30/11/2026 14:05."
    assert errors["ngay_sinh"] == "“Ngày sinh của trẻ”: hãy ghi ngày theo dạng ngày/tháng/năm, ví dụ 30/11/2026."
    assert errors["tuoi_uoc_tinh"] == "“Tuổi (ước tính, nếu không rõ ngày sinh)” không được lớn hơn 17."
    assert errors["gioi_tinh"] == "“Giới tính của trẻ”: hãy chọn một trong: Nam, Nữ."
    assert errors["ho_ten_tre"] == "“Họ và tên trẻ” chỉ được viết trên một dòng."
    assert errors["bao_gap"].endswith("hãy chọn Có hoặc Không.")
    assert errors["nguon_thong_tin"] == "“Nguồn thông tin” phải là chữ."
    assert errors["can_bo_tiep_nhan"] == "“Cán bộ tiếp nhận” quá dài: tối đa 500 ký tự (hiện có 501)."
    _, errors = forms.validate_answers(mau01, {"tuoi_uoc_tinh": "chín", "ngay_sinh": date(2017, 3, 5)})
    assert errors["tuoi_uoc_tinh"] == "“Tuổi (ước tính, nếu không rõ ngày sinh)” phải là một số nguyên."
    assert "ngay_sinh" not in errors
    _, errors = forms.validate_answers(mau01, {"tuoi_uoc_tinh": -1, "thoi_diem_tiep_nhan": datetime(2026, 1, 2, 3, 4)})
    assert errors["tuoi_uoc_tinh"] == "“Tuổi (ước tính, nếu không rõ ngày sinh)” không được nhỏ hơn 0."
    assert "thoi_diem_tiep_nhan" not in errors

    clean, errors = forms.validate_answers(mau02, {"nguy_hiem_nghiem_trong": False, "tach_tam_thoi": "không"})
    assert clean["nguy_hiem_nghiem_trong"] is False and clean["tach_tam_thoi"] is False  # answered "no"
    assert "nguy_hiem_nghiem_trong" not in errors and "tach_tam_thoi" not in errors
    _, errors = forms.validate_answers(mau02, {"nguy_hiem_nghiem_trong": ""})
    assert errors["nguy_hiem_nghiem_trong"].endswith("là bắt buộc.")  # a required yes/no must be answered

    _, errors = forms.validate_answers(mau06, {"muc_do_ton_hai": "Rất cao"})
    assert errors["muc_do_ton_hai"] == "“Mức độ tổn hại của trẻ khi rà soát”: hãy chọn một trong: Cao, Trung bình, Thấp."


def test_an_answer_to_a_field_the_form_does_not_have_is_refused_but_does_not_undo_completeness(catalogue):
    mau03 = catalogue["mau-03"]
    answers = {"ngay": "2026-12-01", "tom_tat": "Cần tư vấn tâm lý", "ghi_chu_cu": "trường của phiên bản trước"}
    _, errors = forms.validate_answers(mau03, answers)
    assert errors == {"ghi_chu_cu": "Mẫu này không có trường “ghi_chu_cu”."}
    assert forms.is_complete(mau03, answers)


# -- Mẫu 01 from a web report --------------------------------------------------------------------------------

def test_mau01_is_prefilled_from_the_report_and_never_with_a_name(catalogue):
    mau01 = catalogue["mau-01"]
    answers = forms.prefill_mau01(mau01, REPORT, received="2026-11-30T07:05:00+00:00",
                                  commune_names={"bung-lao": "Búng Lao"}, category_labels={"bao-luc": "Bạo lực"})
    assert answers == {
        "nguon_thong_tin": "Tin báo gửi qua trang thông tin điện tử của văn phòng",
        "thoi_diem_tiep_nhan": "2026-11-30T07:05:00+00:00",
        "tuoi_uoc_tinh": 9,
        "dia_diem": "Búng Lao\nNgười báo tin ghi: Búng Lao cũ\nBản Co Nỏng, nhà gần suối",
        "tinh_trang_tre": REPORT["description"],
        "loai_viec": "Bạo lực",
        "bao_gap": True,
    }
    assert "Lò Văn A" not in str(answers) and "0912345678" not in str(answers)
    clean, errors = forms.validate_answers(mau01, answers)
    assert set(errors) == {"can_bo_tiep_nhan"}  # the receiving officer is the console's to fill
    assert clean["ho_ten_tre"] is None and clean["nguoi_bao_tin"] is None


def test_mau01_prefill_leaves_out_what_the_report_does_not_hold(catalogue):
    mau01 = catalogue["mau-01"]
    answers = forms.prefill_mau01(mau01, {"description": "Trẻ ở một mình bên suối cả ngày", "commune": "khong-ro",
                                          "category": "khac", "urgent": False, "child_age": None})
    assert answers == {"nguon_thong_tin": mau01.web_report["source_text"], "dia_diem": "Không rõ xã nào",
                       "tinh_trang_tre": "Trẻ ở một mình bên suối cả ngày", "loai_viec": "khac", "bao_gap": False}
    assert forms.prefill_mau01(mau01, {}) == {"nguon_thong_tin": mau01.web_report["source_text"]}
