"""Self-assessment submissions: evidence files and versioned, create-only submission records.

Storage layout (keys of ``functions.storage``):
- ``assessments/evidence/<sha256>/sealed-<commune>.json`` and its encrypted parts: an evidence file,
  addressed by the SHA-256 of its plaintext, encrypted to the commune's reviewers in 1 MiB parts
  (``evidence_seal``); the manifest is written last and marks the file complete.
- ``assessments/evidence/<sha256>/part-<NNNNNN>`` + ``manifest.json``: the first format, in the clear,
  still read; written only by a server that has no office key at all.
- ``assessments/<year>/<commune>/v<NNNN>.json``: one submission. Written after its evidence: this
  create-only write is the commit point. A resubmission is the next version; the latest counts
  and older ones stay readable.

Everything here takes a storage object and plain values: no web framework, no environment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import unicodedata
from dataclasses import asdict, dataclass
from typing import IO, Any, Iterator

from .store import AlreadyExists, NotFound
from . import evidence_seal, filetypes

PREFIX = "assessments"
EVIDENCE_PREFIX = f"{PREFIX}/evidence"
CHUNK_BYTES = 1024 * 1024
_VERSION = re.compile(r"^v(\d{4,})\.json$")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_COMMUNE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class EvidenceRejected(ValueError):
    """An evidence file refused: ``status`` 413 (too large) or 415 (type), message in Vietnamese."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class EvidenceRecord:
    sha256: str
    size: int
    kind: str
    media_type: str
    filename: str
    key: str
    criterion: str | None = None
    role: str = "evidence"  # or "template": the filled spreadsheet itself

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean_filename(name: str) -> str:
    """The base name as sent, NFC, without path or control characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:120] or "tep-khong-ten"


def check_evidence(stream: IO[bytes], filename: str, *, max_bytes: int) -> tuple[str, int, str]:
    """(sha256, size, kind) of an evidence file, read in chunks; raises ``EvidenceRejected``. A file sealed
    in the browser (``evidence_seal.SealedArrival``) cannot be read here: its announced facts count, and
    its content is checked when a reviewer opens it."""
    if isinstance(stream, evidence_seal.SealedArrival):
        return _announced_facts(stream, filename, max_bytes)
    stream.seek(0)
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise EvidenceRejected(
                f"Tệp “{clean_filename(filename)}” lớn hơn {max_bytes // (1024 * 1024)} MB cho mỗi tệp.", 413)
        digest.update(chunk)
    if size == 0:
        raise EvidenceRejected(f"Tệp “{clean_filename(filename)}” rỗng.", 415)
    try:
        sniffed = filetypes.sniff(stream)
    except filetypes.ZipRejected as exc:
        raise EvidenceRejected(f"Tệp “{clean_filename(filename)}”: {exc}", 413 if exc.too_large else 415) from None
    if sniffed.kind is None:
        raise EvidenceRejected(
            f"Tệp “{clean_filename(filename)}” thực chất là {sniffed.described}: chỉ nhận PDF, ảnh JPEG, "
            "ảnh PNG, bảng tính XLSX hoặc văn bản DOCX.", 415)
    stream.seek(0)
    return digest.hexdigest(), size, sniffed.kind


def _announced_facts(arrival: evidence_seal.SealedArrival, filename: str, max_bytes: int) -> tuple[str, int, str]:
    if arrival.size > max_bytes:
        raise EvidenceRejected(
            f"Tệp “{clean_filename(filename)}” lớn hơn {max_bytes // (1024 * 1024)} MB cho mỗi tệp.", 413)
    return arrival.sha256, arrival.size, arrival.kind


def evidence_manifest_key(sha256: str) -> str:
    return f"{EVIDENCE_PREFIX}/{sha256}/manifest.json"


def save_evidence(storage, stream: IO[bytes], filename: str, *, max_bytes: int,
                  criterion: str | None = None, role: str = "evidence",
                  written: list[str] | None = None,
                  checked: tuple[str, int, str] | None = None,
                  lock: evidence_seal.EvidenceLock | None = None, commune_id: str = "") -> EvidenceRecord:
    """Check then store one evidence file in parts; returns its record.

    With a ``lock`` the file is encrypted to the commune's reviewers before any byte is written
    (``evidence_seal``), once per commune; without one (a server with no office key at all) it is
    stored in the first, clear format.

    Content-addressed: a file already stored (manifest present) is not written again, and a part
    left by an earlier failed attempt holds the same bytes, so ``AlreadyExists`` on a part is
    harmless. Keys this call created are appended to ``written`` so a failed request can remove
    exactly what it wrote and nothing another submission relies on. ``checked`` is the result of
    ``check_evidence`` on this same stream, when the caller already ran it.
    """
    sha, size, kind = checked or check_evidence(stream, filename, max_bytes=max_bytes)
    if lock is None and isinstance(stream, evidence_seal.SealedArrival):
        raise EvidenceRejected(f"Tệp “{clean_filename(filename)}” đã mã hóa nhưng máy chủ chưa có khóa văn phòng.", 400)
    if lock is not None:
        return _save_sealed(storage, stream, lock, commune_id,
                            EvidenceRecord(sha256=sha, size=size, kind=kind, media_type=filetypes.MEDIA_TYPES[kind],
                                           filename=clean_filename(filename), criterion=criterion, role=role,
                                           key=evidence_seal.manifest_key(EVIDENCE_PREFIX, sha, commune_id)),
                            written)
    manifest_key = evidence_manifest_key(sha)
    record = EvidenceRecord(sha256=sha, size=size, kind=kind, media_type=filetypes.MEDIA_TYPES[kind],
                            filename=clean_filename(filename), key=manifest_key, criterion=criterion, role=role)
    if storage.exists(manifest_key):
        return record
    stream.seek(0)
    index = 0
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            break
        key = f"{EVIDENCE_PREFIX}/{sha}/part-{index:06d}"
        try:
            storage.create(key, chunk)
            if written is not None:
                written.append(key)
        except AlreadyExists:
            pass
        index += 1
    manifest = {"sha256": sha, "size": size, "kind": kind, "parts": index, "part_bytes": CHUNK_BYTES}
    try:
        storage.create(manifest_key, json.dumps(manifest, sort_keys=True).encode())
        if written is not None:
            written.append(manifest_key)
    except AlreadyExists:
        pass
    return record


def _save_sealed(storage, stream: IO[bytes], lock, commune_id: str, record: EvidenceRecord,
                 written: list[str] | None) -> EvidenceRecord:
    """Seal and store the file for this commune unless it already is; returns ``record``."""
    if not _COMMUNE.match(commune_id):
        raise ValueError("sealed evidence needs the commune's id")
    if isinstance(stream, evidence_seal.SealedArrival):
        return _save_browser_sealed(storage, stream, lock, commune_id, record, written)
    if not storage.exists(record.key):
        evidence_seal.write_sealed(storage, EVIDENCE_PREFIX, lock, stream, commune_id,
                                   {"sha256": record.sha256, "size": record.size, "kind": record.kind}, written)
    return record


def _save_browser_sealed(storage, arrival: evidence_seal.SealedArrival, lock, commune_id: str,
                         record: EvidenceRecord, written: list[str] | None) -> EvidenceRecord:
    """Store a file sealed in the browser as standard sealed parts (unless this commune already has the file),
    then remove its upload object; ``EvidenceRejected`` when it was sealed for another commune or other
    holders than ``lock``'s, or its bytes are not the announced chunks."""
    if arrival.commune_id != commune_id or set(arrival.seal.keys) != set(lock.recipients) \
            or arrival.seal.keyring_version != lock.keyring_version:
        raise EvidenceRejected(f"Tệp “{record.filename}” được mã hóa cho người nhận khác: hãy tải lên lại.", 400)
    if arrival.ciphertext is not None and not storage.exists(record.key):
        try:
            evidence_seal.store_browser_sealed(storage, EVIDENCE_PREFIX, arrival, written)
        except evidence_seal.EvidenceSealError as exc:
            raise EvidenceRejected(f"Tệp “{record.filename}”: {exc}", 400) from None
    storage.delete(arrival.upload_key)  # the sealed parts hold the same ciphertext now
    return record


