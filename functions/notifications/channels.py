"""How a notice leaves the office: SMTP (``smtplib``/``email``), a signed webhook, or an SNS topic.

Each channel opens a ``Link`` whose work is split at the point of no return, so the sender can record that
point before crossing it (exactly once, see ``sender``):

- ``prepare(address)``: everything that cannot deliver anything — connect, TLS, log in, SMTP ``MAIL FROM``
  and ``RCPT TO``. A failure here means the notice was certainly not delivered;
- ``transmit(notice, notice_id)``: the one step that delivers (SMTP ``DATA``, the HTTP request, SNS
  ``Publish``). ``Refused`` when the far end answered that it did not take it; any other error leaves it
  unknown whether the notice arrived.

Webhook requests carry ``X-Bvte-Timestamp`` (Unix seconds) and ``X-Bvte-Signature: sha256=<hex>``, the
HMAC-SHA256 under the office's secret of ``"<timestamp>." + body``; ``verify_webhook`` is the reference
check a relay runs (it refuses a timestamp more than 5 minutes away, so a captured request cannot be
replayed later). Plain ``http://`` is accepted only for a loopback address (a relay on the same machine).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

from .messages import Notice

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
SIGNATURE_HEADER, TIMESTAMP_HEADER, NOTICE_HEADER = "X-Bvte-Signature", "X-Bvte-Timestamp", "X-Bvte-Notice"
WEBHOOK_TOLERANCE_SECONDS = 300


class Refused(Exception):
    """The far end answered that it did not take the notice: it was certainly not delivered."""


class ChannelError(ValueError):
    """A channel's settings cannot work; the message is Vietnamese and names the setting."""


def read_secret_file(path: str, setting: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise ChannelError(f"Không đọc được tệp mà {setting} chỉ tới.") from None


# -- SMTP ------------------------------------------------------------------------------------------------

class SmtpChannel:
    name = "smtp"

    def __init__(self, host: str, port: int, security: str, sender: str, user: str = "", password: str = "",
                 timeout: float = 10):
        if security not in SECURITY:
            raise ChannelError(f"BVTE_SMTP_SECURITY phải là một trong: {', '.join(SECURITY)}.")
        if not sender:
            raise ChannelError("Cần địa chỉ người gửi BVTE_SMTP_FROM.")
        self.host, self.port, self.security = host, port or DEFAULT_PORTS[security], security
        self.sender, self.user, self.password, self.timeout = sender, user, password, timeout

    @classmethod
    def from_config(cls, config) -> "SmtpChannel | None":
        if not config.smtp_host:
            return None
        password = read_secret_file(config.smtp_password_file, "BVTE_SMTP_PASSWORD_FILE") \
            if config.smtp_password_file else ""
        return cls(config.smtp_host, config.smtp_port, config.smtp_security, config.smtp_from,
                   config.smtp_user, password, config.notify_timeout_seconds)

    def open(self) -> "SmtpLink":
        return SmtpLink(self)


class SmtpLink:
    """One SMTP connection, reused for several notices; reopened after a failure."""

    def __init__(self, channel: SmtpChannel):
        self.channel = channel
        self.client = None
        self.address = ""

    def _connect(self):
        import smtplib
        import ssl

        c = self.channel
        if c.security == "tls":
            client = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        try:
            client.ehlo()
            if c.security == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if c.user:
                client.login(c.user, c.password)
        except BaseException:
            client.close()
            raise
        return client

    def prepare(self, address: str) -> None:
        if self.client is not None:
            try:
                self.client.rset()  # a fresh transaction on the reused connection
            except Exception:  # noqa: BLE001 - the server dropped an idle connection: open a new one
                self.close()
        if self.client is None:
            self.client = self._connect()
        code, _ = self.client.mail(self.channel.sender)
        if code != 250:
            raise Refused(f"MAIL {code}")
        code, _ = self.client.rcpt(address)
        if code not in (250, 251):
            raise Refused(f"RCPT {code}")
        self.address = address

    def transmit(self, notice: Notice, notice_id: str) -> None:
        import smtplib

        try:
            code, _ = self.client.data(email_bytes(self.channel.sender, self.address, notice, notice_id))
        except smtplib.SMTPDataError as exc:
            raise Refused(f"DATA {exc.smtp_code}") from None
        if code != 250:
            raise Refused(f"DATA {code}")

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except Exception:  # noqa: BLE001 - closing a connection that may already be gone
                self.client.close()
            self.client = None


def email_bytes(sender: str, address: str, notice: Notice, notice_id: str) -> bytes:
    """The message as SMTP carries it: fixed subject, plain UTF-8 text, no other header than needed."""
    from email import policy

    message = EmailMessage()
    message["From"] = sender
    message["To"] = address
    message["Subject"] = notice.subject
    message["Date"] = formatdate(usegmt=True)
    # The same id for every attempt at one notice: a mail client may fold a duplicate away.
    message["Message-ID"] = f"<{notice_id}@bvte.invalid>"
    message.set_content(notice.body, charset="utf-8")
    return message.as_bytes(policy=policy.SMTP)


# -- webhook -------------------------------------------------------------------------------------------

def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sign_webhook(secret: bytes, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_webhook(secret: bytes, body: bytes, timestamp: str, signature: str, now: float | None = None,
                   tolerance: int = WEBHOOK_TOLERANCE_SECONDS) -> bool:
    """The relay's check: the signature matches the body and timestamp, and the timestamp is within
    ``tolerance`` seconds of now (an old request replayed is refused)."""
    now = time.time() if now is None else now
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - moment) > tolerance:
        return False
    return hmac.compare_digest(sign_webhook(secret, body, moment), str(signature))


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, secret: bytes, timeout: float = 10):
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname or "")):
            raise ChannelError("BVTE_WEBHOOK_URL phải là địa chỉ https:// (http:// chỉ cho máy này, 127.0.0.1).")
        if not secret:
            raise ChannelError("Cần khóa ký webhook: BVTE_WEBHOOK_SECRET_FILE chỉ tới tệp chứa khóa.")
        self.parts, self.secret, self.timeout = parts, secret, timeout

    @classmethod
    def from_config(cls, config) -> "WebhookChannel | None":
        if not config.webhook_url:
            return None
        secret = read_secret_file(config.webhook_secret_file, "BVTE_WEBHOOK_SECRET_FILE") \
            if config.webhook_secret_file else ""
        return cls(config.webhook_url, secret.encode("utf-8"), config.notify_timeout_seconds)

    def open(self) -> "WebhookLink":
        return WebhookLink(self)


