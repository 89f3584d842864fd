"""Composing and sending email, with the standard library only: one job, safe headers.

Names and subjects come from what UMKM owners typed, so nothing they write may become a header
or a recipient. Every header value has its control characters and line breaks collapsed to one
space; addresses are built with ``email.headerregistry.Address`` and checked by serialising the
header and parsing it back (Python's folding of long quoted display names can drop the quotes,
which would turn ``"Ana, Budi <b@x.id>"`` into two recipients; a name that does not survive the
round trip loses its special characters, then the name altogether). The envelope recipient is
always passed to ``Mailer.send`` explicitly and never read from the headers.

Two failures: ``MailError`` is transient (the caller retries with backoff), ``InvalidAddress``
can never succeed (the caller records it and does not retry).
"""

from __future__ import annotations

import contextlib
import email.policy
import functools
import hashlib
import os
import re
import smtplib
import ssl
import tempfile
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from workflow.settings import Delivery, Settings

__all__ = [
    "ENVELOPE_HEADER",
    "Attachment",
    "DirectoryMailer",
    "InvalidAddress",
    "MailError",
    "Mailer",
    "SmtpMailer",
    "clean_header_text",
    "compose",
    "mailbox",
    "mailer_from_settings",
    "message_id",
    "sender_address",
    "validate_address",
]

ENVELOPE_HEADER = "X-Sertiflow-Envelope-To"
"""Written at the top of each ``.eml`` file ``DirectoryMailer`` leaves; never sent."""

_FALLBACK_DOMAIN = "sertiflow.local"
_MAX_NAME = 78  # longer display names are cut: they would only be folded, never read whole
_MAX_SUBJECT = 200
_MESSAGES_PER_CONNECTION = 100  # then a fresh connection: servers limit messages per session
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_MESSAGE_ID = re.compile(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9.\-]+>")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
_MIME_TYPE = re.compile(r"[a-z]+/[a-z0-9][a-z0-9.+\-]*")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class MailError(Exception):
    """A transient failure to send (server down or refusing, timeout, broken connection): retry
    with backoff. ``code`` is the SMTP reply code when the server gave one."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class InvalidAddress(ValueError):
    """An address no retry can deliver to (empty, malformed, several in one, a line break)."""


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email (a packet PDF by default)."""

    filename: str
    data: bytes
    mime: str = "application/pdf"


