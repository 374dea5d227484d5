"""Places: today's communes, former names as aliases, typing without tones."""

import pytest

from functions.config import REPO_ROOT
from functions.core.places import Places, PlacesError, load_places


@pytest.fixture(scope="module")
def places():
    return load_places(REPO_ROOT / "content")


def test_four_communes_today_with_the_ten_former_units_of_the_district(places):
    assert [c.id for c in places.communes] == ["muong-ang", "bung-lao", "muong-lan", "na-tau"]
    gso = sorted(f.gso_code for c in places.communes for f in c.former if f.gso_code)
    assert gso == ["03256", "03286", "03287", "03292", "03301", "03302", "03307", "03310", "03312", "03313"]
    assert sum(f.population_2019 or 0 for c in places.communes for f in c.former if f.district == "Mường Ảng") == 40119


@pytest.mark.parametrize("typed, expected", [
    ("Ẳng Tở", "bung-lao"),
    ("ang to", "bung-lao"),
    ("xã Ẳng Nưa", "muong-ang"),
    ("thị trấn Mường Ảng", "muong-ang"),
    ("  NGOI CAY ", "na-tau"),
    ("Nặm Lịch", "muong-lan"),
    ("xuan lao", "muong-lan"),
    ("Chiềng Đông", "bung-lao"),
    ("chieng dong", "bung-lao"),
    ("na-tau", "na-tau"),
    ("Mường Lạn", "muong-lan"),
])
def test_former_and_current_names_resolve_to_todays_commune(places, typed, expected):
    assert places.resolve(typed).id == expected


@pytest.mark.parametrize("typed", ["", "khong-ro", "Hà Nội", "Mường"])
def test_unknown_or_unmatched_names_resolve_to_nothing(places, typed):
    assert places.resolve(typed) is None


def test_khong_ro_is_the_unknown_marker(places):
    assert places.is_unknown("khong-ro") and places.is_unknown("Không rõ xã nào")
    assert not places.is_unknown("Búng Lao")


def test_confidence_follows_the_domain_facts(places):
    assert places.get("muong-ang").confidence == "confirmed"
    assert places.get("bung-lao").confidence == "confirmed"
    assert places.get("muong-lan").confidence == "one_source"
    assert places.get("na-tau").confidence == "one_source"
    assert all(c.threshold_band == "mountainous" and c.threshold_band_confidence == "inferred"
               for c in places.communes)


def test_choices_list_every_name_once_and_the_unknown_choice(places):
    values = [v for v, _ in places.all_choices()]
    assert len(values) == len(set(values))
    assert "Ẳng Cang" in values and values[-1] == "Không rõ xã nào"


@pytest.mark.parametrize("data, field", [
    ({}, "communes"),
    ({"communes": [{"id": "Bad Id", "name": "x", "kind": "xã", "confidence": "confirmed", "threshold_band": "x"}]}, "id"),
    ({"communes": [{"id": "a", "name": "x", "kind": "xã", "confidence": "maybe", "threshold_band": "x"}]}, "confidence"),
    ({"communes": [{"id": "a", "kind": "xã", "confidence": "confirmed", "threshold_band": "x"}]}, "name"),
])
def test_malformed_places_name_the_field(data, field):
    with pytest.raises(PlacesError, match=field):
        Places(data)
