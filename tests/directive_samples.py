"""A well-formed directive front matter, shared by the directive tests."""

GOOD = {
    "parent_body": None,
    "issuer": {"name": "Ủy ban nhân dân huyện Mường Ảng", "header": ["ỦY BAN NHÂN DÂN", "HUYỆN MƯỜNG ẢNG"]},
    "number": 12,
    "symbol": "UBND-VX",
    "place": "Mường Ảng",
    "date": "2023-04-18",
    "type": "Công văn",
    "subject": "thử nghiệm kiểm tra dữ liệu",
    "recipients": ["UBND các xã, thị trấn."],
    "signature": {"authority": [{"prefix": "KT.", "of": "CHỦ TỊCH"}], "title": "PHÓ CHỦ TỊCH", "signer": "Người Ký"},
    "distribution": ["Như trên;", "Lưu: VT."],
    "cites": [{"number": "18/CT-TTg", "date": "2017-05-16", "issuer": "Thủ tướng Chính phủ", "title": "về việc thử"}],
}