class Mailer(Protocol):
    """Sends one composed message to one envelope recipient."""

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Deliver ``message`` to ``recipient`` only (headers never add recipients); raise
        ``MailError`` when it may work later, ``InvalidAddress`` when it never will."""
        ...


def clean_header_text(text: str, limit: int | None = None) -> str:
    """``text`` on one line: every control character, line or paragraph separator becomes a
    space, bidirectional overrides are dropped, runs of spaces become one, an encoded word's
    ``=?`` is broken apart; cut to ``limit`` characters (ending in an ellipsis) when longer."""
    out = []
    for char in text:
        if char in _BIDI_CONTROLS:
            continue
        out.append(" " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char)
    # An encoded word typed by a user ("=?utf-8?q?...?=") would be decoded by mail clients
    # into text the user did not type; broken apart it is shown as typed.
    cleaned = " ".join("".join(out).split()).replace("=?", "= ?")
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


@functools.lru_cache(maxsize=4096)  # pure; a worker mails the same people again and again
def validate_address(address: str, *, local_ok: bool = False) -> str:
    """``address`` as one plain ASCII addr-spec (the domain in IDNA form), or ``InvalidAddress``.

    ``local_ok`` accepts domains no public server routes to (``sertiflow@localhost``): right for
    the office's own sender, wrong for a recipient, where it is almost always a typo.
    """
    if not isinstance(address, str) or not address.strip():
        raise InvalidAddress("empty email address")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in address):
        raise InvalidAddress(f"email address {address!r} contains a line break or control char")
    text = address.strip()
    local, _, domain = text.rpartition("@")
    hostname = _hostname(domain, fallback="")
    if local_ok and hostname:
        # email-validator refuses localhost, *.local and dotless names whatever it is told, so
        # the local part is checked against a stand-in domain and the hostname by _hostname.
        text = f"{local}@example.com"
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise InvalidAddress(f"email address {address!r} cannot be delivered to: {error}") from None
    addr_spec = str(result.ascii_email or result.normalized)
    if local_ok and hostname:
        addr_spec = f"{addr_spec.rpartition('@')[0]}@{hostname}"
    return addr_spec


def mailbox(name: str, address: str, *, local_ok: bool = False) -> str:
    """``Name <address>`` written safely (quoted as needed), for ``compose``'s ``sender`` and
    ``reply_to``; the address is validated."""
    addr_spec = validate_address(address, local_ok=local_ok)
    return str(_safe_address("Reply-To", name, addr_spec))


def sender_address(settings: Settings) -> str:
    """The From mailbox: ``settings.delivery.mail_from`` with the office name as display name."""
    return _sender(settings.delivery.mail_from, settings.office_name)


@functools.lru_cache(maxsize=8)
def _sender(mail_from: str, office_name: str) -> str:
    # the same for every message of a process, and parsing it costs more than composing one
    _, addr_spec = _parse_mailbox(mail_from, local_ok=True)
    return mailbox(office_name, addr_spec, local_ok=True)


def message_id(outbox_id: int, recipient: str, domain: str) -> str:
    """``<sertiflow.outbox-{id}.{hash}@{domain}>``: the same for every attempt of one outbox row
    to one recipient, so a retried send is recognisably the same email. ``domain`` is reduced to
    a hostname (the part after an ``@`` if an address is given; ``sertiflow.local`` when nothing
    usable is left)."""
    digest = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:12]
    return f"<sertiflow.outbox-{int(outbox_id)}.{digest}@{_hostname(domain)}>"


def _hostname(domain: str, fallback: str = _FALLBACK_DOMAIN) -> str:
    """``domain`` as a lowercase ASCII hostname (IDNA), or ``fallback`` when it is not one."""
    text = domain.strip()
    if any(c.isspace() or c in '<>",;:\\()[]' or unicodedata.category(c)[0] == "C" for c in text):
        return fallback
    text = text.rpartition("@")[2].strip(".").lower()
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError:
        return fallback
    labels = text.split(".")
    if not text or len(text) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return fallback
    return text


def compose(
    *,
    sender: str,
    to_name: str,
    to_address: str,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    attachments: Sequence[Attachment] = (),
    reply_to: str | None = None,
    date: datetime | None = None,
    lang: str = "id",
) -> EmailMessage:
    """One email: plain text with an HTML alternative (when given) and attachments.

    ``sender`` and ``reply_to`` are one mailbox each, an addr-spec or ``Name <addr>`` (build it
    with ``mailbox``); ``to_name`` and ``subject`` may be anything a user typed. Raises
    ``InvalidAddress`` for an address no retry can deliver to. ``date`` (aware; naive is read as
    UTC) defaults to now: pass the outbox row's creation time so that a retry gives the same
    bytes. ``lang`` is the ``Content-Language``.
    """
    if not _MESSAGE_ID.fullmatch(message_id):
        raise ValueError(f"not a Message-ID: {message_id!r}; build it with message_id()")
    if not _LANGUAGE_TAG.fullmatch(lang):
        raise ValueError(f"not a language tag: {lang!r}")
    sender_name, sender_addr = _parse_mailbox(sender, local_ok=True)
    to_addr = validate_address(to_address)
    when = datetime.now(UTC) if date is None else date
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)

    message = EmailMessage(policy=email.policy.SMTP)
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id
    message["From"] = _safe_address("From", sender_name, sender_addr)
    message["To"] = _safe_address("To", to_name, to_addr)
    if reply_to is not None:
        reply_name, reply_addr = _parse_mailbox(reply_to, local_ok=False)
        message["Reply-To"] = _safe_address("Reply-To", reply_name, reply_addr)
    message["Subject"] = clean_header_text(subject, _MAX_SUBJECT)
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the message 7-bit: no server needs 8BITMIME, and the mostly
    # ASCII Indonesian text stays readable in the raw file.
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in attachments:
        if not _MIME_TYPE.fullmatch(attachment.mime):
            raise ValueError(f"not a MIME type: {attachment.mime!r}")
        maintype, _, subtype = attachment.mime.partition("/")
        message.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=_safe_filename(attachment.filename),
        )
    # Last: set_content clears the Content-* headers and make_mixed moves them into a part.
    message["Content-Language"] = lang
    return message


@functools.lru_cache(maxsize=4096)
def _parse_mailbox(text: str, *, local_ok: bool) -> tuple[str, str]:
    """(display name, addr-spec) of exactly one mailbox written as ``addr`` or ``Name <addr>``."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidAddress("empty email address")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text):
        raise InvalidAddress(f"email address {text!r} contains a line break or control char")
    try:
        header = email.policy.default.header_factory("To", text)
        addresses: tuple[Address, ...] = tuple(getattr(header, "addresses", ()))
    except Exception:  # the standard parser can fail on odd input instead of flagging it
        raise InvalidAddress(f"{text!r} is not an email address") from None
    if len(addresses) != 1 or header.defects:
        raise InvalidAddress(f"{text!r} is not exactly one email address")
    return addresses[0].display_name, validate_address(addresses[0].addr_spec, local_ok=local_ok)


