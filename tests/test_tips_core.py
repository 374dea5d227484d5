"""Pure parts of tip intake: receipts, validation rules, image cleaning, sealing."""

from __future__ import annotations

import io
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from functions.config import REPO_ROOT
from functions.core import crypto, receipts
from functions.core.images import AttachmentError, clean_attachment, sniff
from functions.core.places import load_places
from functions.core.tip_validation import load_categories, normalise_phone, validate

SECRET = b"k" * 32


def test_receipts_carry_at_least_80_bits_from_an_alphabet_without_look_alikes():
    assert len(receipts.ALPHABET) == 30 and not set("01OILU") & set(receipts.ALPHABET)
    assert receipts.RANDOM_SYMBOLS * math.log2(len(receipts.ALPHABET)) >= 80
    receipt = receipts.derive(SECRET, "a" * 20)
    groups = receipt.split("-")
    assert [len(g) for g in groups] == [4] * 5


def test_receipts_are_deterministic_per_submission_and_keyed_by_the_secret():
    assert receipts.derive(SECRET, "same-submission-id") == receipts.derive(SECRET, "same-submission-id")
    assert receipts.derive(SECRET, "same-submission-id") != receipts.derive(b"x" * 32, "same-submission-id")
    many = {receipts.derive(SECRET, f"submission-{i:010d}") for i in range(5000)}
    assert len(many) == 5000
    # Every symbol position uses the whole alphabet (no stuck digit from a bad encoding).
    for position in range(receipts.RANDOM_SYMBOLS):
        assert len({r.replace("-", "")[position] for r in many}) == 30


@given(st.binary(min_size=1, max_size=40))
@settings(max_examples=200)
def test_parse_accepts_how_people_type_a_receipt(seed):
    receipt = receipts.derive(SECRET, seed.hex())
    compact = receipt.replace("-", "")
    for typed in (receipt, receipt.lower(), compact, " ".join(receipt.split("-")), f"  {compact.lower()} ",
                  receipt.replace("-", "."), receipt.replace("V", "u")):
        assert receipts.parse(typed) == receipt


def test_parse_resolves_look_alikes_with_the_check_symbol():
    resolved = ambiguous = 0
    for i in range(300):
        receipt = receipts.derive(SECRET, f"look-alike-{i:06d}")
        for meant, written in (("D", "0"), ("D", "O"), ("T", "1"), ("T", "I"), ("T", "l")):
            if meant not in receipt:
                continue
            try:
                assert receipts.parse(receipt.replace(meant, written, 1)) == receipt
                resolved += 1
            except receipts.ReceiptError as exc:
                assert exc.reason == "check"  # ambiguous: a typo, never somebody else's receipt
                ambiguous += 1
    assert resolved > 10 * ambiguous


def test_every_single_symbol_typo_is_detected():
    receipt = receipts.derive(SECRET, "typo-test-000001").replace("-", "")
    for position in range(len(receipt)):
        for symbol in receipts.ALPHABET:
            if symbol != receipt[position]:
                typo = receipt[:position] + symbol + receipt[position + 1:]
                with pytest.raises(receipts.ReceiptError):
                    receipts.parse(typo)


@pytest.mark.parametrize("typed, reason", [("", "empty"), ("   ", "empty"), ("ABC", "length"), ("ABCD-EFGH-JKMN-PQRS-TVW!", "symbol")])
def test_parse_errors_say_why(typed, reason):
    with pytest.raises(receipts.ReceiptError) as info:
        receipts.parse(typed)
    assert info.value.reason == reason


def test_submission_ids_accept_only_the_documented_shape():
    assert receipts.valid_submission_id("A" * 16) and receipts.valid_submission_id("a-b_c" * 12 + "abcd")
    for bad in ("A" * 15, "A" * 65, "has space 1234567", "ü" * 20, ""):
        assert not receipts.valid_submission_id(bad)


