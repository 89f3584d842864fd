"""Checking a file a consultant uploads to a business's dossier: by its content, not its name.

Only PDF, JPEG and PNG are taken, recognised by their first bytes (magic numbers); the file's
name must end in an extension of the same type, so ``label.html`` holding a PNG and
``scan.pdf`` holding HTML are both refused. An empty file, one over the size limit, a PDF
without its end marker (cut off in transfer) and a PNG whose header claims a picture too large
to open (a decompression bomb) are refused too. Each refusal says what is wrong and what to do.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass

from workflow.errors import InvalidInput

__all__ = [
    "MAX_PIXELS",
    "TYPES",
    "CheckedUpload",
    "UploadRefused",
    "check_upload",
    "clean_filename",
]

MAX_PIXELS = 60_000_000
"""The largest picture taken (an A4 scan at 600 dpi is 35 million pixels)."""


@dataclass(frozen=True, slots=True)
class FileType:
    """A type of file the dossier takes."""

    name: str
    media_type: str
    magic: bytes
    extensions: tuple[str, ...]


TYPES = (
    FileType("PDF", "application/pdf", b"%PDF-", (".pdf",)),
    FileType("JPEG", "image/jpeg", b"\xff\xd8\xff", (".jpg", ".jpeg")),
    FileType("PNG", "image/png", b"\x89PNG\r\n\x1a\n", (".png",)),
)
"""PDF, JPEG and PNG, by their first bytes."""


class UploadRefused(InvalidInput):
    """An uploaded file the dossier does not take; the message says why and what to send."""


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    """A file that passed the checks: its type and a safe name to record."""

    media_type: str
    type_name: str
    filename: str
    size: int


def clean_filename(name: str) -> str:
    """The last part of a browser's file name, without control characters, at most 120
    characters (its extension kept)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 119 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else base[:120]
    return base


def _png_pixels(data: bytes) -> int | None:
    """Width x height from a PNG's IHDR chunk, or None if it has none where it must be."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width) * int(height)


def check_upload(data: bytes, filename: str, limit: int) -> CheckedUpload:
    """``data`` uploaded as ``filename`` if the dossier takes it (at most ``limit`` bytes);
    else ``UploadRefused`` saying why."""
    name = clean_filename(filename)
    accepted = "PDF, JPEG or PNG"
    if not data:
        raise UploadRefused("the file is empty; choose the scanned document again")
    if len(data) > limit:
        raise UploadRefused(
            f"the file is {len(data) / 1048576:.1f} MB; the limit is {limit // 1048576} MB: "
            "scan it at a lower resolution or split it"
        )
    found = next((t for t in TYPES if data.startswith(t.magic)), None)
    if found is None:
        raise UploadRefused(
            f"{name or 'the file'} is not a {accepted} file (its content says otherwise); "
            "save or scan the document as PDF, JPEG or PNG"
        )
    extension = "." + name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in found.extensions:
        raise UploadRefused(
            f"{name or 'the file'} holds a {found.name} but its name does not end in "
            f"{' or '.join(found.extensions)}; rename it and upload it again"
        )
    if found.name == "PDF" and b"%%EOF" not in data[-2048:]:
        raise UploadRefused(f"{name} is an incomplete PDF (no end marker); save it again")
    if found.name == "PNG":
        pixels = _png_pixels(data)
        if pixels is None:
            raise UploadRefused(f"{name} is a damaged PNG; save it again")
        if pixels > MAX_PIXELS:
            raise UploadRefused(
                f"{name} claims {pixels:,} pixels, more than {MAX_PIXELS:,}; "
                "scan it at a lower resolution"
            )
    return CheckedUpload(found.media_type, found.name, name, len(data))
