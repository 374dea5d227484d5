"""Large evidence files: straight from the browser to storage, then verified before they count.

Lambda accepts at most 6 MB per request, far less than a commune's scanned dossier. So:

1. ``POST /api/uploads`` (JSON ``{"filename", "content_type", "size", "sha256"?}``, and the commune and its
   access code: only a commune holding its code gets slots) answers 201 with
   ``{"upload": TOKEN, "url", "fields", "max_bytes"}``. On S3 the url/fields are a presigned POST
   (key ``uploads/<random id>``, ``content-length-range`` 1..max, the exact Content-Type, 15 minutes):
   the S3 server itself refuses anything else. On the local backend they point at
   ``POST /api/uploads/local``, which checks the same policy (HMAC-signed) and stores create-only.
2. The browser posts ``fields`` + the file (as the last field, ``file``) to ``url``.
3. The assessment form then carries ``upload_evidence`` (or ``upload_evidence_<criterion id>``) =
   TOKEN. ``claimed_uploads`` turns each token into an ``Upload`` read from storage, so
   ``POST /api/assessments`` checks it exactly like a file sent in the form — size, type by content,
   SHA-256 (and the hash the browser announced, when it did) — before anything counts.

The token is signed with the server secret and names the key, the announced type and hash and an
expiry: a client cannot claim an object it did not upload through step 1.

**Sealed in the browser** (issue 13: evidence may hold children's personal data, and an object waiting
in the bucket must not be readable): the 201 of step 1 also carries ``"seal"`` — the format, the keyring
version, the chunk size and the public keys of exactly the holders the assessment intake would seal this
commune's evidence to (``assessments.evidence_lock``), with a seal token (``upload``). The page encrypts
the file as ``functions/core/evidence_seal.py`` does and posts ``{"seal": SEAL_TOKEN, "header", "facts",
"parts", "part_bytes", "keyring_version", "key:<holder>": …}`` to ``/api/uploads`` again; the answer is the
signed post for ONE object of exactly the encrypted chunks (``application/octet-stream``). On S3 the
first answer has no signed post at all: there, only a sealed file can be sent ahead. The local stand-in
takes both (it keeps a plain waiting file encrypted under a server key). A sealed upload is claimed by
its structure (size, recipients, commune), stored as the standard sealed parts, and its content (hash,
type) is checked when a reviewer opens it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from typing import IO
from urllib.parse import unquote

from ..core import evidence_seal, filetypes
from ..core.assessment_intake import TEMPLATE_FIELD
from ..storage import AlreadyExists, NotFound, StorageUnavailable
from .errors import ApiError
from .health import disk_low
from .http import SMALL_BODY_BYTES, Context, Request, Response, Upload, body_limit
from .security import over_budget, over_limit, same_origin

PREFIX = "uploads/"
LOCAL_PATH = "/api/uploads/local"
SIGN_SECONDS = 15 * 60  # the browser must start the upload within this
CLAIM_SECONDS = 24 * 3600  # an uploaded file may be attached to a form within this
UPLOADS_PER_HOUR = 60
FIELD_PREFIX = "upload_"
# What an evidence file may announce itself as (the content is checked again on claim).
ACCEPTED_TYPES = frozenset(filetypes.MEDIA_TYPES.values())
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UploadRejected(ApiError):
    """A claimed upload that cannot count (expired, missing, too large, damaged, not what it said)."""

    def __init__(self, status: int, field: str, message: str):
        super().__init__(status, "bad_upload", message, {field: message})
        self.field = field


# -- signed tokens --------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(ctx: Context, purpose: str, payload: dict) -> str:
    body = _b64(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode())
    mac = hmac.new(ctx.secret(), f"{purpose}|{body}".encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(ctx: Context, purpose: str, token: str, now: float | None = None) -> dict | None:
    try:
        body, mac = token.split(".", 1)
        expected = hmac.new(ctx.secret(), f"{purpose}|{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or payload.get("exp", 0) < (now or time.time()):
        return None
    return payload


# -- 1. sign --------------------------------------------------------------------------------

def _clean_name(name: str) -> str:
    name = re.sub(r"[\x00-\x1f\x7f]", "", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:120] or "tep-khong-ten"


@dataclass
class Announced:
    """What the browser says of a file before sending it."""

    filename: str
    content_type: str
    size: int
    sha256: str


def announced_file(body: dict, max_bytes: int) -> Announced:
    """The announced file, or ``ApiError`` 415 (type), 413 (size) or 400 (size unreadable, bad hash)."""
    announced = Announced(filename=_clean_name(body.get("filename", "")),
                          content_type=str(body.get("content_type", "")).split(";")[0].strip().lower(),
                          size=_int(body.get("size", 0)), sha256=str(body.get("sha256", "") or "").lower())
    errors = {}
    if announced.content_type not in ACCEPTED_TYPES:
        errors["file"] = "Chỉ nhận PDF, ảnh JPEG, ảnh PNG, bảng tính XLSX hoặc văn bản DOCX."
    if announced.size <= 0:
        errors.setdefault("file", "Tệp rỗng hoặc không đọc được kích thước.")
    elif announced.size > max_bytes:
        raise ApiError(413, fields={
            "file": f"Tệp “{announced.filename}” lớn hơn {max_bytes // (1024 * 1024)} MB cho mỗi tệp."})
    if announced.sha256 and not _SHA256.match(announced.sha256):
        errors["sha256"] = "Mã băm SHA-256 không hợp lệ."
    if errors:
        raise ApiError(415 if announced.content_type not in ACCEPTED_TYPES else 400, fields=errors)
    return announced


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: {"size": 1e999} is infinity
        return 0


def _upload_form(ctx: Context, key: str, content_type: str, max_bytes: int, now: float) -> tuple[str, dict]:
    """Where and with which fields the browser posts the file: S3's presigned POST, or the local stand-in."""
    presign = getattr(ctx.storage, "presigned_post", None)
    if presign is not None:
        form = presign(key, content_type, max_bytes, SIGN_SECONDS)
        return form["url"], form["fields"]
    policy = sign(ctx, "upload-policy", {"key": key, "content_type": content_type, "min": 1,
                                         "max": max_bytes, "exp": now + SIGN_SECONDS})
    return LOCAL_PATH, {"key": key, "Content-Type": content_type, "policy": policy}