def test_a_submission_id_needs_96_bits_and_eight_distinct_characters():
    from functions.core.tip_validation import submission_id_problem

    for strong in (receipts.new_submission_id(), "Zq8-Lx2_Pm4Kd7Wr", "nojs-" + "0123456789abcdef" * 2 + "01234567",
                   "0123456789abcdef01234567"):  # 16 base64url (96 bits), 24 hexadecimal (96 bits)
        assert submission_id_problem(strong) is None, strong
    assert "quá ngắn" in submission_id_problem("Zq8-Lx2_Pm4Kd7W")  # 15 characters: 90 bits
    assert "quá ngắn" in submission_id_problem("0123456789abcdef0123456")  # 23 hexadecimal: 92 bits
    assert "quá ngắn" in submission_id_problem("1234567890" * 2)  # digits only: 66 bits
    assert "(7)" in submission_id_problem("abcdefg" * 5)
    # Another shape is not weak but malformed: receipts.valid_submission_id decides (the id is replaced).
    assert submission_id_problem("has space in it 123") is None


def test_the_page_makes_ids_the_server_accepts():
    """report.js's randomId: 18 base64url symbols from getRandomValues (108 bits). Drawn the same way here,
    none of 20,000 is refused (the distinct-character rule fails about twice in a billion)."""
    import secrets
    import string

    from functions.core.tip_validation import submission_id_problem

    symbols = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    drawn = ["".join(symbols[b & 63] for b in secrets.token_bytes(18)) for _ in range(20_000)]
    assert [i for i in drawn if submission_id_problem(i)] == []


@pytest.mark.parametrize("age, kept", [("7", 7), ("07", 7), ("0000000017", 17), ("17 tuổi", 17), ("18", None),
                                       ("100", None), ("9" * 5000, None), ("0" * 5000 + "7", 7), ("٣", None)])
def test_child_age_is_bounded_before_it_becomes_a_number(age, kept):
    categories, places = load_categories(REPO_ROOT / "content"), load_places(REPO_ROOT / "content")
    clean, errors = validate({"description": "Mười ký tự trở lên ở đây", "category": "khac", "commune": "khong-ro",
                              "child_age": age}, categories, places)
    assert clean["child_age"] == kept and ("child_age" in errors) == (kept is None)


@pytest.mark.parametrize("typed, expected", [
    ("0912345678", "0912345678"), ("091 234 5678", "0912345678"), ("+84912345678", "0912345678"),
    ("84912345678", "0912345678"), ("0084 912 345 678", "0912345678"), ("0327.123.456", "0327123456"),
    ("0562 000 111", "0562000111"), ("0215 3822 000", "02153822000"),
    ("0112345678", None), ("0312345678", None), ("091234567", None), ("09123456789", None), ("０９１２３４５６７８", None),
    ("1900 1234", None), ("abc", None),
])
def test_vietnamese_phone_numbers(typed, expected):
    assert normalise_phone(typed) == expected


def test_categories_file_cites_the_law_and_has_the_ten_kinds():
    categories = load_categories(REPO_ROOT / "content")
    ids = [c.id for c in categories]
    assert ids == ["bao-luc", "xam-hai-tinh-duc", "mua-ban", "bo-roi-bo-mac", "lao-dong", "tao-hon", "nguy-co-tai-nan",
                   "bat-nat-truong-hoc", "xam-hai-tren-mang", "khac"]
    assert all("Luật Trẻ em 2016, Điều 4" in c.source for c in categories[:5])


def test_unknown_fields_are_ignored_and_values_normalised():
    categories, places = load_categories(REPO_ROOT / "content"), load_places(REPO_ROOT / "content")
    clean, errors = validate({"description": "  Mười ký tự trở lên ở đây  ", "category": "khac", "commune": "NGOI CAY",
                              "admin": "true", "urgent": "on"}, categories, places)
    assert errors == {}
    assert clean["commune"] == "na-tau" and clean["urgent"] is True and "admin" not in clean
    assert clean["description"] == "Mười ký tự trở lên ở đây"