class WebhookLink:
    """One HTTP connection per notice: connected in ``prepare``, the request sent in ``transmit``."""

    def __init__(self, channel: WebhookChannel):
        self.channel = channel
        self.connection = None
        self.recipient = ""

    def prepare(self, address: str) -> None:
        import http.client

        parts = self.channel.parts
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self.close()
        self.connection = kind(parts.hostname, parts.port, timeout=self.channel.timeout)
        self.connection.connect()
        self.recipient = address

    def transmit(self, notice: Notice, notice_id: str) -> None:
        body = json.dumps({"id": notice_id, "recipient": self.recipient, "subject": notice.subject,
                           "text": notice.body}, ensure_ascii=False).encode("utf-8")
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json; charset=utf-8", TIMESTAMP_HEADER: str(timestamp),
                   SIGNATURE_HEADER: sign_webhook(self.channel.secret, body, timestamp), NOTICE_HEADER: notice_id}
        path = self.channel.parts.path or "/"
        self.connection.request("POST", path + (f"?{self.channel.parts.query}" if self.channel.parts.query else ""),
                                body=body, headers=headers)
        answer = self.connection.getresponse()
        answer.read()
        self.close()
        if not 200 <= answer.status < 300:
            raise Refused(f"HTTP {answer.status}")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# -- SNS -------------------------------------------------------------------------------------------------

class SnsChannel:
    """An SNS topic the office subscribes its officers to (e-mail, SMS): one publish per notice."""

    name = "sns"

    def __init__(self, topic_arn: str, client=None):
        self.topic_arn, self.client = topic_arn, client

    @classmethod
    def from_config(cls, config) -> "SnsChannel | None":
        return cls(config.notify_sns_topic_arn) if config.notify_sns_topic_arn else None

    def open(self) -> "SnsLink":
        return SnsLink(self)


class SnsLink:
    def __init__(self, channel: SnsChannel):
        self.channel = channel

    def prepare(self, address: str) -> None:
        if self.channel.client is None:
            import boto3

            self.channel.client = boto3.client("sns")

    def transmit(self, notice: Notice, notice_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            # No Subject: SNS takes only ASCII there, and e-mail subscribers see the fixed text anyway.
            self.channel.client.publish(TopicArn=self.channel.topic_arn, Message=f"{notice.subject}\n\n{notice.body}")
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
            if 400 <= status < 500:
                raise Refused(f"SNS {status}") from None
            raise

    def close(self) -> None:
        pass


def configured_channels(config) -> list:
    """The channels the settings turn on (``ChannelError`` when one is set up wrong)."""
    return [c for c in (SmtpChannel.from_config(config), WebhookChannel.from_config(config),
                        SnsChannel.from_config(config)) if c is not None]
