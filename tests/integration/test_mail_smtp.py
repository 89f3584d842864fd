"""Sending through a real SMTP server on loopback (aiosmtpd), and writing ``.eml`` files."""

from __future__ import annotations

import email
import email.policy
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.services import free_port
from workers.mail import (
    ENVELOPE_HEADER,
    Attachment,
    DirectoryMailer,
    InvalidAddress,
    MailError,
    SmtpMailer,
    compose,
    mailbox,
    mailer_from_settings,
    message_id,
)
from workers.messages import StatusFacts, status_email
from workflow.settings import Delivery, Settings

HOST = "127.0.0.1"
SENDER = "PLUT-KUMKM Provinsi Maluku <sertiflow@plut-maluku.contoh.id>"
TO = "ana@example.id"
HOSTILE = 'Koperasi "Sagu Ibu Ana", Hative <evil@x.com>, Ambon\r\nBcc: evil2@x.com'
USER, PASSWORD = "sertiflow", "rahasia-sekali"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    authenticated: bool


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every envelope, and refuses when told to."""

    refuse_rcpt: str | None = None
    refuse_data: str | None = None
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_data:
            return self.refuse_data
        assert envelope.mail_from is not None and isinstance(envelope.original_content, bytes)
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                session.ssl is not None,
                bool(session.authenticated),
            )
        )
        return "250 Message accepted for delivery"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture
def server_factory() -> Iterator[Any]:
    """Starts aiosmtpd servers on loopback; every one is stopped at the end of the test."""
    started: list[Controller] = []

    def start(handler: Recorder, **kwargs: Any) -> int:
        port = free_port()
        controller = Controller(
            handler, hostname=HOST, port=port, server_hostname="localhost", **kwargs
        )
        controller.start()
        started.append(controller)
        return port

    try:
        yield start
    finally:
        for controller in started:
            controller.stop()


@dataclass(frozen=True)
class Tls:
    cert_file: Path
    server: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for 127.0.0.1, and a server context that uses it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sertiflow test SMTP")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return Tls(cert_file, server)


def _mailer(port: int, **changes: Any) -> SmtpMailer:
    ca_file = changes.pop("ca_file", None)
    delivery = Delivery(smtp_host=HOST, smtp_port=port, smtp_security="none", smtp_timeout=5)
    return SmtpMailer(replace(delivery, **changes), ca_file=ca_file, local_hostname="localhost")


def _status_message(to_name: str = HOSTILE, outbox_id: int = 7) -> EmailMessage:
    facts = StatusFacts(
        lang="id",
        umkm_name="Sagu Ibu Ána",
        owner_name=to_name,
        application_id=42,
        process_title="Sertifikasi Halal Reguler",
        trigger_label="Dokumen diajukan",
        stage_label="Verifikasi dokumen",
        court="umkm",
        next_step="Kirim foto dapur produksi",
        deadline=datetime(2026, 6, 30).date(),
        working_days_left=3,
        closed=False,
        certificate_number=None,
        consultant_name="Rina Wattimena",
        consultant_email="rina@plut-maluku.contoh.id",
        office_name="PLUT-KUMKM Provinsi Maluku",
        status_url="https://plut.contoh.id/status/42?sig=abc",
        link_expires_on=datetime(2026, 7, 30).date(),
        packet_attached=True,
    )
    mail = status_email(facts)
    return compose(
        sender=SENDER,
        to_name=to_name,
        to_address=TO,
        subject=mail.subject + " — Sagu Ibu Ána ✅",
        text=mail.text,
        html=mail.html,
        message_id=message_id(outbox_id, TO, "plut-maluku.contoh.id"),
        attachments=[Attachment("paket-42.pdf", b"%PDF-1.7\n" + bytes(range(256)))],
        reply_to=mailbox(HOSTILE, "rina@plut-maluku.contoh.id"),
        date=datetime(2026, 6, 1, 8, 30, tzinfo=UTC),
    )


def _parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_smtp_delivers_to_the_envelope_recipient_only_even_with_a_hostile_name(
    server_factory: Any,
) -> None:
    recorder = Recorder()
    port = server_factory(recorder)
    _mailer(port).send(_status_message(), TO)

    (got,) = recorder.received
    assert got.rcpt_tos == [TO]
    assert got.mail_from == "sertiflow@plut-maluku.contoh.id"
    parsed = _parse(got.content)
    assert [a.addr_spec for a in parsed["To"].addresses] == [TO]
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["rina@plut-maluku.contoh.id"]
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    head = got.content.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"\nBcc:" not in head
    assert parsed["Subject"] == "[PLUT] Permohonan #42: Verifikasi dokumen — Sagu Ibu Ána ✅"
    assert parsed["Message-ID"] == message_id(7, TO, "plut-maluku.contoh.id")
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Content-Language"] == "id"
    text = parsed.get_body(preferencelist=("plain",))
    assert text is not None
    assert "Paling lambat 30 Juni 2026 (3 hari kerja lagi)." in text.get_content()
    assert "Sagu Ibu Ána" in text.get_content()
    (packet,) = list(parsed.iter_attachments())
    assert packet.get_filename() == "paket-42.pdf"
    assert packet.get_content() == b"%PDF-1.7\n" + bytes(range(256))


@pytest.mark.parametrize(
    ("rcpt", "data", "code"),
    [
        ("550 5.1.1 No such user here", None, 550),
        ("451 4.3.0 Try again later", None, 451),
        (None, "554 5.7.1 Message rejected as spam", 554),
        (None, "451 4.3.0 Queue full", 451),
    ],
)
def test_a_server_that_refuses_the_recipient_or_the_message_is_a_mail_error(
    server_factory: Any, rcpt: str | None, data: str | None, code: int
) -> None:
    recorder = Recorder(refuse_rcpt=rcpt, refuse_data=data)
    port = server_factory(recorder)
    with pytest.raises(MailError) as caught:
        _mailer(port).send(_status_message(), TO)
    assert caught.value.code == code
    message = str(caught.value)
    assert f"{HOST}:{port}" in message and str(code) in message
    assert (rcpt or data or "").split(" ", 1)[1] in message
    assert recorder.received == []


def test_a_closed_port_is_a_mail_error_at_once() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(MailError, match=f"{HOST}:{port}: cannot connect"):
        _mailer(port).send(_status_message(), TO)
    assert time.monotonic() - started < 3


def test_a_server_that_never_answers_is_a_mail_error_after_the_timeout() -> None:
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen(1)  # accepts the connection in the kernel, never greets
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(MailError, match=f"{HOST}:{port}"):
            _mailer(port, smtp_timeout=1).send(_status_message(), TO)
        assert time.monotonic() - started < 5


def test_starttls_with_login_delivers_to_a_server_trusted_through_its_ca_file(
    server_factory: Any, tls: Tls
) -> None:
    recorder = Recorder()
    port = server_factory(
        recorder,
        tls_context=tls.server,
        require_starttls=True,
        authenticator=_authenticate,
    )
    mailer = _mailer(
        port,
        smtp_security="starttls",
        smtp_user=USER,
        smtp_password=PASSWORD,
        ca_file=tls.cert_file,
    )
    mailer.send(_status_message(), TO)
    (got,) = recorder.received
    assert got.tls and got.authenticated and got.rcpt_tos == [TO]

    wrong = _mailer(
        port,
        smtp_security="starttls",
        smtp_user=USER,
        smtp_password="salah",
        ca_file=tls.cert_file,
    )
    with pytest.raises(MailError, match=f"refused login as {USER}: 535"):
        wrong.send(_status_message(), TO)


def test_starttls_refuses_a_certificate_it_does_not_trust(server_factory: Any, tls: Tls) -> None:
    recorder = Recorder()
    port = server_factory(recorder, tls_context=tls.server, require_starttls=True)
    with pytest.raises(MailError, match=r"TLS failed.*CERTIFICATE_VERIFY_FAILED"):
        _mailer(port, smtp_security="starttls").send(_status_message(), TO)
    assert recorder.received == []


def test_starttls_against_a_server_without_it_is_a_mail_error(server_factory: Any) -> None:
    port = server_factory(Recorder())
    with pytest.raises(MailError, match="does not support STARTTLS"):
        _mailer(port, smtp_security="starttls").send(_status_message(), TO)


def test_implicit_tls_delivers(server_factory: Any, tls: Tls) -> None:
    recorder = Recorder()
    port = server_factory(recorder, ssl_context=tls.server)
    _mailer(port, smtp_security="ssl", ca_file=tls.cert_file).send(_status_message(), TO)
    (got,) = recorder.received
    assert got.rcpt_tos == [TO]
    with pytest.raises(MailError, match=r"TLS failed.*CERTIFICATE_VERIFY_FAILED"):
        _mailer(port, smtp_security="ssl").send(_status_message(), TO)
    with pytest.raises(MailError, match=f"{HOST}:{port}"):  # plain SMTP to a TLS port
        _mailer(port, smtp_timeout=1).send(_status_message(), TO)
    assert len(recorder.received) == 1


def test_an_invalid_recipient_is_refused_before_connecting() -> None:
    mailer = _mailer(free_port())  # nothing listens: connecting would be a MailError
    for recipient in ("ana@example.id, evil@x.com", "ana@example.id\r\nRCPT TO:<evil@x.com>", ""):
        with pytest.raises(InvalidAddress):
            mailer.send(_status_message(), recipient)


def test_the_directory_mailer_writes_one_file_per_message_however_often_it_is_sent(
    tmp_path: Path,
) -> None:
    mailer = DirectoryMailer(tmp_path / "mail")
    message = _status_message()
    mailer.send(message, TO)
    mailer.send(message, TO)
    mailer.send(_status_message(), TO)  # a retry composes the same message again
    files = sorted((tmp_path / "mail").rglob("*"))
    day = tmp_path / "mail" / "2026-06-01"
    eml = day / (message_id(7, TO, "plut-maluku.contoh.id").strip("<>") + ".eml")
    assert files == [day, eml]
    parsed = _parse(eml.read_bytes())
    assert parsed[ENVELOPE_HEADER] == TO
    assert [a.addr_spec for a in parsed["To"].addresses] == [TO]
    assert parsed["Subject"] == "[PLUT] Permohonan #42: Verifikasi dokumen — Sagu Ibu Ána ✅"
    assert message[ENVELOPE_HEADER] is None  # only the file copy says who it was for

    mailer.send(_status_message(outbox_id=8), "budi@example.id")
    assert len(list(day.glob("*.eml"))) == 2
    with pytest.raises(InvalidAddress):
        mailer.send(_status_message(outbox_id=9), "budi@example.id, evil@x.com")
    assert len(list(day.iterdir())) == 2  # nothing written, no temporary file left


def test_mailer_from_settings_without_smtp_writes_into_the_mail_dir(tmp_path: Path) -> None:
    mailer = mailer_from_settings(Settings(mail_dir=str(tmp_path)))
    mailer.send(_status_message(), TO)
    assert len(list(tmp_path.rglob("*.eml"))) == 1


@dataclass
class CountingRecorder(Recorder):
    """Also counts the sessions (EHLO greetings) the server saw."""

    greetings: int = 0

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        self.greetings += 1
        session.host_name = hostname
        return responses


def test_one_connection_carries_many_messages_and_a_dropped_one_is_opened_again(
    server_factory: Any,
) -> None:
    recorder = CountingRecorder()
    port = server_factory(recorder, timeout=1)  # the server ends a session idle for 1 s
    mailer = _mailer(port)
    for outbox_id in range(1, 6):
        mailer.send(_status_message(outbox_id=outbox_id), TO)
    assert (len(recorder.received), recorder.greetings) == (5, 1)
    time.sleep(2)
    mailer.send(_status_message(outbox_id=6), TO)
    assert (len(recorder.received), recorder.greetings) == (6, 2)
    refusing = CountingRecorder(refuse_rcpt="550 5.1.1 no such user")
    mailer_two = _mailer(server_factory(refusing))
    with pytest.raises(MailError):
        mailer_two.send(_status_message(), TO)
    refusing.refuse_rcpt = None
    mailer_two.send(_status_message(outbox_id=8), TO)  # the same session, reset after the refusal
    assert (len(refusing.received), refusing.greetings) == (1, 1)
    mailer.close()
    assert mailer._smtp is None
