"""Trademark registration (pendaftaran merek) at DJKI.

Regulation: UU 20/2016 on Merek dan Indikasi Geografis, as amended by UU 11/2020 (Cipta Kerja);
Permenkumham 67/2016 jo. 12/2021; PP 28/2019 (fees). Order: filing, formality examination,
2-month publication in the Berita Resmi Merek (third parties may oppose; the applicant rebuts),
substantive examination (30 days, 90 when opposed), then registration, or a provisional refusal
the applicant may answer within 30 days. A final refusal may be appealed to the Komisi Banding
Merek within 90 days, and its decision taken to the Pengadilan Niaga. A registered mark is
protected 10 years from the filing date and can be renewed from 6 months before expiry.

States at a glance::

    INTAKE -> DOC_PREPARATION -> FILED -> FORMALITY_EXAM (<-> FORMALITY_INCOMPLETE)
      -> PUBLICATION (-> OPPOSITION -> REBUTTAL_FILED) -> PUBLICATION_ENDED -> QUEUED_SUBSTANTIVE
      -> SUBSTANTIVE_EXAM (-> PROVISIONAL_REFUSAL -> RESPONSE_REVIEW) -> MARK_ACTIVE
    refused: REFUSED -> APPEAL -> COURT; renewal: MARK_ACTIVE -> RENEWAL_WINDOW -> MARK_ACTIVE
    ends: WITHDRAWN, DEEMED_WITHDRAWN, REFUSAL_FINAL, MARK_EXPIRED, CANCELLED
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from workflow.guards import DeadlinePassed, GracePeriodOver, RenewalWindowOpen
from workflow.model import (
    Court,
    Deadline,
    Field,
    Phase,
    ProcessDefinition,
    Role,
    State,
    Transition,
    Unit,
)
from workflow.policy import Policy
from workflow.processes.common import (
    ANYONE,
    CANCELLED,
    ISSUED_ON,
    PLUT,
    by_name,
    cancel,
    closed,
    intake_states,
    intake_transitions,
)

__all__ = ["TRADEMARK"]

DAYS = Unit.CALENDAR_DAYS
MONTHS = Unit.MONTHS

MARK_NUMBER = Field(
    "certificate_number", "Nomor pendaftaran merek", pattern=r"^IDM\d{9}$", example="IDM001234567"
)
FILED_ON = Field(
    "filed_on",
    "Tanggal penerimaan (filing date)",
    kind="date",
    example="2026-11-30",
    default_today=True,
)
APPLICATION_NUMBER = Field(
    "application_number",
    "Nomor permohonan",
    pattern=r"^[A-Z]{2,3}\d{7,}$",
    example="JID2026123456",
    required=False,
)
RENEWED_UNTIL = Field(
    "expires_on", "Dilindungi sampai", kind="date", example="2036-11-30", allow_future=True
)

_FILING_EVIDENCE = (
    "label_image",
    "umk_statement",
    "umk_recommendation",
    "ktp_owner",
    "trademark_ownership",
)
_FILED = frozenset({"filed"})
_REGISTERED = frozenset({"filed", "registered"})


def mark_expiry(issued_on: date, filed_on: date | None, policy: Policy) -> date:
    """UU 20/2016 Pasal 35(1): protected 10 years from the filing date (tanggal penerimaan)."""
    return (filed_on or issued_on) + relativedelta(years=policy.trademark_validity_years)


_PACKETS = {
    "DOC_PREPARATION": (
        "guide/trademark",
        "trademark/filing_data",
        "trademark/ownership_statement",
        "trademark/umk_statement",
        "trademark/umk_recommendation",
    ),
    "FILED": ("trademark/filing_data",),
    "FORMALITY_INCOMPLETE": ("trademark/filing_data", "trademark/umk_statement"),
    "PROVISIONAL_REFUSAL": ("trademark/refusal_response",),
}
"""What each stage's packet holds besides the covering letter and the checklist."""