def open_evidence(storage, sha256: str, commune_id: str, holder: str, private_key) -> Iterator[bytes]:
    """The plaintext of a file of ``commune_id``'s dossier, part by part, for an unlocked reviewer
    (``holder`` as in ``evidence_seal.holder_name``): the file sealed for that commune, or else the same
    file in the first, clear format. ``NotFound`` when neither exists; ``evidence_seal.EvidenceSealError``
    when the key does not open it or it is damaged; ``ValueError`` for a clear file that fails its hash."""
    if not _SHA.match(sha256) or not _COMMUNE.match(commune_id):
        raise NotFound(sha256)
    try:
        manifest = evidence_seal.read_manifest(storage, EVIDENCE_PREFIX, sha256, commune_id)
    except NotFound:
        return read_evidence(storage, sha256)
    return _checked(evidence_seal.open_sealed(storage, manifest, sha256, holder, private_key), sha256)


def _checked(parts: Iterator[bytes], sha256: str) -> Iterator[bytes]:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        yield part
    if digest.hexdigest() != sha256:
        raise evidence_seal.EvidenceSealError("Tệp minh chứng không khớp mã kiểm tra.")


def read_evidence(storage, sha256: str) -> Iterator[bytes]:
    """The stored bytes of an evidence file, part by part (checked against its hash at the end)."""
    if not _SHA.match(sha256):
        raise NotFound(sha256)
    manifest = json.loads(storage.read(evidence_manifest_key(sha256)))
    digest = hashlib.sha256()
    for i in range(manifest["parts"]):
        part = storage.read(f"{EVIDENCE_PREFIX}/{sha256}/part-{i:06d}")
        digest.update(part)
        yield part
    if digest.hexdigest() != sha256:
        raise ValueError(f"evidence {sha256} does not match its hash")


