"""Where issued PDFs live, by their SHA-256: a local folder (embedded) or an S3-compatible bucket.

Both stores name a file by its content (``ab/<sha256>.pdf``), so writing it twice is harmless and
any process that knows a hash can fetch the file, whichever machine rendered it. A read hashes
what it got and treats a mismatch as missing: a damaged file is made again, never handed out.
``store_from_settings`` picks the store ``SERTIFLOW_STORAGE_URL`` names (empty: the folder
``SERTIFLOW_STORAGE_DIR``); credentials for a bucket come from boto3's usual environment
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from workflow.errors import InvalidInput, NotFound, SertiflowError
from workflow.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "ContentStore",
    "LocalStore",
    "S3Store",
    "StorageError",
    "read_intact",
    "read_stored",
    "store_from_settings",
]

_HASH = re.compile(r"[0-9a-f]{64}")


class StorageError(SertiflowError):
    """The object store cannot be used; the message names it and what to do."""

    code = "storage_error"


class ContentStore(Protocol):
    """PDFs kept under their SHA-256."""

    def read(self, content_hash: str) -> bytes | None:
        """The stored PDF, or None if it is missing or no longer matches its hash."""
        ...

    def write(self, data: bytes) -> str:
        """Store ``data`` (readers never see half of it); its SHA-256."""
        ...

    def location(self, content_hash: str) -> str:
        """Where the PDF with this SHA-256 is kept, for people: a path or an ``s3://`` URL."""
        ...


def _relative(content_hash: str) -> str:
    # A hash that is not one could climb out of the folder or the prefix.
    if not _HASH.fullmatch(content_hash):
        raise InvalidInput(f"{content_hash!r} is not a SHA-256 (64 lowercase hex digits)")
    return f"{content_hash[:2]}/{content_hash}.pdf"


class LocalStore:
    """A directory of PDFs named by their SHA-256 (``ab/abcdef....pdf``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, content_hash: str) -> Path:
        """Where the PDF with this SHA-256 is stored."""
        return self.root / _relative(content_hash)

    def location(self, content_hash: str) -> str:
        """The file's path."""
        return str(self.path_of(content_hash))

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
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)  # a full disk must not leave .part files
            raise
        return content_hash


