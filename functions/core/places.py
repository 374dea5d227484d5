"""Communes today and before the 2025 reform: load ``content/data/places.yml`` and resolve names.

``resolve`` accepts what people type: an id (``bung-lao``), today's name, a former name
("Ẳng Tở" → xã Búng Lao), with or without tones and with or without "xã"/"thị trấn" in front.
The special value ``khong-ro`` means the person does not know the commune.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .text import fold
from .yaml_data import load_yaml

UNKNOWN_ID = "khong-ro"
UNKNOWN_LABEL = "Không rõ xã nào"
CONFIDENCE = ("confirmed", "one_source")
_PREFIX = re.compile(r"^(xa|thi tran|tt\.?|phuong|p\.|x\.)\s+")


class PlacesError(ValueError):
    """The places file is malformed: the message names the field."""


@dataclass(frozen=True)
class FormerUnit:
    name: str
    kind: str
    district: str = ""
    gso_code: str = ""
    population_2019: int | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Commune:
    id: str
    name: str
    kind: str
    confidence: str
    threshold_band: str
    threshold_band_confidence: str
    former: tuple[FormerUnit, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"

    @property
    def former_names(self) -> list[str]:
        return [f.name for f in self.former]


def _key(text: str) -> str:
    folded = fold(text).strip()
    folded = re.sub(r"[\s,.;:_-]+", " ", folded).strip()
    return _PREFIX.sub("", folded)


class Places:
    def __init__(self, data: dict[str, Any], source: str = "places.yml"):
        self.source = source
        self.province = data.get("province", "")
        self.reform_date = str((data.get("reform") or {}).get("date", ""))
        self.threshold_bands = data.get("threshold_bands") or {}
        communes = data.get("communes")
        if not isinstance(communes, list) or not communes:
            raise PlacesError(f"{source}: 'communes' must be a non-empty list")
        self.communes: list[Commune] = [self._commune(i, c) for i, c in enumerate(communes)]
        self._index: dict[str, Commune] = {}
        for commune in self.communes:
            for alias in [commune.id, commune.name, *commune.former_names]:
                self._index.setdefault(_key(alias), commune)
            self._index[_key(commune.id.replace("-", " "))] = commune

    def _commune(self, i: int, raw: Any) -> Commune:
        where = f"{self.source}: communes[{i}]"
        if not isinstance(raw, dict):
            raise PlacesError(f"{where}: expected a mapping")
        for name in ("id", "name", "kind", "confidence", "threshold_band"):
            if not isinstance(raw.get(name), str) or not raw[name].strip():
                raise PlacesError(f"{where}.{name}: required text")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", raw["id"]) or raw["id"] == UNKNOWN_ID:
            raise PlacesError(f"{where}.id: expected a lower-case slug, got {raw['id']!r}")
        if raw["confidence"] not in CONFIDENCE:
            raise PlacesError(f"{where}.confidence: expected one of {CONFIDENCE}")
        if self.threshold_bands and raw["threshold_band"] not in self.threshold_bands:
            raise PlacesError(f"{where}.threshold_band: unknown band {raw['threshold_band']!r}")
        former = []
        for j, f in enumerate(raw.get("former") or []):
            if not isinstance(f, dict) or not f.get("name") or not f.get("kind"):
                raise PlacesError(f"{where}.former[{j}]: needs name and kind")
            former.append(FormerUnit(
                name=f["name"], kind=f["kind"], district=f.get("district", ""),
                gso_code=str(f.get("gso_code", "")), population_2019=f.get("population_2019"),
            ))
        return Commune(
            id=raw["id"], name=raw["name"], kind=raw["kind"], confidence=raw["confidence"],
            threshold_band=raw["threshold_band"],
            threshold_band_confidence=raw.get("threshold_band_confidence", "confirmed"),
            former=tuple(former),
        )

    def get(self, commune_id: str) -> Commune | None:
        return next((c for c in self.communes if c.id == commune_id), None)

    def resolve(self, text: str) -> Commune | None:
        """Today's commune for an id, a name or a former name; None if unknown or ``khong-ro``."""
        if not text or text.strip() == UNKNOWN_ID:
            return None
        return self._index.get(_key(text))

    def is_unknown(self, text: str) -> bool:
        return text.strip() == UNKNOWN_ID or _key(text) in (_key(UNKNOWN_LABEL), "khong ro")

    def all_choices(self) -> list[tuple[str, str]]:
        """(value, label) pairs for a datalist: today's communes, then former names, then "don't know"."""
        choices = [(c.name, f"{c.label} (từ 1/7/2025)") for c in self.communes]
        seen = {c.name for c in self.communes}
        for c in self.communes:
            for f in c.former:
                if f.name not in seen:
                    choices.append((f.name, f"{f.label} cũ — nay thuộc {c.label}"))
                    seen.add(f.name)
        choices.append((UNKNOWN_LABEL, "Không biết xã nào"))
        return choices


def load_places(content_dir: Path | str) -> Places:
    path = Path(content_dir) / "data" / "places.yml"
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlacesError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise PlacesError(f"{path}: invalid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise PlacesError(f"{path}: expected a mapping at the top")
    return Places(data, source=str(path))