def _states() -> list[State]:
    return [
        *intake_states(
            prep_hint="Siapkan label merek (JPG), KTP, surat pernyataan UMK "
            "bermeterai, surat rekomendasi UKM binaan tahun ini, dan "
            "daftar kelas barang/jasa.",
            prep_hint_en="Prepare your brand label (JPG), ID card (KTP), the stamped UMK "
            "statement (with meterai), this year's recommendation letter as an assisted small "
            "business (UKM binaan), and the list of goods/services classes.",
        ),
        State(
            "FILED",
            "(TM) Dalam Proses",
            "Filed",
            Court.AGENCY,
            tags=_FILED,
            deadline=Deadline(15, DAYS, "unconfirmed", "filing to publication, often quoted"),
            hint="Permohonan merek sudah diterima DJKI. Simpan tanda terimanya.",
            hint_en="DJKI has received your trademark application. Keep the receipt.",
        ),
        State(
            "FORMALITY_EXAM",
            "Pemeriksaan Formalitas",
            "Formality examination",
            Court.AGENCY,
            tags=_FILED,
            deadline=Deadline(15, DAYS, "unconfirmed", "often quoted, unconfirmed"),
            hint="Menunggu DJKI memeriksa kelengkapan persyaratan permohonan.",
            hint_en="Waiting for DJKI to check that your application meets the formal "
            "requirements.",
        ),
        State(
            "FORMALITY_INCOMPLETE",
            "(TM) Pemeriksaan Formalitas Kurang Lengkap",
            "Formality deficiencies",
            Court.UMKM,
            tags=_FILED,
            deadline=Deadline(2, MONTHS, "unconfirmed", "UU 15/2001 Pasal 13 (historical)"),
            hint="DJKI meminta kelengkapan dokumen. Lengkapi sebelum batas waktu.",
            hint_en="DJKI asks for missing documents. Send them before the deadline.",
        ),
        State(
            "PUBLICATION",
            "(TM) Masa Pengumuman (BRM)",
            "Publication",
            Court.AGENCY,
            tags=_FILED,
            deadline=Deadline(2, MONTHS, "law", "UU 20/2016 Pasal 14"),
            hint="Merek Anda diumumkan. Menunggu masa pengumuman 2 bulan selesai; selama itu "
            "pihak lain boleh mengajukan keberatan.",
            hint_en="Your trademark has been published. Waiting for the 2-month publication "
            "period to end; during it, others may object.",
        ),
        State(
            "OPPOSITION",
            "Keberatan pihak ketiga",
            "Opposition filed",
            Court.UMKM,
            tags=_FILED,
            deadline=Deadline(2, MONTHS, "law", "UU 20/2016 Pasal 17(2)"),
            hint="Ada keberatan atas merek Anda. Ajukan sanggahan paling lambat 2 bulan.",
            hint_en="Someone has objected to your trademark. Send a rebuttal within 2 months.",
        ),
        State(
            "REBUTTAL_FILED",
            "Sanggahan diajukan",
            "Rebuttal filed",
            Court.AGENCY,
            tags=_FILED,
            deadline=Deadline(2, MONTHS, "practice", "publication (Pasal 14) ends by then"),
            hint="Sanggahan sudah diajukan. Menunggu masa pengumuman selesai.",
            hint_en="Your rebuttal has been filed. Waiting for the publication period to end.",
        ),
        State(
            "PUBLICATION_ENDED",
            "(TM) Selesai Masa Pengumuman",
            "Publication ended",
            Court.AGENCY,
            tags=_FILED,
            deadline=Deadline(15, DAYS, "unconfirmed", "no figure found; office setting"),
            hint="Masa pengumuman selesai. Menunggu DJKI menjadwalkan pemeriksaan substantif.",
            hint_en="The publication period is over. Waiting for DJKI to schedule the "
            "substantive examination.",
        ),
        State(
            "QUEUED_SUBSTANTIVE",
            "(TM) Pelayanan Teknis",
            "Queued for substantive exam",
            Court.AGENCY,
            tags=_FILED,
            deadline=Deadline(2, MONTHS, "practice", "DJKI: registered within 6 months (2025)"),
            hint="Menunggu giliran pemeriksaan substantif di DJKI.",
            hint_en="Waiting in DJKI's queue for the substantive examination.",
        ),
        State(
            "SUBSTANTIVE_EXAM",
            "(TM) Pemeriksaan Substantif",
            "Substantive examination",
            Court.AGENCY,
            tags=_FILED,
            deadline=Deadline(30, DAYS, "law", "UU 20/2016 Pasal 23 jo. UU 11/2020"),
            deadline_if=(("opposed", Deadline(90, DAYS, "law", "UU 20/2016 Pasal 23")),),
            hint="Menunggu pemeriksa merek DJKI menilai apakah merek Anda dapat didaftar.",
            hint_en="Waiting for the DJKI examiner to decide whether your trademark can be "
            "registered.",
        ),
        State(
            "PROVISIONAL_REFUSAL",
            "Usulan Penolakan",
            "Provisional refusal",
            Court.UMKM,
            tags=_FILED,
            deadline=Deadline(30, DAYS, "law", "UU 20/2016 Pasal 24(3)"),
            hint="DJKI mengusulkan penolakan. Ajukan tanggapan tertulis paling lambat 30 hari.",
            hint_en="DJKI proposes to refuse your trademark. Send a written response within "
            "30 days.",
        ),
        State(
            "RESPONSE_REVIEW",
            "Tanggapan diperiksa",
            "Response under review",
            Court.AGENCY,
            tags=_FILED,
            deadline=Deadline(30, DAYS, "unconfirmed", "as the substantive exam (Pasal 23)"),
            hint="Menunggu pemeriksa DJKI menilai tanggapan Anda.",
            hint_en="Waiting for the DJKI examiner to review your response.",
        ),
        State(
            "REFUSED",
            "Penolakan Tetap",
            "Refused",
            Court.UMKM,
            tags=_FILED,
            deadline=Deadline(90, DAYS, "law", "UU 20/2016 Pasal 28-29"),
            hint="Merek ditolak. Anda dapat mengajukan banding paling lambat 90 hari.",
            hint_en="Your trademark has been refused. You can appeal within 90 days.",
        ),
        State(
            "APPEAL",
            "Banding di Komisi Banding Merek",
            "Appeal",
            Court.AGENCY,
            tags=_FILED,
            deadline=Deadline(3, MONTHS, "practice", "KBM decides within 3 months"),
            hint="Menunggu putusan Komisi Banding Merek.",
            hint_en="Waiting for the Trademark Appeal Commission (Komisi Banding Merek) to decide.",
        ),
        State(
            "COURT",
            "Gugatan di Pengadilan Niaga",
            "Court",
            Court.AGENCY,
            tags=_FILED,
            deadline=Deadline(3, MONTHS, "practice", "suit within 3 months of the decision"),
            hint="Menunggu putusan Pengadilan Niaga.",
            hint_en="Waiting for the Commercial Court (Pengadilan Niaga) to decide.",
        ),
        State(
            "MARK_ACTIVE",
            "(TM) Didaftar",
            "Registered",
            Court.UMKM,
            phase=Phase.CERTIFIED,
            tags=_REGISTERED,
            hint="Merek Anda terdaftar dan dilindungi 10 tahun.",
            hint_en="Your trademark is registered and protected for 10 years.",
        ),
        State(
            "RENEWAL_WINDOW",
            "Masa perpanjangan",
            "Renewal window",
            Court.UMKM,
            phase=Phase.CERTIFIED,
            tags=_REGISTERED,
            hint="Perlindungan merek akan berakhir. Ajukan perpanjangan.",
            hint_en="Your trademark protection is ending soon. Apply to renew it.",
        ),
        closed(
            "WITHDRAWN",
            "(TM) Ditarik Kembali",
            "Withdrawn",
            hint="Permohonan merek ditarik kembali. Hubungi konsultan PLUT jika ingin "
            "mengajukan lagi.",
            hint_en="The trademark application was withdrawn. Contact your PLUT consultant if "
            "you want to apply again.",
        ),
        closed(
            "DEEMED_WITHDRAWN",
            "Dianggap Ditarik Kembali",
            "Deemed withdrawn",
            hint="Permohonan dianggap ditarik karena kekurangan tidak dilengkapi tepat waktu. "
            "Hubungi konsultan PLUT untuk mengajukan lagi.",
            hint_en="The application counts as withdrawn because the missing documents were "
            "not sent in time. Contact your PLUT consultant to apply again.",
        ),
        closed(
            "REFUSAL_FINAL",
            "Ditolak (final)",
            "Finally refused",
            hint="Penolakan merek sudah final. Bicarakan dengan konsultan PLUT jika ingin "
            "mendaftarkan merek lain.",
            hint_en="The refusal of your trademark is final. Talk to your PLUT consultant if "
            "you want to register a different mark.",
        ),
        closed(
            "MARK_EXPIRED",
            "(TM) Berakhir",
            "Expired",
            hint="Perlindungan merek Anda sudah berakhir. Hubungi konsultan PLUT untuk "
            "mendaftarkannya lagi.",
            hint_en="Your trademark protection has ended. Contact your PLUT consultant to "
            "register it again.",
        ),
        CANCELLED,
    ]