def _image(kind: str, **save) -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if kind == "PNG" else "RGB"
    Image.new(mode, (40, 30), (1, 2, 3)).save(out, kind, **save)
    return out.getvalue()


def test_png_text_chunks_and_icc_profiles_are_dropped():
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Nguyen Van Secret")
    info.add_text("GPS", "21.5,103.2")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _image("PNG", pnginfo=info, icc_profile=icc)
    assert b"Nguyen Van Secret" in data
    clean = clean_attachment(data, 10**6)
    assert clean.content_type == "image/png"
    assert b"Nguyen Van Secret" not in clean.data and b"21.5,103.2" not in clean.data
    assert "icc_profile" not in Image.open(io.BytesIO(clean.data)).info


def test_orientation_is_applied_before_exif_is_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°: the phone held upright
    clean = clean_attachment(_image("JPEG", exif=exif), 10**6)
    assert Image.open(io.BytesIO(clean.data)).size == (30, 40)


def test_kinds_are_recognised_by_content_not_name():
    assert sniff(_image("JPEG")) == "jpeg" and sniff(_image("PNG")) == "png" and sniff(b"%PDF-1.7\n") == "pdf"
    assert sniff(b"GIF89a") is None and sniff(b"<svg") is None
    with pytest.raises(AttachmentError) as info:
        clean_attachment(b"\x89PNG\r\n\x1a\n" + b"\0" * 50, 10**6)
    assert info.value.status == 415


def test_a_decompression_bomb_is_refused_as_too_large():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 megapixels, a few kilobytes
    with pytest.raises(AttachmentError) as info:
        clean_attachment(out.getvalue(), 10**6)
    assert info.value.status == 413


def test_sealed_data_opens_only_with_the_private_key():
    pair, other = crypto.generate_keypair(), crypto.generate_keypair()
    sealed = crypto.seal(pair.public, "Nội dung bí mật".encode())
    assert "Nội dung".encode() not in sealed
    assert crypto.unseal(pair.private, sealed).decode() == "Nội dung bí mật"
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(other.private, sealed)


# -- image decoding bounds (issue 15: a 40 MP JPEG peaked near 460 MB; photos grew 1.7x) ------------------

def _jpeg_of(width: int, height: int) -> bytes:
    import io as _io

    from PIL import Image as _Image

    out = _io.BytesIO()
    _Image.effect_noise((width, height), 40).convert("RGB").save(out, "JPEG", quality=92)
    return out.getvalue()


def test_photos_are_stored_no_larger_than_needed():
    import io as _io

    from PIL import Image as _Image

    from functions.core.images import MAX_SIDE, clean_attachment

    sent = _jpeg_of(MAX_SIDE * 2 + 10, 1500)
    cleaned = clean_attachment(sent, 64 * 1024 * 1024)
    size = _Image.open(_io.BytesIO(cleaned.data)).size
    assert max(size) <= MAX_SIDE and size[0] > size[1]  # scaled down, proportions kept
    assert len(cleaned.data) < len(sent)


def test_jpeg_is_scaled_down_while_decoding(monkeypatch):
    from PIL import JpegImagePlugin

    from functions.core import images

    asked = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def draft(self, mode, size):
        asked.append(size)
        return real_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", draft)
    images.clean_attachment(_jpeg_of(images.MAX_SIDE * 3, 600), 64 * 1024 * 1024)
    assert (images.MAX_SIDE, images.MAX_SIDE) in asked


def test_a_decompression_bomb_is_413():
    import io as _io

    from PIL import Image as _Image

    from functions.core.images import AttachmentError, clean_attachment

    out = _io.BytesIO()
    _Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 MP of nothing: a few kilobytes
    with pytest.raises(AttachmentError) as raised:
        clean_attachment(out.getvalue(), 64 * 1024 * 1024)
    assert raised.value.status == 413