# -- submissions --------------------------------------------------------------------------------

def submission_prefix(year: int, commune_id: str) -> str:
    return f"{PREFIX}/{year}/{commune_id}/"


def versions(storage, year: int, commune_id: str) -> list[tuple[int, str]]:
    found = []
    for key in storage.list(submission_prefix(year, commune_id)):
        rest = key[len(submission_prefix(year, commune_id)):]
        m = _VERSION.match(rest)
        if m:
            found.append((int(m.group(1)), key))
    return sorted(found)


def read_submission(storage, year: int, commune_id: str, version: int) -> dict:
    return json.loads(storage.read(f"{submission_prefix(year, commune_id)}v{version:04d}.json"))


def latest(storage, year: int, commune_id: str) -> dict | None:
    found = versions(storage, year, commune_id)
    return json.loads(storage.read(found[-1][1])) if found else None


def find_by_submission_id(storage, year: int, commune_id: str, submission_id: str) -> dict | None:
    if not submission_id:
        return None
    for _, key in reversed(versions(storage, year, commune_id)):
        record = json.loads(storage.read(key))
        if record.get("submission_id") == submission_id:
            return record
    return None


def commit_submission(storage, record: dict[str, Any], *, now: dt.datetime | None = None) -> dict:
    """Write ``record`` as the next version (create-only); the written record is returned.

    Two writers racing for one version: the loser retries with the next number, after checking
    whether the winner was the same submission (a double click), which it then returns instead.
    """
    year, commune_id = record["year"], record["commune"]
    while True:
        if record.get("submission_id"):
            previous = find_by_submission_id(storage, year, commune_id, record["submission_id"])
            if previous is not None:
                return {**previous, "duplicate": True}
        found = versions(storage, year, commune_id)
        version = (found[-1][0] if found else 0) + 1
        stamped = {**record, "version": version,
                   "submitted_at": (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")}
        try:
            storage.create(f"{submission_prefix(year, commune_id)}v{version:04d}.json",
                           json.dumps(stamped, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8"))
        except AlreadyExists:
            continue
        return stamped


def report_rows(storage, places, year: int, rubric=None) -> list[dict[str, Any]]:
    """One row per today's commune for ``year``: submitted or not, its latest version's result.

    ``rubric`` (the one in force for that year) gives the threshold of communes that have not
    submitted yet; a submitted version keeps the threshold it was scored against.
    """
    rows = []
    for commune in places.communes:
        found = versions(storage, year, commune.id)
        row = {"commune_id": commune.id, "commune": commune.label, "former": ", ".join(commune.former_names),
               "year": year, "submitted": bool(found), "version": None, "versions": len(found),
               "submitted_at": None, "total": None, "threshold": None, "verdict": "Chưa nộp",
               "reasons": "", "rubric": "",
               "band_note": "" if commune.threshold_band_confidence == "confirmed" else
               "nhóm ngưỡng là suy luận, chưa xác nhận"}
        if rubric is not None:
            try:
                row["threshold"] = rubric.threshold_for(commune.threshold_band).points
                row["rubric"] = rubric.official_number
            except KeyError:
                pass
        if found:
            record = json.loads(storage.read(found[-1][1]))
            result = record.get("result", {})
            row.update(version=record.get("version"), submitted_at=record.get("submitted_at"),
                       total=result.get("total"), threshold=result.get("threshold"),
                       verdict=result.get("verdict"), reasons=" ".join(result.get("reasons", [])),
                       rubric=record.get("rubric", {}).get("official_number", ""))
        rows.append(row)
    return rows


# -- evidence stored in the clear before encryption --------------------------------------------

_SUBMISSION_KEY = re.compile(r"^assessments/(\d{4})/([a-z0-9][a-z0-9-]*)/v\d{4,}\.json$")


def clear_evidence_users(storage) -> dict[str, set[str]]:
    """SHA-256 of each evidence file still stored in the clear first format → the communes whose
    submissions name it (each needs its own sealed copy before the clear one may go)."""
    users: dict[str, set[str]] = {}
    for key in storage.list(f"{PREFIX}/"):
        m = _SUBMISSION_KEY.match(key)
        if not m:
            continue
        for f in json.loads(storage.read(key)).get("evidence", []):
            sha = str(f.get("sha256", ""))
            if _SHA.match(sha) and storage.exists(evidence_manifest_key(sha)):
                users.setdefault(sha, set()).add(m.group(2))
    return users


def seal_clear_evidence(storage, lock_for) -> tuple[int, int]:
    """Encrypt every clear evidence file for each commune that uses it (``lock_for(commune_id)`` gives the
    lock), then delete the clear copy (manifest first, so a half-deleted file never looks complete).
    Returns (sealed copies written, clear files removed). Safe to run again after an interruption."""
    sealed = removed = 0
    for sha, communes in sorted(clear_evidence_users(storage).items()):
        with tempfile.SpooledTemporaryFile(max_size=CHUNK_BYTES) as plain:
            for part in read_evidence(storage, sha):  # raises ValueError when the clear file is damaged
                plain.write(part)
            manifest = json.loads(storage.read(evidence_manifest_key(sha)))
            facts = {"sha256": sha, "size": manifest["size"], "kind": manifest["kind"]}
            for commune_id in sorted(communes):
                if not storage.exists(evidence_seal.manifest_key(EVIDENCE_PREFIX, sha, commune_id)):
                    evidence_seal.write_sealed(storage, EVIDENCE_PREFIX, lock_for(commune_id), plain, commune_id, facts)
                    sealed += 1
        storage.delete(evidence_manifest_key(sha))
        for i in range(manifest["parts"]):
            storage.delete(f"{EVIDENCE_PREFIX}/{sha}/part-{i:06d}")
        removed += 1
    return sealed, removed


# -- sealed evidence shared with officers added later ------------------------------------------------

_SEALED_MANIFEST = re.compile(rf"^{EVIDENCE_PREFIX}/([0-9a-f]{{64}})/sealed-([a-z0-9][a-z0-9-]*)\.json$")


def share_sealed_evidence(storage, recipients_for, holder: str, private_key) -> tuple[int, int, int]:
    """For every sealed evidence file, seal its content key to whoever ``recipients_for(commune_id)`` names
    and cannot open it yet, opened with ``holder``'s key. Returns (keys added, files shared, files this key
    cannot open). Safe to run again: it adds only what is missing."""
    added = shared = closed = 0
    for key in storage.list(f"{EVIDENCE_PREFIX}/"):
        m = _SEALED_MANIFEST.match(key)
        if not m:
            continue
        try:
            manifest = evidence_seal.read_manifest(storage, EVIDENCE_PREFIX, m.group(1), m.group(2))
            new = evidence_seal.share_with(storage, manifest, holder, private_key, recipients_for(m.group(2)))
        except (evidence_seal.EvidenceSealError, ValueError, KeyError):
            closed += 1
            continue
        added += len(new)
        shared += bool(new)
    return added, shared, closed
