"""Receipts: the reference a reporter keeps to look up their report, and how the server finds it.

A receipt is 19 random symbols plus 1 check symbol, shown in five groups of four
(``7KQ4-M2XH-9TPD-RW3C-BNF6``). The alphabet has 30 symbols: digits and capitals without the
look-alikes 0/O, 1/I/L and U (U/V), so 19 symbols carry 19 × log2(30) ≈ 93 bits. The check symbol
(Luhn mod 30) catches any single mistyped symbol and most swapped neighbours, so a typo is reported
as a typo instead of "not found".

Receipts are derived, not drawn: ``HMAC(secret, "receipt|" + submission_id)``. The secret makes
them unpredictable; the same submission id always gives the same receipt, so a retried
submission answers with the receipt of the first one without storing anything extra.
The receipt itself is never stored: only keyed hashes of it (``index_key``, ``reporter_key``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from .text import fold

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE = len(ALPHABET)  # 30
RANDOM_SYMBOLS = 19
LENGTH = RANDOM_SYMBOLS + 1
GROUP = 4
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class ReceiptError(ValueError):
    """Text that cannot be a receipt; ``reason`` is "empty", "length", "symbol" or "check"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_symbol(symbols: str) -> str:
    """Luhn mod N over the alphabet: detects every single-symbol error."""
    factor = 2
    total = 0
    for char in reversed(symbols):
        addend = factor * _INDEX[char]
        factor = 1 if factor == 2 else 2
        total += addend // BASE + addend % BASE
    return ALPHABET[(BASE - total % BASE) % BASE]


def _encode(number: int) -> str:
    digits = []
    for _ in range(RANDOM_SYMBOLS):
        number, rem = divmod(number, BASE)
        digits.append(ALPHABET[rem])
    body = "".join(digits)
    return body + check_symbol(body)


def format_receipt(compact: str) -> str:
    """``7KQ4M2XH...`` → ``7KQ4-M2XH-...`` (groups of four, for reading aloud)."""
    return "-".join(compact[i:i + GROUP] for i in range(0, len(compact), GROUP))


def derive(secret: bytes, submission_id: str) -> str:
    """The receipt of a submission (formatted). 256 bits of HMAC → 19 base-30 symbols: no bias worth naming."""
    digest = hmac.new(secret, b"receipt|" + submission_id.encode("utf-8"), hashlib.sha256).digest()
    return format_receipt(_encode(int.from_bytes(digest, "big")))


def random_receipt() -> str:
    """A receipt that belongs to nothing (honeypot answers): same look as a real one."""
    return format_receipt(_encode(secrets.randbits(256)))


def new_submission_id() -> str:
    return secrets.token_urlsafe(24)


def valid_submission_id(value: str) -> bool:
    return bool(SUBMISSION_ID.match(value or ""))


def parse(text: str) -> str:
    """Whatever a person typed → the canonical formatted receipt, or ``ReceiptError``.

    Accepts lower case, spaces, dots, missing or extra dashes, and the look-alikes a person
    reading a receipt aloud or copying it by hand writes. U is read as V; O/0 and I/L/1 are not
    in the alphabet and have several plausible readings, so each is tried and the check symbol
    decides (exactly one reading must pass, otherwise it is reported as a typo).
    """
    if not text or not text.strip():
        raise ReceiptError("empty")
    raw = re.sub(r"[\s\-_.·–—]+", "", fold(text)).upper()
    if not raw:
        raise ReceiptError("empty")
    if len(raw) != LENGTH:
        raise ReceiptError("length")
    raw = raw.replace("U", "V")
    readings = [""]
    for char in raw:
        if char in _INDEX:
            options = [char]
        elif char in ("0", "O"):
            options = ["D", "Q"]
        elif char in ("1", "I", "L"):
            options = ["T", "7", "J"]
        else:
            raise ReceiptError("symbol")
        readings = [r + o for r in readings for o in options][:64]
    matches = {r for r in readings if check_symbol(r[:-1]) == r[-1]}
    if len(matches) != 1:
        raise ReceiptError("check")
    return format_receipt(matches.pop())


def index_key(secret: bytes, receipt: str) -> str:
    """Storage name of the receipt's index entry: a keyed hash, so the receipt is never stored."""
    return hmac.new(secret, b"receipt-index|" + receipt.encode(), hashlib.sha256).hexdigest()


def reporter_key(secret: bytes, receipt: str) -> bytes:
    """32-byte key of what only the receipt holder (and the office) may read: status and messages."""
    return hmac.new(secret, b"reporter-key|" + receipt.encode(), hashlib.sha256).digest()


def tip_id(secret: bytes, submission_id: str) -> str:
    """Storage name of a submission's report: same submission, same record (exactly once)."""
    return hmac.new(secret, b"tip|" + submission_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
