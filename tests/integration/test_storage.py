"""Packets kept in an S3-compatible bucket, so that any worker or machine can hand them out.

The bucket is moto's standalone server, run by these tests in a process of its own on a loopback
port (it is a test dependency, so it is always there: it never skips, in CI or anywhere else).
Credentials are fake and the developer's own AWS configuration is hidden from boto3.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import boto3
import pytest
from botocore.config import Config
from sqlalchemy import select

from documents import read_stored, store_from_settings
from documents.issued import DOCUMENTS
from documents.packets import PacketService
from documents.render import Renderer
from documents.store import LocalStore, S3Store, StorageError
from documents.verify import verify_pdf
from tests.integration.test_cli import GOOD, Cli, write
from tests.services import free_port
from tests.support import InProcessCli, Office, trademark_in_preparation
from workflow.errors import InvalidInput, NotFound
from workflow.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

RENDERER = Renderer()
PREFIX = "plut-maluku/packets"


def _wait_for(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"moto's S3 server did not start on port {port}: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of moto's S3 server, running in its own process until the module is done."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(server, port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()  # our own child, by its pid
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """boto3's standard environment, fake; nothing of the developer's ~/.aws is read."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sertiflow-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sertiflow-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def admin(endpoint: str) -> S3Client:
    """A client of our own, to look at and damage what the store wrote."""
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"})
    )


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """A new, empty, versioned bucket: each upload leaves a version to count."""
    name = f"sertiflow-{uuid.uuid4().hex[:12]}"
    client = admin(s3_endpoint)
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def a_pdf(label: str = "") -> bytes:
    return b"%PDF-1.7\n% sertiflow test " + label.encode() + os.urandom(3000) + b"\n%%EOF\n"


def test_a_pdf_written_to_the_bucket_reads_back_anywhere_and_is_uploaded_only_once(
    s3_endpoint: str, bucket: str
) -> None:
    store = S3Store.from_url(f"s3://{bucket}/{PREFIX}", s3_endpoint)
    data = a_pdf()
    content_hash = store.write(data)
    key = f"{PREFIX}/{content_hash[:2]}/{content_hash}.pdf"
    assert content_hash == sha256(data)
    assert store.location(content_hash) == f"s3://{bucket}/{key}"

    elsewhere = S3Store.from_url(f"s3://{bucket}/{PREFIX}", s3_endpoint)  # another worker
    assert elsewhere.read(content_hash) == data
    assert elsewhere.write(data) == store.write(data) == content_hash
    client = admin(s3_endpoint)
    versions = client.list_object_versions(Bucket=bucket)["Versions"]
    assert [version["Key"] for version in versions] == [key]  # one upload, not three
    head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert head["ContentType"] == "application/pdf"
    assert store.read(sha256(b"never stored")) is None


@pytest.mark.parametrize("how", ["shorter", "same size", "same size, with its own checksum"])
def test_a_damaged_object_reads_as_missing_and_the_next_write_replaces_it(
    s3_endpoint: str, bucket: str, how: str
) -> None:
    store = S3Store.from_url(f"s3://{bucket}", s3_endpoint)
    data = a_pdf()
    content_hash = store.write(data)
    assert store.key(content_hash) == f"{content_hash[:2]}/{content_hash}.pdf"  # no prefix
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0x01
    client = admin(s3_endpoint)
    key = store.key(content_hash)
    if how == "shorter":
        client.put_object(Bucket=bucket, Key=key, Body=data[:-10])
    elif how == "same size":
        client.put_object(Bucket=bucket, Key=key, Body=bytes(damaged))
    else:
        client.put_object(Bucket=bucket, Key=key, Body=bytes(damaged), ChecksumAlgorithm="SHA256")

    assert store.read(content_hash) is None
    assert store.write(data) == content_hash
    assert store.read(content_hash) == data


