"""Settings: one dataclass, read from ``BVTE_*`` environment variables; explicit arguments win.

Only this module (and the adapters that call it) reads the environment: ``core`` never does.
Add a setting by adding a field with a default; ``from_env`` picks up ``BVTE_<FIELD NAME>``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Config:
    # Where the local backend stores everything, and where dev keys/secrets are created.
    data_dir: Path = Path("./var")
    # The built site (served statically; its shell page gives API pages the site's look).
    site_dir: Path = REPO_ROOT / "site"
    # Markdown and YAML data: places, categories, rubrics, hotlines.
    content_dir: Path = REPO_ROOT / "content"

    # Storage: "local" (data_dir) or "s3" (any S3-compatible endpoint).
    storage: str = "local"
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_region: str = "ap-southeast-1"
    s3_endpoint_url: str = ""
    dynamodb_table: str = ""
    dynamodb_endpoint_url: str = ""
    # Bound on one S3/DynamoDB operation, retries included (seconds); then 503.
    storage_deadline_seconds: int = 8
    # Lambda only: the API areas this function serves (comma separated, e.g. "tips"); empty = all.
    lambda_areas: str = ""

    # Secret for keyed hashes (receipts, access codes, rate-limit keys). Local: created in data_dir.
    secret_key: str = ""
    # The office root's public key (base64 Ed25519, 32 bytes; `bvte office init` prints it): with it,
    # each report gets its own content key sealed to the root and to the officers of the signed keyring.
    # Empty = data_dir/keys/office-root.pub when it exists, else the single key below (the first format).
    office_public_key: str = ""
    # The single office key (base64, 32 bytes) reports were sealed to before the keyring; empty = file in
    # data_dir/keys. Still opens old reports (`bvte office migrate` re-wraps them for the keyring).
    public_key: str = ""

    # Origins allowed to post forms (comma separated); the request's own host is always allowed.
    allowed_origins: str = ""

    # Tips.
    tips_per_hour: int = 10
    tip_max_attachments: int = 3
    tip_max_attachment_bytes: int = 5 * 1024 * 1024
    status_lookups_per_hour: int = 30
    # Receipt holders' messages (POST /api/tips/messages): per client and per receipt (keyed hash), each a
    # sliding hour; every answer after the receipt parses is held to a floor (seconds) so known and unknown
    # receipts take the same time (keep it above a message's writes to the storage in use).
    tip_messages_per_hour: int = 30
    tip_messages_per_receipt_hour: int = 20
    tip_message_floor_seconds: float = 0.3

    # Assessments.
    assessment_max_file_bytes: int = 20 * 1024 * 1024
    assessment_max_total_bytes: int = 100 * 1024 * 1024
    access_code_attempts_per_hour: int = 10
    # Wrong codes for one commune from all clients that write an alert to the log (never a lockout).
    access_code_commune_attempts_per_hour: int = 50
    assessment_upload_ahead_bytes: int = 4 * 1024 * 1024  # with JS, files above this go ahead by presigned POST; 0 = all (Lambda)

    # Bytes one client may have stored per hour across every endpoint (report attachments, evidence files,
    # upload slots): a sliding hour, counted before anything is written.
    storage_budget_bytes_per_hour: int = 300 * 1024 * 1024

    # Largest request body accepted at all (bytes): above it, 413 before reading.
    max_request_bytes: int = 110 * 1024 * 1024

    # Visitor counter: beacons counted per client address and sliding hour (beyond, answered 204 and not
    # counted: one client cannot inflate the figures or fill storage with visitor markers).
    visits_per_client_per_hour: int = 300

    # Visitor counter: how long GET /api/visits may reuse figures it read (each read costs counter calls).
    visits_cache_seconds: int = 5

    # Origins the API's own HTML answers may connect to besides 'self' (CSP connect-src): the data
    # bucket that receives presigned evidence uploads, e.g. https://BUCKET.s3.REGION.amazonaws.com.
    csp_connect_src: str = ""
    # Behind CloudFront: the value CloudFront adds as X-Bvte-Edge. Only requests carrying it may name the
    # client's address (CloudFront-Viewer-Address); others are rate-limited by their own source address.
    edge_secret: str = ""

    # Notices to officers (functions/notifications/): fixed text, never anything about the report.
    # SMTP: security starttls (default), tls or none; port 0 = 587 / 465 / 25 by security; the password is
    # read from the file BVTE_SMTP_PASSWORD_FILE names (never the password itself in the environment).
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password_file: str = ""
    smtp_from: str = ""
    # Addresses told of every report (comma separated): the simple setting for a one-officer office.
    notify_to: str = ""
    # Webhook: HTTPS POST, signed with HMAC-SHA256 under the secret in BVTE_WEBHOOK_SECRET_FILE.
    webhook_url: str = ""
    webhook_secret_file: str = ""
    # AWS: an SNS topic the office subscribes its officers to (told of every report).
    notify_sns_topic_arn: str = ""
    # Say "khẩn cấp" in the notice when the reporter ticked urgent (off: the notice then reveals nothing).
    notify_urgent_wording: bool = False
    # At most one notice per officer and channel in this many minutes (a flood becomes one notice).
    notify_batch_minutes: int = 5
    # How long one delivery may wait for a mail server or the webhook (seconds).
    notify_timeout_seconds: int = 10

    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Config":
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = environ.get("BVTE_" + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> "Config":
        return dataclasses.replace(self, **changes)

    def __post_init__(self) -> None:
        for name in ("data_dir", "site_dir", "content_dir"):
            setattr(self, name, Path(getattr(self, name)))

    @property
    def allowed_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]


def _coerce(f: dataclasses.Field, raw: str) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind == "Path":
        return Path(raw)
    return raw