@functools.lru_cache(maxsize=4096)  # pure, and the round trip costs more than the rest of a send
def _safe_address(field: str, name: str, addr_spec: str) -> Address:
    """An ``Address`` whose serialised header parses back to this one mailbox only."""
    full = clean_header_text(name, _MAX_NAME)
    plain = " ".join(_SPECIALS.sub(" ", full).split())
    for candidate, exact in ((full, True), (plain, False), ("", False)):
        address = Address(display_name=candidate, addr_spec=addr_spec)
        if _round_trips(field, address, exact=exact):
            return address
    raise InvalidAddress(f"{addr_spec!r} cannot be written into a {field} header")


def _round_trips(field: str, address: Address, *, exact: bool) -> bool:
    """Whether ``address`` comes back as itself, alone, both from the header written on the
    wire and from its string form (what ``mailbox`` hands to ``compose``)."""
    try:
        probe = EmailMessage(policy=email.policy.SMTP)
        probe[field] = address
        parsed = email.message_from_bytes(probe.as_bytes(), policy=email.policy.default)
        headers = (parsed[field], email.policy.default.header_factory(field, str(address)))
        found = [tuple(getattr(header, "addresses", ())) for header in headers]
    except Exception:  # the standard parser itself can fail on what its folder wrote
        return False
    if headers[1].defects:
        return False
    for addresses in found:
        if len(addresses) != 1 or addresses[0].addr_spec != address.addr_spec:
            return False
        if exact and addresses[0].display_name != address.display_name:
            return False
    return True


def _safe_filename(name: str) -> str:
    cleaned = clean_header_text(name, 120).replace("/", "_").replace("\\", "_").lstrip(".")
    return cleaned or "lampiran"


def _envelope_from(message: EmailMessage) -> str:
    addresses: tuple[Address, ...] = getattr(message["From"], "addresses", ())
    if len(addresses) != 1:
        raise InvalidAddress("the message needs exactly one From address")
    return validate_address(addresses[0].addr_spec, local_ok=True)