def test_a_packet_whose_object_was_damaged_is_made_again_under_the_same_code(
    office: Office, s3_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    """On PostgreSQL too: a scale-out office shares its database as well as its bucket."""
    settings = Settings(
        storage_url=f"s3://{bucket}/{PREFIX}",
        s3_endpoint_url=s3_endpoint,
        storage_dir=str(tmp_path / "local"),
        secret_key="s" * 40,
    )
    service = PacketService(office.db, settings, renderer=RENDERER, today=office.workflow.today)
    app = trademark_in_preparation(office)
    first = service.issue(app)
    key = f"{PREFIX}/{first.content_hash[:2]}/{first.content_hash}.pdf"
    assert (first.outcome, first.location) == ("issued", f"s3://{bucket}/{key}")
    handed_out = read_stored(settings, first.content_hash)
    assert handed_out == service.read(first)
    assert verify_pdf(office.db, service.secret, handed_out).ok

    client = admin(s3_endpoint)
    client.put_object(Bucket=bucket, Key=key, Body=handed_out[: len(handed_out) // 2])
    with pytest.raises(NotFound, match=f"no intact PDF .* at s3://{bucket}/{key} "):
        read_stored(settings, first.content_hash)
    again = service.issue(app)
    assert (again.outcome, again.code, again.pages) == ("regenerated", first.code, first.pages)
    assert verify_pdf(office.db, service.secret, read_stored(settings, again.content_hash)).ok
    assert service.issue(app).outcome == "reused"

    # A document later packets reuse, lost from the bucket, is issued again under its code.
    with office.db.connect() as conn:
        filing = conn.execute(
            select(DOCUMENTS).where(DOCUMENTS.c.document == "trademark/filing_data")
        ).one()
    client.delete_object(
        Bucket=bucket, Key=f"{PREFIX}/{filing.content_hash[:2]}/{filing.content_hash}.pdf"
    )
    filed = service.issue(app, "FILED")
    with office.db.connect() as conn:
        after = conn.execute(select(DOCUMENTS).where(DOCUMENTS.c.id == filing.id)).one()
    assert (after.code, after.reference, after.issued_on) == (
        filing.code,
        filing.reference,
        filing.issued_on,
    )
    reissued = verify_pdf(office.db, service.secret, read_stored(settings, after.content_hash))
    assert reissued.ok and reissued.code == filing.code
    assert verify_pdf(office.db, service.secret, service.read(filed)).ok
    assert not (tmp_path / "local").exists()  # nothing went to this machine's disk


def test_a_missing_bucket_is_named_with_what_to_do(s3_endpoint: str) -> None:
    store = S3Store.from_url("s3://no-such-bucket/packets", s3_endpoint)
    message = (
        f"bucket no-such-bucket does not exist at {s3_endpoint}; create it or fix "
        "SERTIFLOW_STORAGE_URL"
    )
    with pytest.raises(StorageError, match=re.escape(message)):
        store.write(a_pdf())
    with pytest.raises(StorageError, match=re.escape(message)):
        store.read(sha256(b"anything"))


def test_an_unreachable_object_store_is_reported_within_seconds() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = S3Store.from_url("s3://sertiflow/packets", endpoint)
    started = time.monotonic()
    with pytest.raises(StorageError, match=f"cannot reach the object store at {endpoint} "):
        store.write(a_pdf())
    with pytest.raises(StorageError, match="check SERTIFLOW_S3_ENDPOINT_URL"):
        store.read(sha256(b"anything"))
    assert time.monotonic() - started < 20  # retries are few and short, not minutes


def test_missing_credentials_are_named(
    s3_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    store = S3Store.from_url(f"s3://{bucket}", s3_endpoint)
    with pytest.raises(StorageError, match="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        store.write(a_pdf())


def test_threads_of_a_worker_share_one_store(s3_endpoint: str, bucket: str) -> None:
    store = S3Store.from_url(f"s3://{bucket}/{PREFIX}", s3_endpoint)
    blobs = [a_pdf(str(n)) for n in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        hashes = list(pool.map(store.write, blobs + blobs))  # each twice, at the same time
        assert list(pool.map(store.read, hashes)) == blobs + blobs
    assert hashes == [sha256(blob) for blob in blobs + blobs]


def test_the_settings_choose_the_store(s3_endpoint: str, tmp_path: Path) -> None:
    content_hash = sha256(b"packet")
    local = store_from_settings(Settings(storage_dir=str(tmp_path / "packets")))
    assert isinstance(local, LocalStore)
    assert local.location(content_hash) == str(
        tmp_path / "packets" / content_hash[:2] / f"{content_hash}.pdf"
    )
    env = {
        "SERTIFLOW_STORAGE_URL": "s3://plut-maluku/office/packets/",
        "SERTIFLOW_S3_ENDPOINT_URL": s3_endpoint,
    }
    bucket = store_from_settings(Settings.from_env(env))
    assert isinstance(bucket, S3Store) and bucket.endpoint_url == s3_endpoint
    assert bucket.location(content_hash) == (
        f"s3://plut-maluku/office/packets/{content_hash[:2]}/{content_hash}.pdf"
    )
    assert store_from_settings(Settings.from_env(env)) is bucket  # one client per process
    with pytest.raises(InvalidInput, match="is not a SHA-256"):
        bucket.location("../../etc/passwd")
    with pytest.raises(InvalidInput, match="is not a SHA-256"):
        local.read("../../etc/passwd")


def test_the_local_store_hands_out_only_intact_files(tmp_path: Path) -> None:
    settings = Settings(storage_dir=str(tmp_path / "packets"))
    store = store_from_settings(settings)
    data = a_pdf()
    content_hash = store.write(data)
    assert read_stored(settings, content_hash) == data
    path = Path(store.location(content_hash))
    path.write_bytes(data[:-1])
    assert store.read(content_hash) is None
    with pytest.raises(NotFound, match=f"at {re.escape(str(path))} \\(missing or damaged\\)"):
        read_stored(settings, content_hash)
    assert store.write(data) == content_hash and store.read(content_hash) == data
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no .part left behind


AnyCli = TypeVar("AnyCli", Cli, InProcessCli)


def bucket_cli(cli: AnyCli, bucket: str, endpoint: str, disk: Path) -> AnyCli:
    """``cli`` keeping packets in ``bucket``; ``disk`` is its (unused) local folder."""
    cli.env.update(
        SERTIFLOW_STORAGE_URL=f"s3://{bucket}/{PREFIX}",
        SERTIFLOW_S3_ENDPOINT_URL=endpoint,
        SERTIFLOW_STORAGE_DIR=str(disk),
    )
    return cli


def test_a_packet_a_worker_rendered_is_fetched_and_verified_by_another_process(
    s3_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    """The worker's side runs in this process (``InProcessCli``); the other machine's, which
    fetches and verifies the packet, and the mail worker's read, each in a process of its own."""
    db = tmp_path / "office.db"
    worker = bucket_cli(InProcessCli(db), bucket, s3_endpoint, tmp_path / "worker-disk")
    worker("init")
    worker("import", "--as", "sertiflow", str(write(tmp_path / "registry.csv", *GOOD)))
    consultant = ("rina", "--name", "Rina", "--role", "consultant", "--field", "produksi")
    worker("user", "add", *consultant, "--as", "sertiflow")  # as test_cli's add_consultant
    app = str(
        worker.json("app", "open", "8100000000001", "trademark", "--as", "rina")["application_id"]
    )
    worker("app", "details", app, "mark_name=SAGU IBU ANA", "nice_classes=30", "--as", "rina")
    worker("app", "advance", app, "start_document_preparation", "--as", "rina")
    worker.env["SERTIFLOW_MAIL_DIR"] = str(tmp_path / "mail")
    worker.env["SERTIFLOW_CHECKPOINT_DIR"] = str(tmp_path / "checkpoints")
    assert worker.json("worker", "--once")["delivered"]["done"] >= 3  # the packet, among others
    [rendered] = [r for r in worker.json("outbox", "list") if r["kind"] == "render_packet"]

    issued = worker.json("packet", "--as", "rina", app)  # the worker's packet, from the bucket
    digest = issued["sha256"]
    key = f"{PREFIX}/{digest[:2]}/{digest}.pdf"
    assert (issued["outcome"], issued["path"]) == ("reused", None)
    assert (rendered["result"]["code"], rendered["result"]["sha256"]) == (issued["code"], digest)
    assert issued["location"] == f"s3://{bucket}/{key}"
    assert worker("packet", "--as", "rina", app).stdout.startswith(f"s3://{bucket}/{key}  (")
    assert not (tmp_path / "worker-disk").exists()

    other_disk = tmp_path / "other-machine"
    other_disk.mkdir()
    other = bucket_cli(Cli(db), bucket, s3_endpoint, other_disk)
    out = tmp_path / "downloads" / "paket.pdf"
    fetched = other.json("packet", "--as", "rina", app, "-o", str(out))
    assert (fetched["outcome"], fetched["code"], fetched["sha256"]) == (
        "reused",
        issued["code"],
        digest,
    )
    assert (fetched["path"], fetched["location"]) == (str(out), issued["location"])
    data = out.read_bytes()
    assert sha256(data) == digest
    assert admin(s3_endpoint).get_object(Bucket=bucket, Key=key)["Body"].read() == data
    verified = other.json("doc", "verify", str(out))
    assert (verified["ok"], verified["status"], verified["code"]) == (
        True,
        "authentic",
        issued["code"],
    )
    assert verified["application_id"] == int(app)

    # What the worker does to attach a packet to an email, in yet another process.
    attach = (
        "import sys\nfrom documents import read_stored\nfrom workflow.settings import Settings\n"
        "sys.stdout.buffer.write(read_stored(Settings.from_env(), sys.argv[1]))"
    )
    attached = subprocess.run(
        [sys.executable, "-c", attach, digest], capture_output=True, env=other.env, timeout=120
    )
    assert attached.returncode == 0, attached.stderr.decode()
    assert attached.stdout == data
    assert list(other_disk.iterdir()) == []  # nothing was read from, or left on, local disk

    missing = bucket_cli(InProcessCli(db), "sertiflow-missing", s3_endpoint, other_disk)
    refused = missing("packet", "--as", "rina", app, ok=False)
    assert f"bucket sertiflow-missing does not exist at {s3_endpoint}" in refused.stderr
    dead = bucket_cli(InProcessCli(db), bucket, f"http://127.0.0.1:{free_port()}", other_disk)
    assert (
        "cannot reach the object store at http://127.0.0.1:"
        in dead("packet", "--as", "rina", app, ok=False).stderr
    )