def _transitions() -> list[Transition]:
    registered = (MARK_NUMBER, ISSUED_ON)
    everyone = frozenset(Role)
    return [
        *intake_transitions(),
        Transition(
            "billing_paid_and_submitted",
            ("DOC_PREPARATION",),
            "FILED",
            PLUT,
            "Bayar SIMPAKI dan kirim permohonan",
            requires=_FILING_EVIDENCE,
            fields=(FILED_ON, APPLICATION_NUMBER),
        ),
        Transition(
            "formality_exam_started",
            ("FILED",),
            "FORMALITY_EXAM",
            PLUT,
            "Pemeriksaan formalitas dimulai",
            agency="DJKI",
        ),
        Transition(
            "formality_deficient",
            ("FORMALITY_EXAM",),
            "FORMALITY_INCOMPLETE",
            PLUT,
            "Formalitas kurang lengkap",
            agency="DJKI",
        ),
        Transition(
            "deficiency_fixed",
            ("FORMALITY_INCOMPLETE",),
            "FORMALITY_EXAM",
            PLUT,
            "Kekurangan dilengkapi",
        ),
        Transition(
            "deadline_missed",
            ("FORMALITY_INCOMPLETE",),
            "DEEMED_WITHDRAWN",
            PLUT,
            "Batas waktu kelengkapan lewat",
            agency="DJKI",
            guards=(DeadlinePassed("the applicant still has time to fix the deficiency"),),
            notify=everyone,
        ),
        Transition(
            "formality_passed",
            ("FORMALITY_EXAM",),
            "PUBLICATION",
            PLUT,
            "Diumumkan di Berita Resmi Merek",
            agency="DJKI",
        ),
        Transition(
            "opposition_filed",
            ("PUBLICATION",),
            "OPPOSITION",
            PLUT,
            "Keberatan diajukan pihak ketiga",
            agency="DJKI",
            sets_flags=("opposed",),
            notify=everyone,
        ),
        Transition(
            "rebuttal_filed", ("OPPOSITION",), "REBUTTAL_FILED", ANYONE, "Sanggahan diajukan"
        ),
        Transition(
            "publication_ended",
            ("PUBLICATION", "OPPOSITION", "REBUTTAL_FILED"),
            "PUBLICATION_ENDED",
            PLUT,
            "Masa pengumuman selesai",
            agency="DJKI",
        ),
        Transition(
            "queued_for_substantive",
            ("PUBLICATION_ENDED",),
            "QUEUED_SUBSTANTIVE",
            PLUT,
            "Antre pemeriksaan substantif",
            agency="DJKI",
        ),
        Transition(
            "substantive_exam_started",
            ("QUEUED_SUBSTANTIVE",),
            "SUBSTANTIVE_EXAM",
            PLUT,
            "Pemeriksaan substantif dimulai",
            agency="DJKI",
        ),
        Transition(
            "approved",
            ("SUBSTANTIVE_EXAM",),
            "MARK_ACTIVE",
            PLUT,
            "Merek didaftar",
            agency="DJKI",
            fields=registered,
            notify=everyone,
        ),
        Transition(
            "provisional_refusal",
            ("SUBSTANTIVE_EXAM",),
            "PROVISIONAL_REFUSAL",
            PLUT,
            "Usulan penolakan",
            agency="DJKI",
            notify=everyone,
        ),
        Transition(
            "response_filed",
            ("PROVISIONAL_REFUSAL",),
            "RESPONSE_REVIEW",
            ANYONE,
            "Tanggapan diajukan",
        ),
        Transition(
            "no_response_deadline",
            ("PROVISIONAL_REFUSAL",),
            "REFUSED",
            PLUT,
            "Tidak ada tanggapan dalam 30 hari",
            agency="DJKI",
            guards=(DeadlinePassed("the 30 days to respond have not run out"),),
            notify=everyone,
        ),
        Transition(
            "response_accepted",
            ("RESPONSE_REVIEW",),
            "MARK_ACTIVE",
            PLUT,
            "Tanggapan diterima, merek didaftar",
            agency="DJKI",
            fields=registered,
            notify=everyone,
        ),
        Transition(
            "response_rejected",
            ("RESPONSE_REVIEW",),
            "REFUSED",
            PLUT,
            "Penolakan tetap",
            agency="DJKI",
            notify=everyone,
        ),
        Transition("appeal_filed", ("REFUSED",), "APPEAL", ANYONE, "Banding diajukan"),
        Transition(
            "appeal_window_lapsed",
            ("REFUSED",),
            "REFUSAL_FINAL",
            PLUT,
            "Masa banding lewat",
            guards=(DeadlinePassed("the 90-day appeal window is still open"),),
        ),
        Transition(
            "appeal_granted",
            ("APPEAL",),
            "MARK_ACTIVE",
            PLUT,
            "Banding dikabulkan",
            agency="KBM",
            fields=registered,
            notify=everyone,
        ),
        Transition(
            "appeal_rejected",
            ("APPEAL",),
            "COURT",
            PLUT,
            "Banding ditolak, ke pengadilan",
            agency="KBM",
            notify=everyone,
        ),
        Transition(
            "court_granted",
            ("COURT",),
            "MARK_ACTIVE",
            PLUT,
            "Gugatan dikabulkan",
            agency="PENGADILAN_NIAGA",
            fields=registered,
            notify=everyone,
        ),
        Transition(
            "court_rejected",
            ("COURT",),
            "REFUSAL_FINAL",
            PLUT,
            "Gugatan ditolak",
            agency="PENGADILAN_NIAGA",
            notify=everyone,
        ),
        Transition(
            "withdraw",
            (
                "FILED",
                "FORMALITY_EXAM",
                "FORMALITY_INCOMPLETE",
                "PUBLICATION",
                "OPPOSITION",
                "REBUTTAL_FILED",
                "PUBLICATION_ENDED",
                "QUEUED_SUBSTANTIVE",
                "SUBSTANTIVE_EXAM",
                "PROVISIONAL_REFUSAL",
                "RESPONSE_REVIEW",
            ),
            "WITHDRAWN",
            ANYONE,
            "Tarik kembali permohonan",
        ),
        Transition(
            "renewal_window_opened",
            ("MARK_ACTIVE",),
            "RENEWAL_WINDOW",
            PLUT,
            "Masa perpanjangan dibuka",
            guards=(RenewalWindowOpen(),),
        ),
        Transition(
            "renewed",
            ("RENEWAL_WINDOW",),
            "MARK_ACTIVE",
            PLUT,
            "Perpanjangan terdaftar",
            agency="DJKI",
            fields=(RENEWED_UNTIL,),
        ),
        Transition(
            "expired",
            ("MARK_ACTIVE", "RENEWAL_WINDOW"),
            "MARK_EXPIRED",
            PLUT,
            "Perlindungan berakhir",
            agency="DJKI",
            guards=(GracePeriodOver(),),
            notify=everyone,
        ),
        cancel(("INTAKE", "DOC_PREPARATION")),
    ]


TRADEMARK = ProcessDefinition(
    key="trademark",
    version=1,
    title="Pendaftaran Merek (HAKI)",
    title_en="Trademark registration",
    regulation="UU 20/2016 jo. UU 11/2020; Permenkumham 67/2016 jo. 12/2021; PP 28/2019",
    initial="INTAKE",
    states=by_name(_states(), _PACKETS),
    transitions=tuple(_transitions()),
    certificate_number=MARK_NUMBER,
    certificate_expiry=mark_expiry,
    description=__doc__ or "",
    details=(
        "mark_name",
        "mark_type",
        "nice_classes",
        "goods",
        "mark_description",
        "label_file",
        "application_number",
        "djki_number",
        "refusal_date",
        "refusal_grounds",
        "refusal_letter_number",
        "response_arguments",
    ),
)
