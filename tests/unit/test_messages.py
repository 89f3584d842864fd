"""The words of every email, in Bahasa Indonesia and English, rendered from the templates."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest

from workers.messages import (
    AUDIENCES,
    COURTS,
    EMAILS,
    REMINDER_KINDS,
    DeskFacts,
    DigestItem,
    Email,
    ReminderFacts,
    StatusFacts,
    desk_email,
    desk_notification,
    digest_email,
    reminder_email,
    reminder_notification,
    status_email,
)

DEADLINE = date(2026, 6, 30)
STATUS_URL = "https://plut.contoh.id/status/42?sig=abc&exp=1"
APP_URL = "https://plut.contoh.id/apps/42"

INDONESIAN_WORDS = (
    "yth", "bapak", "ibu", "permohonan", "tahap", "hari kerja", "paling lambat", "hormat kami",
    "anda", "berlaku", "sampai", "konsultan", "catatan", "terlampir", "menunggu", "giliran",
    "untuk", "pada", "dengan", "yang", "sekarang", "pemberitahuan", "ringkasan", "perpanjangan",
    "tautan", "pesan", "dikirim", "otomatis", "halo", "lihat", "buka", "silakan", "mohon",
    "kami", "beliau", "telah", "kini", "sedang", "selesai", "batas waktu", "lagi", "terlambat",
    "pengingat", "merek", "instansi", "langkah", "sertifikat", "juni", "juli", "maret",
)  # fmt: skip
ENGLISH_WORDS = (
    "dear", "your", "you", "the", "working day", "due", "please", "deadline", "application",
    "stage", "hello", "kind regards", "link", "valid", "until", "waiting", "agency", "reminder",
    "overdue", "note", "attached", "consultant", "turn", "june", "july", "march", "summary",
)  # fmt: skip


def _status(lang: str = "id", **changes: object) -> StatusFacts:
    english = lang == "en"
    facts = StatusFacts(
        lang=lang,
        umkm_name="Sagu Ana",
        owner_name="Ana Lestari",
        application_id=42,
        process_title="Halal certification" if english else "Sertifikasi Halal Reguler",
        trigger_label="Documents submitted" if english else "Dokumen diajukan",
        stage_label="Document verification" if english else "Verifikasi dokumen",
        court="umkm",
        next_step="Send photos of the kitchen" if english else "Kirim foto dapur produksi",
        deadline=DEADLINE,
        working_days_left=3,
        closed=False,
        certificate_number=None,
        consultant_name="Rina Wattimena",
        consultant_email="rina@plut-maluku.contoh.id",
        office_name="PLUT-KUMKM Provinsi Maluku",
        status_url=STATUS_URL,
        link_expires_on=date(2026, 7, 30),
        packet_attached=True,
        note="Photos in daylight" if english else "Foto siang hari",
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def _desk(lang: str = "id", **changes: object) -> DeskFacts:
    english = lang == "en"
    facts = DeskFacts(
        lang=lang,
        recipient_name="Rina",
        application_id=42,
        umkm_name="Sagu Ana",
        process_title="Halal certification" if english else "Sertifikasi Halal Reguler",
        trigger_label="Documents submitted" if english else "Dokumen diajukan",
        stage_label="Document verification" if english else "Verifikasi dokumen",
        court="consultant",
        actor_name="Yosef",
        deadline=DEADLINE,
        working_days_left=3,
        app_url=APP_URL,
        note="Check the photos" if english else "Cek foto",
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def _reminder(lang: str = "id", **changes: object) -> ReminderFacts:
    english = lang == "en"
    facts = ReminderFacts(
        lang=lang,
        recipient_name="Ana Lestari",
        audience="umkm",
        kind="before",
        application_id=42,
        umkm_name="Sagu Ana",
        process_title="Trademark registration" if english else "Pendaftaran Merek",
        stage_label="Response to refusal" if english else "Tanggapan penolakan",
        next_step="Send a written response" if english else "Kirim tanggapan tertulis",
        deadline=DEADLINE,
        working_days=3,
        basis="law",
        consultant_name="Rina Wattimena",
        status_url=STATUS_URL,
        link_expires_on=date(2026, 7, 30),
        app_url=APP_URL,
        office_name="PLUT-KUMKM Provinsi Maluku",
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def _digest(lang: str = "id", count: int = 2) -> Email:
    english = lang == "en"
    items = [
        DigestItem(
            "#42 Sagu Ana", "Review" if english else "Verifikasi", 42, datetime(2026, 6, 1, 8, 30)
        ),
        DigestItem("System" if english else "Sistem", "Info", None, datetime(2026, 6, 1, 14, 5)),
    ][:count]
    return digest_email(lang, "Rina", date(2026, 6, 1), items, "https://plut.contoh.id/apps/")


def _every_email(lang: str) -> list[Email]:
    emails = [status_email(_status(lang, court=court)) for court in COURTS]
    emails.append(status_email(_status(lang, closed=True, certificate_number="ID311100001")))
    emails.append(status_email(_status(lang, closed=True)))
    emails += [desk_email(_desk(lang, court=c, for_admin=a)) for c in COURTS for a in (False, True)]
    emails += [
        reminder_email(_reminder(lang, kind=kind, audience=audience))
        for kind in REMINDER_KINDS
        for audience in AUDIENCES
    ]
    emails += [_digest(lang, 2), _digest(lang, 1), _digest(lang, 0)]
    return emails


def _words(text: str, words: tuple[str, ...]) -> set[str]:
    lowered = text.lower()
    return {w for w in words if re.search(rf"(?<![\w/]){re.escape(w)}(?![\w/])", lowered)}


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_email_renders_in_both_languages_without_the_other_leaking(lang: str) -> None:
    other = INDONESIAN_WORDS if lang == "en" else ENGLISH_WORDS
    emails = _every_email(lang)
    assert len(emails) == 32
    for mail in emails:
        assert mail.subject.startswith("[PLUT] ") and "\n" not in mail.subject
        assert mail.text.strip() and mail.html.startswith("<!DOCTYPE html>")
        assert f'<html lang="{lang}">' in mail.html
        for part in (mail.subject, mail.text, _visible(mail.html)):
            assert _words(part, other) == set(), part
    notifications = [desk_notification(_desk(lang, court=c)) for c in COURTS] + [
        reminder_notification(_reminder(lang, kind=k)) for k in REMINDER_KINDS
    ]
    for title, body in notifications:
        assert title and body and _words(f"{title} {body}", other) == set(), (title, body)


def test_the_status_email_tells_the_umkm_what_to_do_and_by_when() -> None:
    mail = status_email(_status("id"))
    assert mail.subject == "[PLUT] Permohonan #42: Verifikasi dokumen"
    assert mail.text.startswith("Yth. Bapak/Ibu Ana Lestari,\n")
    assert (
        "Permohonan Sertifikasi Halal Reguler #42 untuk Sagu Ana kini berada pada tahap: "
        "Verifikasi dokumen." in mail.text
    )
    assert "Yang perlu Anda lakukan: Kirim foto dapur produksi." in mail.text
    assert "Paling lambat 30 Juni 2026 (3 hari kerja lagi)." in mail.text
    assert "Konsultan Anda: Rina Wattimena (rina@plut-maluku.contoh.id)." in mail.text
    assert STATUS_URL in mail.text and "Tautan ini berlaku sampai 30 Juli 2026." in mail.text
    assert "Terlampir berkas dokumen untuk tahap ini." in mail.text
    assert "Catatan: Foto siang hari" in mail.text
    assert "Hormat kami,\nPLUT-KUMKM Provinsi Maluku\n" in mail.text
    for phrase in ("30 Juni 2026 (3 hari kerja lagi)", "Rina Wattimena", "30 Juli 2026"):
        assert phrase in mail.html
    assert 'href="https://plut.contoh.id/status/42?sig=abc&amp;exp=1"' in mail.html


def test_the_status_email_in_english_says_the_same() -> None:
    mail = status_email(_status("en"))
    assert mail.subject == "[PLUT] Application #42: Document verification"
    assert mail.text.startswith("Dear Ana Lestari,\n")
    assert "What you need to do: Send photos of the kitchen." in mail.text
    assert "Due by 30 June 2026 (3 working days left)." in mail.text
    assert "This link is valid until 30 July 2026." in mail.text
    assert "Your consultant: Rina Wattimena" in mail.text


def test_whose_court_decides_what_the_umkm_is_told() -> None:
    consultant = status_email(_status("id", court="consultant")).text
    assert "Konsultan PLUT sedang menyiapkan tahap Verifikasi dokumen" in consultant
    assert "Anda tidak perlu melakukan apa-apa sekarang." in consultant
    assert "Target penyelesaian: 30 Juni 2026 (3 hari kerja lagi)." in consultant
    agency = status_email(_status("id", court="agency", next_step="")).text
    assert "Menunggu instansi menyelesaikan tahap: Verifikasi dokumen." in agency
    assert "Batas waktu layanan: 30 Juni 2026 (3 hari kerja lagi)." in agency
    assert "Anda tidak perlu melakukan apa-apa sekarang." in agency
    no_step = status_email(_status("id", next_step="", deadline=None)).text
    assert "hubungi konsultan Anda untuk langkah berikutnya." in no_step
    assert "Paling lambat" not in no_step


@pytest.mark.parametrize(
    ("days", "indonesian", "english"),
    [
        (1, "(1 hari kerja lagi)", "(1 working day left)"),
        (0, "(hari ini hari terakhir)", "(today is the last day)"),
        (-2, "(terlambat 2 hari kerja)", "(2 working days overdue)"),
    ],
)
def test_the_days_left_are_said_plainly(days: int, indonesian: str, english: str) -> None:
    assert indonesian in status_email(_status("id", working_days_left=days)).text
    assert english in status_email(_status("en", working_days_left=days)).text
    assert "30 Juni 2026" in status_email(_status("id", working_days_left=None)).text


def test_a_certified_or_closed_application_says_so() -> None:
    certified = status_email(_status("id", closed=True, certificate_number="ID31110000123450624"))
    assert certified.subject == "[PLUT] Permohonan #42: Sertifikat terbit"
    assert "telah terbit dengan nomor ID31110000123450624" in certified.text
    assert "Permohonan ini telah selesai" in certified.text
    assert "Paling lambat" not in certified.text
    closed = status_email(_status("en", closed=True))
    assert "This application has been closed." in closed.text
    assert "Due by" not in closed.text
    quiet = status_email(_status("id", packet_attached=False, note="")).text
    assert "Terlampir" not in quiet and "Catatan" not in quiet


def test_the_html_escapes_what_users_typed() -> None:
    hostile = '<script>alert("x")</script> & <b>Sagu</b>'
    mail = status_email(_status("id", umkm_name=hostile, owner_name=hostile, note=hostile))
    assert "<script" not in mail.html and "<b>Sagu" not in mail.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Sagu" in mail.html
    assert hostile in mail.text  # plain text is plain text
    desk = desk_email(_desk("id", umkm_name=hostile, actor_name=hostile))
    assert "<script" not in desk.html and "&lt;script&gt;" in desk.html


def test_what_users_typed_cannot_start_a_paragraph_of_its_own_in_the_text() -> None:
    text = status_email(_status("id", note="baik\n\nHormat kami,\nBank Palsu")).text
    assert "Catatan: baik Hormat kami, Bank Palsu" in text
    assert "\nBank Palsu\n" not in text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_html_is_small_self_contained_and_fits_a_phone(lang: str) -> None:
    for mail in _every_email(lang):
        html = mail.html
        assert len(html.encode()) < 10_000
        assert 'name="viewport"' in html and "max-width:560px" in html
        for forbidden in ("<img", "<style", "<link", "<script", "src=", "url(", "@import"):
            assert forbidden not in html.lower()
        links = set(re.findall(r'href="([^"]*)"', html))
        assert links <= {
            STATUS_URL.replace("&", "&amp;"),
            APP_URL,
            "https://plut.contoh.id/apps/42",
        }


def test_the_desk_email_says_whose_turn_it_is_and_by_when() -> None:
    mine = desk_email(_desk("id"))
    assert mine.subject == "[PLUT] Giliran Anda: #42 Sagu Ana - Verifikasi dokumen"
    assert "Yosef mencatat langkah Dokumen diajukan" in mine.text
    assert "Giliran Anda: Verifikasi dokumen, paling lambat 30 Juni 2026 (3 hari kerja lagi)." in (
        mine.text
    )
    assert APP_URL in mine.text and "Catatan: Cek foto" in mine.text
    admin = desk_email(_desk("id", for_admin=True)).text
    assert "Giliran konsultan: Verifikasi dokumen" in admin and "sebagai admin" in admin
    assert "Menunggu UMKM (Verifikasi dokumen); batas waktu: 30 Juni 2026" in (
        desk_email(_desk("id", court="umkm")).text
    )
    assert "Menunggu instansi (Verifikasi dokumen); batas waktu layanan: 30 Juni 2026" in (
        desk_email(_desk("id", court="agency")).text
    )
    english = desk_email(_desk("en")).text
    assert "Your turn: Document verification, due by 30 June 2026 (3 working days left)." in english


def test_the_desk_notification_is_short_and_says_the_same() -> None:
    title, body = desk_notification(_desk("id", deadline=None))
    assert title == "#42 Sagu Ana: Verifikasi dokumen"
    assert body == "Giliran Anda: Verifikasi dokumen. Dokumen diajukan (Yosef)."
    _, body = desk_notification(_desk("en", court="agency", actor_name=""))
    assert body == (
        "Waiting for the agency (Document verification); service deadline: 30 June 2026 "
        "(3 working days left). Documents submitted (the system)."
    )


def test_reminders_before_and_after_a_deadline_name_it_and_its_basis() -> None:
    before = reminder_email(_reminder("id"))
    assert before.subject == "[PLUT] Pengingat: #42 Sagu Ana"
    assert "paling lambat 30 Juni 2026 (3 hari kerja lagi)" in before.text
    assert "Yang perlu Anda lakukan: Kirim tanggapan tertulis." in before.text
    assert "Ini batas waktu menurut peraturan." in before.text
    assert STATUS_URL in before.text and "berlaku sampai 30 Juli 2026" in before.text
    assert APP_URL not in before.text
    overdue = reminder_email(_reminder("id", kind="overdue", audience="consultant", basis="agreed"))
    assert "kini terlambat 3 hari kerja" in overdue.text and "30 Juni 2026" in overdue.text
    assert "target layanan yang disepakati" in overdue.text
    assert APP_URL in overdue.text and STATUS_URL not in overdue.text
    escalation = reminder_email(_reminder("en", kind="escalation", audience="admin"))
    assert "3 working days overdue" in escalation.text and "Consultant: Rina Wattimena" in (
        escalation.text
    )
    practice = reminder_email(_reminder("en", basis="practice")).text
    assert "not a deadline set by regulation" in practice


def test_renewal_surveillance_and_expiry_reminders_give_their_dates() -> None:
    renewal = reminder_email(_reminder("id", kind="renewal", deadline=date(2026, 9, 1)))
    assert "berakhir pada 1 September 2026" in renewal.text
    assert "mulai 1 Maret 2026 sampai 1 September 2026" in renewal.text
    assert "sampai 1 Maret 2027 dengan biaya tambahan" in renewal.text
    assert "peraturan" not in renewal.text  # a validity date, not a service deadline
    surveillance = reminder_email(_reminder("en", kind="surveillance")).text
    assert "surveillance audit" in surveillance and "due by 30 June 2026" in surveillance
    expiry = reminder_email(_reminder("id", kind="expiry")).text
    assert "SPPT SNI untuk Sagu Ana" in expiry and "berlaku sampai 30 Juni 2026" in expiry
    title, body = reminder_notification(_reminder("en", kind="renewal", deadline=date(2026, 9, 1)))
    assert title == "Trademark renewal: #42 Sagu Ana"
    assert "from 1 March 2026" in body and "until 1 March 2027" in body


def test_the_digest_lists_the_day_with_links() -> None:
    mail = _digest("id")
    assert mail.subject == "[PLUT] Ringkasan 1 Juni 2026: 2 pemberitahuan"
    assert "- 08.30  #42 Sagu Ana\n  Verifikasi\n  https://plut.contoh.id/apps/42\n" in mail.text
    assert "- 14.05  Sistem\n  Info\n\n" in mail.text
    assert 'href="https://plut.contoh.id/apps/42"' in mail.html
    assert _digest("en", 1).subject == "[PLUT] Summary for 1 June 2026: 1 notification"
    assert "There were no notifications for you on 1 June 2026." in _digest("en", 0).text


def test_facts_that_cannot_be_rendered_are_refused() -> None:
    with pytest.raises(ValueError):
        _status("fr")
    with pytest.raises(ValueError):
        _status("id", court="bpjph")
    with pytest.raises(ValueError):
        _status("id", status_url="javascript:alert(1)")
    with pytest.raises(ValueError):
        _reminder("id", kind="soon")
    with pytest.raises(ValueError):
        _reminder("id", basis="rumour")
    with pytest.raises(ValueError):
        _desk("id", app_url="data:text/html,x")
    with pytest.raises(ValueError):
        digest_email("id", "Rina", date(2026, 6, 1), [], "ftp://x")


def test_the_templates_are_shipped_where_messages_looks() -> None:
    names = {path.name for path in EMAILS.glob("*.j2")}
    assert {"_ui.text.j2", "_ui.html.j2", "status.j2", "desk.j2", "reminder.j2"} <= names
    assert "digest.j2" in names
