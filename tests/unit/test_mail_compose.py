"""Composing email: what UMKM owners type can never add a header or a recipient."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.mail import (
    Attachment,
    DirectoryMailer,
    InvalidAddress,
    SmtpMailer,
    clean_header_text,
    compose,
    mailbox,
    mailer_from_settings,
    message_id,
    sender_address,
    validate_address,
)
from workflow.settings import Delivery, Settings

SENDER = "PLUT-KUMKM Provinsi Maluku <sertiflow@plut-maluku.contoh.id>"
TO = "ana@example.id"
MID = message_id(42, TO, "plut-maluku.contoh.id")
HEADERS = {
    "date",
    "message-id",
    "from",
    "to",
    "subject",
    "auto-submitted",
    "mime-version",
    "content-type",
    "content-language",
}
HOSTILE_NAMES = [
    "Ana\r\nBcc: evil@x.com",
    "Ana\nBcc: evil@x.com",
    "Ana\rBcc: evil@x.com",
    "Ana\u2028Bcc: evil@x.com\u2029Cc: evil2@x.com",
    "Ana\x85Bcc: evil@x.com",
    '"x" <evil@x.com>, y',
    'x\\" <evil@x.com>, "',
    "Ana <evil@x.com>",
    "evil@x.com",
    "Ana, Budi <evil@x.com>; c@evil.com" * 4,
    # Under 78 characters, yet Python 3.11's folder writes them unquoted: without the round
    # trip check each would put evil@x.com into the To header.
    'Budi "Tenun" Sagu, Ibu No.5 "Tenun" <evil@x.com> Ibu "Tenun" "Tenun"',
    'Sagu Ibu Ana, Ambon, Maluku "Tenun" <evil@x.com>, Jl. Pattimura No. 5 Ambon',
    'Koperasi "Sagu Ibu Ana", Desa Hative Besar <evil@x.com>, Kota Ambon, Maluku',
    # the standard parser crashes reading back what the folder wrote for this one
    '] (( .. ) ( :<Budi)@( >< ,; Ana ( <\\)Ana) > @ >"@ x [x \\ ( [ (evil.com\\Budi\\',
    'Sagu Ibu Ana, Pengrajin "Tenun" Maluku, Ambon <evil@x.com> and more words to fold it',
    'Ibu Siti \U0001f600 "kue" <kue@evil.com>, other@evil.com ' * 3,
    "שלום עליכם <evil@x.com>",
    "\u202eAna\u202c moc.x@live",
    "Ana\x00\x1b[31m\x7f",
    "=?utf-8?q?evil=40x=2Ecom?= <evil@x.com>",
]


def _compose(**overrides: Any) -> EmailMessage:
    values: dict[str, Any] = {
        "sender": SENDER,
        "to_name": "Ana Lestari",
        "to_address": TO,
        "subject": "[PLUT] Permohonan #42: Verifikasi dokumen",
        "text": "Yth. Bapak/Ibu Ana,\n\nPermohonan Anda kini pada tahap verifikasi.\n",
        "html": "<p>Yth. Bapak/Ibu Ana,</p>",
        "message_id": MID,
        "date": datetime(2026, 6, 1, 8, 30, tzinfo=timezone(timedelta(hours=9))),
    }
    values.update(overrides)
    return compose(**values)


def _parse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _addresses(message: EmailMessage, field: str) -> tuple[Address, ...]:
    header = message[field]
    return tuple(header.addresses) if header is not None else ()


def _header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line[:1] not in " \t"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_display_name_adds_no_header_and_no_recipient(name: str) -> None:
    message = _compose(to_name=name, reply_to=mailbox(name, "rina@plut-maluku.contoh.id"))
    raw = message.as_bytes()
    assert sorted(_header_names(raw)) == sorted(HEADERS | {"reply-to"})
    parsed = _parse(message)
    assert [a.addr_spec for a in _addresses(parsed, "To")] == [TO]
    assert [a.addr_spec for a in _addresses(parsed, "Reply-To")] == ["rina@plut-maluku.contoh.id"]
    assert [a.addr_spec for a in _addresses(parsed, "From")] == ["sertiflow@plut-maluku.contoh.id"]
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    for field in ("To", "Reply-To"):
        shown = _addresses(parsed, field)[0].display_name
        assert not any(ord(c) < 32 or c in "\u2028\u2029\x85\x7f\u202e" for c in shown)


_PIECES = st.sampled_from(
    [
        *'abAB ,;:<>@"\\()[].=?-\r\n\t\x00\x1b\x7fÁ😀ש\u202e\u2028\x85',
        *("=?utf-8?q?", "evil@x.com", "Bcc: ", "\r\nBcc: e@x.com", "Koperasi", "Ambon"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=60).map("".join))
def test_no_name_whatever_it_holds_adds_a_header_or_a_recipient(name: str) -> None:
    message = _compose(to_name=name, subject=name, reply_to=mailbox(name, "r@plut.id"))
    assert sorted(_header_names(message.as_bytes())) == sorted(HEADERS | {"reply-to"})
    parsed = _parse(message)
    assert [a.addr_spec for a in _addresses(parsed, "To")] == [TO]
    assert [a.addr_spec for a in _addresses(parsed, "Reply-To")] == ["r@plut.id"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_subject_stays_one_subject_header(name: str) -> None:
    message = _compose(subject=f"[PLUT] {name}")
    assert sorted(_header_names(message.as_bytes())) == sorted(HEADERS)
    parsed = _parse(message)
    # .strip(): the folder may break right after "Subject:", and the parser keeps that space
    assert parsed["Subject"].strip() == clean_header_text(f"[PLUT] {name}")
    assert [a.addr_spec for a in _addresses(parsed, "To")] == [TO]


def test_a_name_that_folding_would_unquote_keeps_every_word_but_no_address() -> None:
    name = "Ana, Budi <b@evil.com>; c@evil.com, " * 3
    parsed = _parse(_compose(to_name=name))
    (only,) = _addresses(parsed, "To")
    assert only.addr_spec == TO
    assert "Ana" in only.display_name and "Budi" in only.display_name


def test_plain_names_with_quotes_commas_and_non_ascii_round_trip_exactly() -> None:
    for name in ('Sagu "Ibu Ana", Ambon', "Ibu Siti Nurhaliza 😀", "Ána Ñusantara", "שלום"):
        (only,) = _addresses(_parse(_compose(to_name=name)), "To")
        assert (only.display_name, only.addr_spec) == (name, TO)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "ana@example.id\r\nBcc: evil@x.com",
        "ana@example.id\nevil@x.com",
        "ana@example.id, evil@x.com",
        "ana@example.id evil@x.com",
        "ana@example.id;evil@x.com",
        "Ana <ana@example.id>",
        "ana.example.id",
        "ana@@example.id",
        "ana@gmail",
        "ana@localhost",
        "@example.id",
        "ana@",
        "anä@example.id",
    ],
)
def test_an_address_that_can_never_be_delivered_is_invalid(address: str) -> None:
    with pytest.raises(InvalidAddress):
        _compose(to_address=address)
    with pytest.raises(ValueError):  # InvalidAddress is a ValueError: never retried
        validate_address(address)


@pytest.mark.parametrize(
    "sender",
    [
        "a@plut.id, b@plut.id",
        "PLUT <a@plut.id> <b@plut.id>",
        "PLUT <a@plut.id",
        "x\r\n@plut.id",
        "",
    ],
)
def test_a_sender_or_reply_to_that_is_not_one_mailbox_is_invalid(sender: str) -> None:
    with pytest.raises(InvalidAddress):
        _compose(sender=sender)
    with pytest.raises(InvalidAddress):
        _compose(reply_to=sender)


def test_addresses_are_normalised_to_ascii() -> None:
    assert validate_address(" Ana@Example.ID ") == "Ana@example.id"
    assert validate_address("ana@bücher.de") == "ana@xn--bcher-kva.de"
    assert validate_address("sertiflow@localhost", local_ok=True) == "sertiflow@localhost"
    with pytest.raises(InvalidAddress):
        validate_address("x y@localhost", local_ok=True)


def test_message_id_is_the_same_for_every_attempt_and_differs_per_row_and_recipient() -> None:
    first = message_id(42, "Ana@Example.id", "plut.id")
    assert first == message_id(42, " ana@example.ID", "plut.id")
    assert re.fullmatch(r"<sertiflow\.outbox-42\.[0-9a-f]{12}@plut\.id>", first)
    assert first != message_id(43, "ana@example.id", "plut.id")
    assert first != message_id(42, "budi@example.id", "plut.id")


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("Plut-Maluku.Contoh.ID", "plut-maluku.contoh.id"),
        ("sertiflow@plut.id", "plut.id"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("localhost", "localhost"),
        ("evil.com>\r\nBcc: x@y.z", "sertiflow.local"),
        ("a b", "sertiflow.local"),
        ("", "sertiflow.local"),
        ("-bad-.id", "sertiflow.local"),
        ("x" * 70 + ".id", "sertiflow.local"),
    ],
)
def test_message_id_domain_is_reduced_to_a_hostname(domain: str, expected: str) -> None:
    assert message_id(1, TO, domain).endswith(f"@{expected}>")


def test_non_ascii_subject_and_body_round_trip_and_are_encoded_on_the_wire() -> None:
    subject = "[PLUT] Sertifikat halal terbit ✅ — Kue Sagu Ibu Ána, مرحبا " * 3
    text = "Selamat! Sertifikat Anda telah terbit — nomor ID31110000123450624. 🎉\n"
    message = _compose(subject=subject, text=text, to_name="Ibu Ána 😀")
    raw = message.as_bytes()
    raw.decode("ascii")  # RFC 2047 headers and a transfer encoding for the body
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = _parse(message)
    assert parsed["Subject"] == clean_header_text(subject)
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().replace("\r\n", "\n") == text


def test_the_message_carries_every_header_and_both_parts() -> None:
    parsed = _parse(_compose(reply_to="Rina <rina@plut-maluku.contoh.id>", lang="en"))
    assert parsed["Message-ID"] == MID
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Content-Language"] == "en"
    assert parsed["Date"].datetime == datetime(
        2026, 6, 1, 8, 30, tzinfo=timezone(timedelta(hours=9))
    )
    assert str(parsed["From"]) == SENDER
    assert str(parsed["Reply-To"]) == "Rina <rina@plut-maluku.contoh.id>"
    assert parsed.get_content_type() == "multipart/alternative"
    html = parsed.get_body(preferencelist=("html",))
    assert html is not None
    assert html.get_content().replace("\r\n", "\n") == "<p>Yth. Bapak/Ibu Ana,</p>\n"


def test_attachments_keep_their_bytes_and_a_safe_name_and_the_language_header() -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    message = _compose(
        attachments=[
            Attachment("../../etc/paket-42\r\nX-Evil: 1.pdf", pdf),
            Attachment("catatan.txt", b"halo", "text/plain"),
        ],
        html=None,
    )
    assert sorted(_header_names(message.as_bytes())) == sorted(HEADERS)
    parsed = _parse(message)
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed["Content-Language"] == "id"
    parts = list(parsed.iter_attachments())
    assert [p.get_content_type() for p in parts] == ["application/pdf", "text/plain"]
    name = parts[0].get_filename()
    assert name is not None and "/" not in name and "\r" not in name and "\n" not in name
    assert parts[0].get_content() == pdf
    with pytest.raises(ValueError):
        _compose(attachments=[Attachment("x", b"", "application")])


def test_a_naive_date_is_read_as_utc_and_a_missing_one_is_now() -> None:
    naive = _parse(_compose(date=datetime(2026, 6, 1, 8, 30)))
    assert naive["Date"].datetime == datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    now = _parse(_compose(date=None))["Date"].datetime
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_message_id_or_language_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError):
        _compose(message_id="<a@b>\r\nBcc: evil@x.com")
    with pytest.raises(ValueError):
        _compose(message_id="no-brackets@x")
    with pytest.raises(ValueError):
        _compose(lang="id\r\nBcc: x")


def test_clean_header_text_collapses_controls_and_cuts_long_text() -> None:
    assert clean_header_text(" Ana\r\n\tLestari\x00 \u2028 ") == "Ana Lestari"
    assert clean_header_text("\u202eAna\u202c") == "Ana"
    cut = clean_header_text("a" * 100, 10)
    assert len(cut) == 10 and cut.endswith("…")


def test_sender_address_names_the_office() -> None:
    assert sender_address(Settings()) == "PLUT-KUMKM Provinsi Maluku <sertiflow@localhost>"
    settings = Settings(
        office_name='PLUT "Maluku", Ambon\r\nBcc: evil@x.com',
        delivery=Delivery(mail_from="Lama <plut@plut-maluku.contoh.id>"),
    )
    parsed = _parse(_compose(sender=sender_address(settings)))
    (only,) = _addresses(parsed, "From")
    assert only.addr_spec == "plut@plut-maluku.contoh.id"
    assert only.display_name == 'PLUT "Maluku", Ambon Bcc: evil@x.com'


def test_mailer_from_settings_writes_files_without_an_smtp_host() -> None:
    directory = mailer_from_settings(Settings(mail_dir="var/test-mail"))
    assert isinstance(directory, DirectoryMailer) and directory.folder == Path("var/test-mail")
    smtp = mailer_from_settings(Settings(delivery=Delivery(smtp_host="mail.plut.id")))
    assert isinstance(smtp, SmtpMailer) and smtp.where == "mail.plut.id:587"
