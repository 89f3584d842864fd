"""The only way a document may load anything: packaged template assets and ``data:`` URIs.

WeasyPrint's default fetcher will embed ``/etc/passwd`` through ``<a rel=attachment>`` and make
requests to local servers; ``allowed_protocols={'file'}`` still reads any file. A UMKM types free
text (names, products, addresses) that ends up in documents, so every other URL is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = ["AssetsOnlyFetcher", "RefusedURL"]


class RefusedURL(ValueError):
    """A document asked for something outside the packaged assets."""


class AssetsOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """Serves files under ``root`` and ``data:`` URIs; refuses everything else."""

    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, **kwargs)
        self.root = root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """The asset at ``url``, or ``RefusedURL``."""
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                return URLFetcherResponse(url, path.read_bytes(), status=200)
        self.refused.append(url)
        raise RefusedURL(f"documents may load only packaged assets, not {url[:200]}")
