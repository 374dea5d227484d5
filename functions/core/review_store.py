"""Signed, create-only review records of self-assessments, each pinned to the version it reviews.

Storage layout: ``assessment-reviews/<year>/<commune>/v<NNNN>/r<NNNN>.json`` — the Nth review of
version NNNN of that commune's submission. The record names the version and the SHA-256 of the stored
submission bytes it was made from, and is signed (Ed25519, ``office_keys.canonical``) by the officer's
key like case events. A resubmission is a new version in its own folder, so no later write can change
or re-attach an earlier review. Reviews are not encrypted: totals, verdicts and comments are what the
commune reads with its access code and what the yearly report prints without a key.

A review counts only when its signature verifies against the keyring in force at its time and its
author (or the root) covers the commune; others are kept and reported as not verified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from nacl.signing import VerifyKey

from . import assessments
from .assessment_review import ReviewDecision, status_key
from .office_keys import Identity, Keyring, keyring_at, signature_valid, utcnow
from .store import AlreadyExists, NotFound

PREFIX = "assessment-reviews"
FORMAT = "bvte-assessment-review-v1"
ROOT = "root"
_REVIEW = re.compile(r"^r(\d{4,})\.json$")

Verifier = Callable[[str, str, str], "VerifyKey | None"]  # (author, time, commune) → key or None


class ReviewStale(ValueError):
    """The version a reviewer read is no longer the latest (the commune resubmitted meanwhile), or its
    stored bytes are not what the reviewer read; the message is Vietnamese."""


@dataclass(frozen=True)
class StoredReview:
    key: str
    number: int
    document: dict
    verified: bool

    @property
    def outcome(self) -> str:
        return str(self.document.get("outcome") or "")


def version_prefix(year: int, commune_id: str, version: int) -> str:
    return f"{PREFIX}/{year}/{commune_id}/v{version:04d}/"


def submission_digest(storage, year: int, commune_id: str, version: int) -> str:
    """SHA-256 of the stored submission record of that version (what a review is pinned to)."""
    data = storage.read(f"{assessments.submission_prefix(year, commune_id)}v{version:04d}.json")
    return hashlib.sha256(data).hexdigest()


def verifier(root: VerifyKey, keyrings: list[Keyring]) -> Verifier:
    """Who may sign a review: the root, or an officer of the keyring in force then who covers the commune."""
    def key_for(author: str, time: str, commune_id: str) -> VerifyKey | None:
        if author == ROOT:
            return root
        officer = keyring_at(keyrings, time).officer(author)
        return officer.verify_key if officer and officer.covers(commune_id) else None

    return key_for


def _numbers(storage, prefix: str) -> list[tuple[int, str]]:
    found = []
    for key in storage.list(prefix):
        m = _REVIEW.match(key[len(prefix):])
        if m:
            found.append((int(m.group(1)), key))
    return sorted(found)


def write_review(storage, *, commune_id: str, year: int, version: int, submission_sha256: str,
                 decision: ReviewDecision, author: str, identity: Identity,
                 now: dt.datetime | None = None) -> StoredReview:
    """Sign and store ``decision`` as the next review of exactly ``version`` (create-only).

    Refuses (``ReviewStale``) when the commune has a newer version than the one read, or when the
    stored version is not the bytes the reviewer read. Two reviewers racing for one number: the loser
    takes the next one. Whatever happens meanwhile, the record names the version and bytes it reviewed.
    """
    latest = assessments.versions(storage, year, commune_id)
    if not latest or latest[-1][0] != version:
        raise ReviewStale(f"Xã đã gửi bản mới (lần {latest[-1][0] if latest else '?'}) trong lúc xem xét "
                          f"lần {version}: hãy mở lại bản mới nhất.")
    if submission_digest(storage, year, commune_id, version) != submission_sha256:
        raise ReviewStale("Bản tự đánh giá đã lưu khác với bản đang xem: hãy mở lại.")
    now = now or utcnow()
    prefix = version_prefix(year, commune_id, version)
    while True:
        found = _numbers(storage, prefix)
        number = (found[-1][0] if found else 0) + 1
        document = {"format": FORMAT, "commune": commune_id, "year": year, "version": version,
                    "submission_sha256": submission_sha256, "number": number, "author": author,
                    "time": now.isoformat(timespec="seconds"), **decision.as_dict()}
        document["signature"] = identity.sign(document)
        key = f"{prefix}r{number:04d}.json"
        try:
            storage.create(key, json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8"))
        except AlreadyExists:
            continue
        return StoredReview(key, number, document, True)


def _check(document: Any, *, commune_id: str, year: int, version: int, verify: Verifier) -> bool:
    """True when a stored review is well formed, about this version, and signed by someone allowed."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return False
    if (document.get("commune"), document.get("year"), document.get("version")) != (commune_id, year, version):
        return False
    signer = verify(str(document.get("author", "")), str(document.get("time", "")), commune_id)
    signed = {k: v for k, v in document.items() if k != "signature"}
    return signer is not None and signature_valid(signer, signed, str(document.get("signature", "")))


def read_reviews(storage, year: int, commune_id: str, version: int, verify: Verifier) -> list[StoredReview]:
    """Every review of that version, oldest first, each marked verified or not."""
    reviews = []
    for number, key in _numbers(storage, version_prefix(year, commune_id, version)):
        try:
            document = json.loads(storage.read(key))
        except (NotFound, ValueError):
            continue
        ok = _check(document, commune_id=commune_id, year=year, version=version, verify=verify)
        reviews.append(StoredReview(key, number, document if isinstance(document, dict) else {}, ok))
    return reviews


def latest_verified(storage, year: int, commune_id: str, version: int, verify: Verifier) -> StoredReview | None:
    verified = [r for r in read_reviews(storage, year, commune_id, version, verify) if r.verified]
    return verified[-1] if verified else None


@dataclass(frozen=True)
class Standing:
    """Where a commune's self-assessment of a year stands: its latest version and that version's latest
    verified review (``None`` for either when there is none)."""

    submission: dict | None
    review: StoredReview | None

    @property
    def status(self) -> str:
        if self.submission is None:
            return ""
        return status_key(self.review.document if self.review else None)


def standing(storage, year: int, commune_id: str, verify: Verifier | None) -> Standing:
    """The latest version and its latest verified review; without a verifier no review counts."""
    submission = assessments.latest(storage, year, commune_id)
    if submission is None:
        return Standing(None, None)
    review = latest_verified(storage, year, commune_id, submission["version"], verify) if verify else None
    return Standing(submission, review)