def _check_commune_code(request: Request, ctx: Context):
    """Only a commune holding its access code gets upload slots (anyone else could fill the storage):
    ``commune`` and ``access_code`` as in the assessment form (JSON members, or the headers ``X-Commune``,
    percent-encoded, and ``X-Access-Code`` the page's script sends), checked and counted the same way
    (400 for an unknown commune, 401 for a wrong code, 429 after too many wrong ones)."""
    from .assessments import _check_access_code, places

    commune = places(ctx).resolve(request.value("commune") or unquote(request.header("x-commune")))
    if commune is None:
        raise ApiError(400, fields={"commune": "Hãy chọn xã trước khi tải tệp lên."})
    _check_access_code(request, ctx, commune, request.value("access_code") or request.header("x-access-code"))
    return commune


# A file announcement is a few hundred bytes; a seal's announcement about 1.8 KB plus 150 bytes per holder
# (one sealed key each): within the small limit up to about 15 officers covering one commune.
@body_limit(lambda config: SMALL_BODY_BYTES)
def start_upload(request: Request, ctx: Context) -> Response:
    if not same_origin(request, ctx):
        raise ApiError(403)
    body = request.json_body if isinstance(request.json_body, dict) else {}
    if "seal" in body:
        return _start_sealed(ctx, body)
    max_bytes = ctx.config.assessment_max_file_bytes
    announced = announced_file(body, max_bytes)
    commune = _check_commune_code(request, ctx)
    if disk_low(ctx):  # uploads give way before reports when the disk runs low
        raise ApiError(503)
    if over_limit(request, ctx, "uploads", UPLOADS_PER_HOUR) or over_budget(request, ctx, announced.size):
        raise ApiError(429)
    key, now = PREFIX + secrets.token_hex(16), time.time()
    answer = {"max_bytes": max_bytes}
    offer = _seal_offer(ctx, commune.id, announced, key, now)
    if offer is not None:
        answer["seal"] = offer
    if getattr(ctx.storage, "presigned_post", None) is not None:
        # The bucket would keep a plain file readable until it is claimed: only a sealed one goes there.
        if offer is None:
            raise ApiError(503 if announced.sha256 else 400, fields={"file": _CANNOT_SEAL})
        return Response.json(201, answer)
    url, fields = _upload_form(ctx, key, announced.content_type, max_bytes, now)
    token = sign(ctx, "upload-claim", {"key": key, "name": announced.filename, "type": announced.content_type,
                                       "sha256": announced.sha256, "exp": now + CLAIM_SECONDS})
    return Response.json(201, {**answer, "upload": token, "url": url, "fields": fields, "file_field": "file"})


