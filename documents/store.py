"""PDFs on disk under their SHA-256: written atomically, read back only if they still match."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["ContentStore"]


class ContentStore:
    """A directory of PDFs named by their SHA-256 (``ab/abcdef....pdf``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, content_hash: str) -> Path:
        """Where the PDF with this SHA-256 is stored."""
        return self.root / content_hash[:2] / f"{content_hash}.pdf"

    def read(self, content_hash: str) -> bytes | None:
        """The stored PDF, or None if it is missing or no longer matches its hash. A damaged
        file is left for ``write`` to replace atomically: removing it here could remove the good
        file another worker has just written in its place."""
        try:
            data = self.path_of(content_hash).read_bytes()
        except FileNotFoundError:
            return None
        return data if hashlib.sha256(data).hexdigest() == content_hash else None

    def write(self, data: bytes) -> str:
        """Store ``data`` (atomically: readers never see half a file); its SHA-256."""
        content_hash = hashlib.sha256(data).hexdigest()
        path = self.path_of(content_hash)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
        return content_hash