class S3Store:
    """A bucket of an S3-compatible object store (AWS, MinIO, Ceph, moto) holding
    ``prefix/ab/<sha256>.pdf``. One client per store, made on first use and shared by threads
    (boto3 clients are thread-safe; making one is not). boto3 is imported only here, when a
    bucket is used: an office on a local folder never pays for loading it."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str = "") -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._made: tuple[int, S3Client] | None = None

    @classmethod
    def from_url(cls, url: str, endpoint_url: str = "") -> S3Store:
        """The store ``s3://bucket[/prefix]`` names, at ``endpoint_url`` (empty: AWS)."""
        if not url.startswith("s3://") or len(url) <= len("s3://"):
            raise InvalidInput(f"{url!r} is not an s3://bucket[/prefix] URL")
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        return cls(bucket, prefix, endpoint_url)

    @property
    def where(self) -> str:
        """The server, as the messages name it."""
        return self.endpoint_url or "AWS S3"

    def key(self, content_hash: str) -> str:
        """The object key of the PDF with this SHA-256."""
        relative = _relative(content_hash)
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def location(self, content_hash: str) -> str:
        """``s3://bucket/prefix/ab/<sha256>.pdf``."""
        return f"s3://{self.bucket}/{self.key(content_hash)}"

    def read(self, content_hash: str) -> bytes | None:
        """The stored PDF, or None if it is missing or no longer matches its hash; a missing
        bucket or an unreachable server is a ``StorageError``, not a missing file."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client().get_object(Bucket=self.bucket, Key=self.key(content_hash))
            data = response["Body"].read()
        except ClientError as error:
            if _error_code(error) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._failure(error, "read from") from error
        except BotoCoreError as error:
            raise self._failure(error, "read from") from error
        return data if hashlib.sha256(data).hexdigest() == content_hash else None

    def write(self, data: bytes) -> str:
        """Upload ``data`` unless an intact copy is already there; its SHA-256. A PUT replaces
        an object whole, so a reader gets the old or the new one, never half of either."""
        from botocore.exceptions import BotoCoreError, ClientError

        digest = hashlib.sha256(data)
        content_hash = digest.hexdigest()
        key = self.key(content_hash)
        try:
            client = self._client()
            if self._holds(client, key, data, base64.b64encode(digest.digest()).decode()):
                return content_hash
            # The server checks the SHA-256 botocore sends, so a corrupted upload is refused.
            client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType="application/pdf",
                ChecksumAlgorithm="SHA256",
            )
        except (BotoCoreError, ClientError) as error:
            raise self._failure(error, "write to") from error
        return content_hash

    def _holds(self, client: S3Client, key: str, data: bytes, checksum: str) -> bool:
        """Whether ``key`` already holds ``data``: same size and the same SHA-256 checksum, or,
        for an object uploaded without one, an ETag that is its MD5."""
        from botocore.exceptions import ClientError

        try:
            head = client.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as error:
            if _error_code(error) in ("404", "NoSuchKey", "NotFound"):
                return False  # also a missing bucket: the PUT then says so by name
            raise
        if head["ContentLength"] != len(data):
            return False
        stored = head.get("ChecksumSHA256")
        if stored:
            return stored == checksum
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()  # S3's ETag, not a defence
        return head.get("ETag", "").strip('"') == md5

    def _client(self) -> S3Client:
        # A forked worker process makes its own: sockets of a parent's pool must not be shared.
        with self._lock:
            if self._made is None or self._made[0] != os.getpid():
                self._made = (os.getpid(), self._new_client())
            return self._made[1]

    def _new_client(self) -> S3Client:
        import boto3
        from botocore.config import Config

        # Bounded so that a dead or unreachable server costs seconds, not minutes; self-hosted
        # servers (MinIO, Ceph) are rarely reachable as bucket.host, so they get paths.
        config = Config(
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": "path"} if self.endpoint_url else None,
        )
        session = boto3.session.Session()
        return session.client("s3", endpoint_url=self.endpoint_url or None, config=config)

    def _failure(self, error: Exception, doing: str) -> StorageError:
        """A message that names the bucket, the server and what to do."""
        from botocore.exceptions import (
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        bucket, where = self.bucket, self.where
        if isinstance(error, ConnectionError | HTTPClientError):
            return StorageError(
                f"cannot reach the object store at {where} ({error}); check "
                "SERTIFLOW_S3_ENDPOINT_URL and that the server is running"
            )
        if isinstance(error, NoCredentialsError | PartialCredentialsError):
            return StorageError(
                f"no credentials for the object store at {where}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY"
            )
        if not isinstance(error, ClientError):
            return StorageError(f"cannot {doing} bucket {bucket} at {where}: {error}")
        code = _error_code(error)
        if code == "NoSuchBucket":
            return StorageError(
                f"bucket {bucket} does not exist at {where}; create it or fix SERTIFLOW_STORAGE_URL"
            )
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
            return StorageError(
                f"the object store at {where} refused access to bucket {bucket} ({code}); check "
                "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's policy"
            )
        if code in ("PermanentRedirect", "AuthorizationHeaderMalformed", "301"):
            return StorageError(
                f"bucket {bucket} is in another region than the one asked at {where} ({code}); "
                "set AWS_DEFAULT_REGION to the bucket's region"
            )
        detail = error.response.get("Error", {}).get("Message", "")
        return StorageError(f"cannot {doing} bucket {bucket} at {where}: {code} {detail}".strip())


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def store_from_settings(settings: Settings) -> ContentStore:
    """The store the settings name: the bucket of ``storage_url`` if set, else the folder
    ``storage_dir``. One per configuration and process, so every packet shares its client."""
    return _store(settings.storage_url, settings.s3_endpoint_url, settings.storage_dir)


@cache
def _store(storage_url: str, endpoint_url: str, storage_dir: str) -> ContentStore:
    if storage_url:
        return S3Store.from_url(storage_url, endpoint_url)
    return LocalStore(Path(storage_dir))


def read_intact(store: ContentStore, content_hash: str) -> bytes:
    """The PDF with this SHA-256 from ``store``; ``NotFound`` if it is missing or damaged."""
    data = store.read(content_hash)
    if data is None:
        raise NotFound(
            f"no intact PDF with SHA-256 {content_hash} at {store.location(content_hash)} (missing "
            "or damaged); ask for its packet again (sertiflow packet APP) to store it anew"
        )
    return data


def read_stored(settings: Settings, content_hash: str) -> bytes:
    """The PDF with this SHA-256 from the store the settings name, whichever process or machine
    wrote it (what the worker attaches to an email); ``NotFound`` if missing or damaged."""
    return read_intact(store_from_settings(settings), content_hash)