class SmtpMailer:
    """Sends through an SMTP server, keeping the connection open between messages.

    A connection the server closed while idle is opened again once; after
    ``_MESSAGES_PER_CONNECTION`` messages it is closed and a new one opened. ``ca_file`` trusts
    the certificates in that file instead of the system's (a private mail relay with its own
    certificate authority); ``local_hostname`` is what EHLO names (default: this machine's fully
    qualified name, which may cost a DNS lookup per connection).
    """

    def __init__(
        self,
        delivery: Delivery,
        *,
        ca_file: str | Path | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if delivery.smtp_security not in ("starttls", "ssl", "none"):
            raise ValueError(f"smtp_security {delivery.smtp_security!r}: starttls, ssl or none")
        if not delivery.smtp_host:
            raise ValueError("SmtpMailer needs an SMTP host")
        self.delivery = delivery
        self.ca_file = None if ca_file is None else str(ca_file)
        self.local_hostname = local_hostname
        self._smtp: smtplib.SMTP | None = None
        self._sent_on_connection = 0
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        """``host:port`` of the server, as error messages name it."""
        return f"{self.delivery.smtp_host}:{self.delivery.smtp_port}"

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def _open(self) -> smtplib.SMTP:
        d = self.delivery
        smtp: smtplib.SMTP
        if d.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(
                d.smtp_host,
                d.smtp_port,
                local_hostname=self.local_hostname,
                timeout=d.smtp_timeout,
                context=self._context(),
            )
        else:
            smtp = smtplib.SMTP(
                d.smtp_host, d.smtp_port, local_hostname=self.local_hostname, timeout=d.smtp_timeout
            )
        try:
            if d.smtp_security == "starttls":
                smtp.starttls(context=self._context())
            if d.smtp_user:
                smtp.login(d.smtp_user, d.smtp_password)
        except BaseException:
            smtp.close()
            raise
        self._sent_on_connection = 0
        return smtp

    def close(self) -> None:
        """Say QUIT and close the kept connection, if there is one."""
        with self._lock:
            self._drop(polite=True)

    def _drop(self, *, polite: bool = False) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            if polite:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    smtp.quit()
            smtp.close()

    def _transmit(self, message: EmailMessage, from_addr: str, to_addr: str) -> None:
        reused = self._smtp is not None
        try:
            if self._smtp is None:
                self._smtp = self._open()
            try:
                refused = self._smtp.send_message(message, from_addr=from_addr, to_addrs=[to_addr])
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                if not reused:
                    raise
                self._drop()  # the server closed the kept connection while it was idle
                self._smtp = self._open()
                refused = self._smtp.send_message(message, from_addr=from_addr, to_addrs=[to_addr])
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            with contextlib.suppress(smtplib.SMTPException, OSError):
                if self._smtp is not None:
                    self._smtp.rset()  # the next message starts a clean transaction
            raise
        except BaseException:
            self._drop()
            raise
        if refused:  # only when some of several were refused; kept for completeness
            raise MailError(f"{self.where} refused {to_addr}: {_reply(refused)}")
        self._sent_on_connection += 1
        if self._sent_on_connection >= _MESSAGES_PER_CONNECTION:
            self._drop(polite=True)

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Deliver ``message`` to ``recipient`` only; every failure of the server, the network
        or TLS is a ``MailError`` naming ``host:port`` and the server's reply."""
        to_addr = validate_address(recipient)
        from_addr = _envelope_from(message)
        d = self.delivery
        try:
            with self._lock:
                self._transmit(message, from_addr, to_addr)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise MailError(
                f"{self.where} refused recipient {to_addr}: {_reply(error.recipients)}",
                code=codes[0] if codes else None,
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise MailError(f"{self.where} does not support STARTTLS: {error}") from error
        except smtplib.SMTPResponseException as error:
            what = {
                smtplib.SMTPSenderRefused: f"refused sender {from_addr}",
                smtplib.SMTPDataError: "refused the message",
                smtplib.SMTPAuthenticationError: f"refused login as {d.smtp_user}",
                smtplib.SMTPHeloError: "refused EHLO/HELO",
                smtplib.SMTPConnectError: "refused the connection",
            }.get(type(error), "answered with an error")
            raise MailError(
                f"{self.where} {what}: {error.smtp_code} {_text(error.smtp_error)}",
                code=error.smtp_code,
            ) from error
        except smtplib.SMTPServerDisconnected as error:
            raise MailError(f"{self.where} closed the connection: {error}") from error
        except smtplib.SMTPException as error:
            raise MailError(f"{self.where}: {error}") from error
        except ssl.SSLError as error:
            raise MailError(f"{self.where}: TLS failed: {error}") from error
        except TimeoutError as error:
            raise MailError(f"{self.where}: timed out after {d.smtp_timeout} s") from error
        except OSError as error:
            raise MailError(f"{self.where}: cannot connect: {error}") from error


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _reply(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{code} {_text(text)}" for code, text in refused.values())


class DirectoryMailer:
    """Writes each message as ``<folder>/<YYYY-MM-DD>/<Message-ID>.eml`` (the day of its Date
    header), the embedded default and what tests read.

    The file is the message as it would go on the wire (CRLF line ends), preceded by one header
    line ``X-Sertiflow-Envelope-To: <recipient>`` that names who it was for; that line is never
    part of a sent message. Writes are atomic (a temporary file, then ``os.replace``), so the
    same message sent twice leaves one file.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, message: EmailMessage) -> Path:
        """Where ``message`` is written."""
        date_header = message["Date"]
        when = getattr(date_header, "datetime", None) if date_header is not None else None
        day = (when or datetime.now(UTC)).date().isoformat()
        ident = str(message["Message-ID"] or "")
        if ident:
            name = re.sub(r"[^A-Za-z0-9._@+-]", "_", ident.strip().strip("<>"))[:180]
        else:
            name = "no-id-" + hashlib.sha256(message.as_bytes()).hexdigest()[:24]
        return self.folder / day / f"{name.lstrip('.') or 'message'}.eml"

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Write ``message`` for ``recipient``; a failing disk is a ``MailError``."""
        to_addr = validate_address(recipient)
        _envelope_from(message)
        data = f"{ENVELOPE_HEADER}: {to_addr}\r\n".encode() + message.as_bytes(
            policy=email.policy.SMTP
        )
        path = self.path_for(message)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError as error:
            raise MailError(f"cannot write {path}: {error}") from error


def mailer_from_settings(settings: Settings) -> Mailer:
    """``SmtpMailer`` when an SMTP host is configured, else ``DirectoryMailer`` on ``mail_dir``."""
    delivery = settings.delivery
    if delivery.smtp_host:
        return SmtpMailer(
            delivery,
            ca_file=delivery.smtp_ca_file or None,
            # EHLO names the office's public host: no DNS lookup of this machine's name
            local_hostname=urlsplit(settings.public_url).hostname or "localhost",
        )
    return DirectoryMailer(Path(settings.mail_dir))