_CANNOT_SEAL = ("Chưa mã hóa được tệp trong trình duyệt này nên chưa tải trước được. Hãy dùng trình duyệt "
                "mới hơn, hoặc gửi tệp nhỏ hơn kèm biểu mẫu.")
_SEAL_EXPIRED = "Phiên mã hóa tệp đã hết hạn: hãy bấm gửi lại."


def _lock(ctx: Context, commune_id: str):
    """The lock the assessment intake itself uses for this commune (one function, never a copy)."""
    from .assessments import evidence_lock

    return evidence_lock(ctx, commune_id)


def _seal_offer(ctx: Context, commune_id: str, announced: Announced, key: str, now: float) -> dict | None:
    """What a browser needs to seal this file for this commune, or None (no office key, or no hash to name
    the file by)."""
    lock = _lock(ctx, commune_id) if announced.sha256 else None
    if lock is None:
        return None
    token = sign(ctx, "upload-seal", {"key": key, "commune": commune_id, "name": announced.filename,
                                      "type": announced.content_type, "size": announced.size,
                                      "sha256": announced.sha256, "exp": now + SIGN_SECONDS})
    return {"format": evidence_seal.FORMAT, "keyring_version": lock.keyring_version,
            "chunk_bytes": evidence_seal.CHUNK_BYTES, "recipients": evidence_seal.public_recipients(lock),
            "upload": token}


def _announced_seal(body: dict) -> dict:
    """The seal's members from the flat JSON body (the API takes no nested objects): ``header``, ``facts``,
    ``parts``, ``part_bytes``, ``keyring_version`` and one ``key:<holder>`` per sealed key."""
    announced = {name: body.get(name) for name in ("header", "facts", "parts", "part_bytes", "keyring_version")}
    announced["keys"] = {name[4:]: value for name, value in body.items() if name.startswith("key:")}
    return announced


def _start_sealed(ctx: Context, body: dict) -> Response:
    """The signed post for a file the browser sealed: one object of exactly its encrypted chunks."""
    started = verify(ctx, "upload-seal", str(body.get("seal") or ""))
    announced = _announced_seal(body)
    if started is None:
        raise ApiError(400, fields={"file": _SEAL_EXPIRED})
    lock = _lock(ctx, started["commune"])
    try:
        seal = evidence_seal.check_browser_seal(announced, lock, started["size"]) if lock else None
    except evidence_seal.EvidenceSealError as exc:
        raise ApiError(400, fields={"file": str(exc)}) from None
    if seal is None:
        raise ApiError(503, fields={"file": _CANNOT_SEAL})
    if disk_low(ctx):
        raise ApiError(503)
    now, size = time.time(), evidence_seal.sealed_size(started["size"])
    # The object's key was fixed by the first step: announcing again cannot make room for more objects.
    url, fields = _upload_form(ctx, started["key"], SEALED_TYPE, size, now)
    token = sign(ctx, "upload-claim", {
        "key": started["key"], "name": started["name"], "type": started["type"], "sha256": started["sha256"],
        "size": started["size"], "commune": started["commune"], "seal_id": secrets.token_hex(8),
        "seal": seal.as_dict(), "exp": now + CLAIM_SECONDS})
    return Response.json(201, {"upload": token, "url": url, "fields": fields, "max_bytes": size,
                               "file_field": "file"})


SEALED_TYPE = "application/octet-stream"


# -- 2. the local stand-in for S3's POST Object ------------------------------------------------

def _s3_style_error(status: int, code: str, message: str) -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>")
    return Response(status, body.encode(), {"Content-Type": "application/xml"})


