"""Attachments of a tip: recognised by content, images cleaned of what could identify the reporter.

Accepted: JPEG, PNG (checked by their first bytes, then decoded by Pillow) and PDF (``%PDF-``).
Images are re-encoded from their pixels alone, after applying the EXIF orientation: EXIF (GPS
position, camera and phone model, owner name, time), XMP, IPTC, ICC profiles and PNG text chunks
are not carried over. PDFs are kept as sent (the form says so): a PDF can hold an author name.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from .filetypes import JPEG, MEDIA_TYPES, PDF, PNG, describe_head

# The file extension a cleaned attachment is stored under (its media type is filetypes.MEDIA_TYPES').
EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}
# Decoding a small file into a huge bitmap is a classic way to exhaust memory: 40 megapixels is
# more than any phone camera sends and still fits comfortably in a Lambda's memory.
MAX_PIXELS = 40_000_000
# Stored photos are no larger than an officer needs to see what they show: the longer side at most this
# (a phone's 4000-pixel photo is halved; re-encoding it at full size made files 1.7 times larger).
MAX_SIDE = 2560
JPEG_QUALITY = 85


class AttachmentError(ValueError):
    """``status`` 415 (not a type we accept, or broken) or 413 (too large); ``message`` in Vietnamese."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class CleanFile:
    kind: str
    content_type: str
    extension: str
    data: bytes


def megabytes(size: int) -> str:
    """``5242880`` → ``5``; ``1572864`` → ``1,5`` (Vietnamese decimal comma)."""
    value = size / (1024 * 1024)
    return str(int(value)) if value == int(value) else f"{value:.1f}".replace(".", ",")


def sniff(data: bytes) -> str | None:
    """The kind of a tip attachment (JPEG, PNG or PDF) from its first bytes, whatever its name says.

    The magic bytes are ``filetypes.describe_head``'s; readers accept a PDF header after a little
    leading whitespace, and so do we."""
    if data[:1024].lstrip(b"\x00\t\n\r\x0c ").startswith(b"%PDF-"):
        return PDF
    kind, _ = describe_head(data)
    return kind if kind in (JPEG, PNG) else None


def _open(data: bytes) -> Image.Image:
    """The decoded image, at most ``MAX_SIDE`` on its longer side. A JPEG is scaled down while it is
    decoded (``draft``: the full-size bitmap never exists — a 40-megapixel photo once peaked near 460 MB),
    anything else right after decoding, before any copy is made."""
    image = Image.open(io.BytesIO(data))
    image.verify()  # structure and checksums; the object cannot be used afterwards
    image = Image.open(io.BytesIO(data))
    if image.width * image.height > MAX_PIXELS:
        raise AttachmentError(413, f"Ảnh quá lớn (hơn {MAX_PIXELS // 1_000_000} triệu điểm ảnh). Hãy gửi ảnh nhỏ hơn.")
    if image.format == "JPEG":
        image.draft(image.mode, (MAX_SIDE, MAX_SIDE))
    image.load()
    image.thumbnail((MAX_SIDE, MAX_SIDE))  # in place; no-op for images already small enough
    return image


def strip_image(data: bytes, kind: str) -> bytes:
    """The picture alone, upright, with no metadata; same format as sent."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _open(data)
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # animated PNG: the first frame is the picture
            image = ImageOps.exif_transpose(image)
    except AttachmentError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AttachmentError(413, "Ảnh quá lớn. Hãy gửi ảnh nhỏ hơn.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError):
        raise AttachmentError(415, "Không đọc được ảnh này (tệp bị hỏng hoặc không phải ảnh JPEG/PNG).") from None
    # A fresh image holding only pixels: no ``info`` dict (EXIF, XMP, ICC, text chunks) survives.
    mode = image.mode
    if kind == "jpeg" and mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
        mode = "RGB"
    if kind == "png" and mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGBA")
        mode = "RGBA"
    clean = Image.new(mode, image.size)
    if mode == "P":
        clean.putpalette(image.getpalette() or [])
        transparency = image.info.get("transparency")
    else:
        transparency = None
    clean.paste(image)
    out = io.BytesIO()
    if kind == "jpeg":
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        params = {"optimize": True}
        if transparency is not None:
            params["transparency"] = transparency
        clean.save(out, "PNG", **params)
    return out.getvalue()


def clean_attachment(data: bytes, max_bytes: int) -> CleanFile:
    """Check one uploaded file and return what may be stored (images without metadata)."""
    if len(data) > max_bytes:
        raise AttachmentError(413, f"Mỗi tệp tối đa {megabytes(max_bytes)} MB. Tệp này lớn hơn.")
    if not data:
        raise AttachmentError(415, "Tệp này trống.")
    kind = sniff(data)
    if kind is None:
        raise AttachmentError(415, "Chỉ nhận ảnh JPEG, PNG hoặc tệp PDF.")
    if kind == "pdf":
        if b"%%EOF" not in data[-2048:]:
            raise AttachmentError(415, "Tệp PDF bị hỏng hoặc chưa tải lên hết.")
        content = data
    else:
        content = strip_image(data, kind)
    content_type, extension = MEDIA_TYPES[kind], EXTENSIONS[kind]
    return CleanFile(kind, content_type, extension, content)