@body_limit(lambda config: config.assessment_max_file_bytes + 64 * 1024)  # the file and the policy's fields
def local_post(request: Request, ctx: Context) -> Response:
    """What S3 does with a presigned POST, for the local backend (answers like S3: 204 or XML error)."""
    if getattr(ctx.storage, "presigned_post", None) is not None:
        raise ApiError(404)
    policy = verify(ctx, "upload-policy", request.value("policy"))
    if policy is None or request.value("key") != policy["key"]:
        return _s3_style_error(403, "AccessDenied", "Invalid according to Policy: Policy Condition failed")
    if request.value("Content-Type") != policy["content_type"]:
        return _s3_style_error(403, "AccessDenied", "Invalid according to Policy: Policy Condition failed")
    files = [u for u in request.files if u.field == "file"]
    if len(files) != 1:
        return _s3_style_error(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    size = files[0].size()
    if size > policy["max"]:
        return _s3_style_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    if size < policy["min"]:
        return _s3_style_error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
    try:
        ctx.storage.create(policy["key"], _encrypt_waiting(ctx, policy["key"], files[0].read()))
    except AlreadyExists:
        return _s3_style_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
    except StorageUnavailable:
        return _s3_style_error(503, "ServiceUnavailable", "Please try again.")
    return Response(204)


# The local stand-in holds a file only until the form claims it, but it may hold children's personal
# data: it is written encrypted under a key derived from the server secret and the object's own key (the
# server must read it back to check it), never in the clear. The claimed file is then sealed to the
# office's reviewers like any other evidence (functions/core/evidence_seal.py).
_WAITING_MARK = b"bvte-upload-box-v1\n"


def _waiting_box(ctx: Context, key: str):
    from nacl.secret import SecretBox

    return SecretBox(hmac.new(ctx.secret(), f"upload-at-rest|{key}".encode(), hashlib.sha256).digest())


def _encrypt_waiting(ctx: Context, key: str, data: bytes) -> bytes:
    return _WAITING_MARK + _waiting_box(ctx, key).encrypt(data)


def _decrypt_waiting(ctx: Context, key: str, data: bytes) -> bytes | None:
    """The file as sent to the local stand-in (``data`` as is from a presigned S3 POST); None if damaged."""
    if not data.startswith(_WAITING_MARK):
        return data if getattr(ctx.storage, "presigned_post", None) is not None else None
    from nacl.exceptions import CryptoError

    try:
        return _waiting_box(ctx, key).decrypt(data[len(_WAITING_MARK):])
    except CryptoError:
        return None


# -- 3. claim: tokens in a form become Uploads --------------------------------------------------

def claimed_uploads(request: Request, ctx: Context) -> list[Upload]:
    """The uploaded files a form refers to (``upload_<field>`` = token), as ``Upload`` objects whose
    field is ``<field>`` — checked afterwards like any file sent in the form. Raises
    ``UploadRejected`` (400/415, per field) or ``StorageUnavailable``."""
    out: list[Upload] = []
    commune = _form_commune(request, ctx)
    names = list(request.form) if not isinstance(request.json_body, dict) else list(request.json_body)
    for name in names:
        if not name.startswith(FIELD_PREFIX):
            continue
        field = name[len(FIELD_PREFIX):]
        values = request.form.get(name) or ([request.value(name)] if request.value(name) else [])
        for token in values:
            if not token.strip():
                continue
            out.append(claim(ctx, token.strip(), field, commune))
    return out


def _form_commune(request: Request, ctx: Context) -> str:
    """The id of the commune the form names ("" when none): a sealed file counts only for its own."""
    from .assessments import places

    found = places(ctx).resolve(request.value("commune"))
    return found.id if found is not None else ""


class SealedUpload(Upload):
    """A file sealed in the browser: its stream is an ``evidence_seal.SealedArrival``, its size the
    announced plaintext size (what the form's limits count)."""

    def size(self) -> int:
        return self.stream.size

    def read(self, limit: int | None = None) -> bytes:
        raise UploadRejected(400, self.field, f"Tệp “{self.filename}” đã được mã hóa: máy chủ không đọc được.")


def claim(ctx: Context, token: str, field: str, commune_id: str = "") -> Upload:
    payload = verify(ctx, "upload-claim", token)
    if payload is None or not str(payload.get("key", "")).startswith(PREFIX):
        raise UploadRejected(400, field, "Tệp đã tải lên không còn hợp lệ (quá hạn). Hãy chọn và gửi lại tệp.")
    if "seal" in payload:
        return _claim_sealed(ctx, payload, field, commune_id)
    try:
        data = ctx.storage.read(payload["key"])
    except NotFound:
        raise UploadRejected(400, field, f"Chưa nhận được tệp “{payload['name']}”: hãy tải lên lại.") from None
    data = _decrypt_waiting(ctx, payload["key"], data)
    if data is None:
        raise UploadRejected(400, field, f"Tệp “{payload['name']}” bị hỏng khi tải lên: hãy tải lên lại.")
    max_bytes = ctx.config.assessment_max_file_bytes
    if not 0 < len(data) <= max_bytes:
        raise UploadRejected(413, field, f"Tệp “{payload['name']}” lớn hơn {max_bytes // (1024 * 1024)} MB.")
    digest = hashlib.sha256(data).hexdigest()
    if payload.get("sha256") and payload["sha256"] != digest:
        raise UploadRejected(400, field, f"Tệp “{payload['name']}” bị hỏng khi tải lên (mã băm không khớp): "
                                         "hãy tải lên lại.")
    stream = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
    stream.write(data)
    stream.seek(0)
    try:
        sniffed = filetypes.sniff(stream)
    except filetypes.ZipRejected as exc:
        raise UploadRejected(413 if exc.too_large else 415, field, f"Tệp “{payload['name']}”: {exc}") from None
    stream.seek(0)
    if sniffed.kind is None or filetypes.MEDIA_TYPES.get(sniffed.kind) != payload["type"]:
        raise UploadRejected(415, field, f"Tệp “{payload['name']}” không đúng loại đã khai "
                                         f"(thực chất là {sniffed.described}).")
    return Upload(field=field, filename=payload["name"], content_type=payload["type"], stream=stream)


def _claim_sealed(ctx: Context, payload: dict, field: str, commune_id: str) -> SealedUpload:
    """A sealed upload checked by its structure: for this form's commune, sealed to exactly the holders the
    intake seals to now, and an object of exactly the announced encrypted size. Its content is checked when
    a reviewer opens it."""
    name = payload["name"]
    if field == TEMPLATE_FIELD:  # the scores' spreadsheet is read by the server: the page sends it in the form
        raise UploadRejected(400, field, f"Bảng tính “{name}” hãy gửi kèm biểu mẫu, không tải trước.")
    if payload["commune"] != commune_id:
        raise UploadRejected(400, field, f"Tệp “{name}” được mã hóa cho xã khác với xã đã chọn: hãy chọn và tải lên lại.")
    lock = _lock(ctx, commune_id)
    try:
        seal = evidence_seal.check_browser_seal(payload["seal"], lock, payload["size"]) if lock else None
    except evidence_seal.EvidenceSealError as exc:
        raise UploadRejected(400, field, f"Tệp “{name}”: {exc}") from None
    if seal is None:
        raise UploadRejected(400, field, f"Tệp “{name}” đã mã hóa nhưng máy chủ chưa có khóa văn phòng.")
    arrival = evidence_seal.SealedArrival(
        seal=seal, ciphertext=None, sha256=payload["sha256"], size=payload["size"],
        kind=_kind_of(payload["type"]), commune_id=commune_id, seal_id=payload["seal_id"], upload_key=payload["key"])
    arrival.ciphertext = _sealed_object(ctx, payload, field, arrival)
    return SealedUpload(field=field, filename=name, content_type=payload["type"], stream=arrival)


def _kind_of(media_type: str) -> str:
    return next(kind for kind, media in filetypes.MEDIA_TYPES.items() if media == media_type)


def _sealed_object(ctx: Context, payload: dict, field: str, arrival) -> IO[bytes] | None:
    """The uploaded ciphertext, spooled to disk (a 50 MB object is not held twice in memory); None when this
    same upload was already stored (a resent form: the object went when its parts were written)."""
    try:
        data = ctx.storage.read(payload["key"])
    except NotFound:
        if _already_stored(ctx, arrival):
            return None
        raise UploadRejected(400, field, f"Chưa nhận được tệp “{payload['name']}”: hãy tải lên lại.") from None
    data = _decrypt_waiting(ctx, payload["key"], data)
    if data is None or len(data) != evidence_seal.sealed_size(payload["size"]):
        raise UploadRejected(400, field, f"Tệp “{payload['name']}” bị hỏng khi tải lên (kích thước không khớp): "
                                         "hãy tải lên lại.")
    stream = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
    stream.write(data)
    return stream


def _already_stored(ctx: Context, arrival) -> bool:
    """Whether the commune's sealed manifest of this file is the one this very upload wrote."""
    from ..core.assessments import EVIDENCE_PREFIX

    try:
        manifest = evidence_seal.read_manifest(ctx.storage, EVIDENCE_PREFIX, arrival.sha256, arrival.commune_id)
    except (NotFound, evidence_seal.EvidenceSealError, ValueError):
        return False
    return manifest.get("folder") == f"{EVIDENCE_PREFIX}/{arrival.sha256}/{arrival.commune_id}-{arrival.seal_id}"


ROUTES = [
    ("POST", "/api/uploads", start_upload),
    ("POST", LOCAL_PATH, local_post),
]
