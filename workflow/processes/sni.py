"""SNI product certification (SPPT SNI, Tipe 5 scheme) by a KAN-accredited LSPro.

Regulation: UU 20/2014 on Standardisasi dan Penilaian Kesesuaian; Peraturan BSN 6/2024 and 1/2025;
the product's own regulation (e.g. a Permenperin) fixes the certificate's validity. The LSPro
reviews the application, signs the agreement, audits the quality system and the factory (with a
corrective-action loop), samples and tests the product in an accredited laboratory (one retest),
evaluates, decides and issues the SPPT SNI, then keeps it under surveillance. The LSPro wants the
trademark filed (receipt at most 6 months old), registered, or licensed before it accepts the
application.

Version 2 adds recertification: before the certificate expires the office opens a recertification
(``recertification_opened``: a new application linked to this one, which closes), and a
certificate that expires without one opens it when it ends (``expired``).

States at a glance::

    INTAKE -> PREPARATION -> APPLICATION_SUBMITTED -> APPLICATION_REVIEW (-> RETURNED_TO_PU)
      -> AGREEMENT_PAYMENT -> AUDIT (<-> CORRECTIVE_ACTION) -> SAMPLING -> TESTING (-> RETEST)
      -> EVALUATION -> DECISION -> CERTIFIED (<-> SURVEILLANCE, SUSPENDED)
    ends: REFUSED, REVOKED, EXPIRED, CANCELLED; v2 also RECERTIFICATION_OPENED
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from workflow.guards import DeadlinePassed, GracePeriodOver, RelatedMilestone
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

__all__ = ["SNI", "SNI_V1"]

HK = Unit.WORKING_DAYS

SPPT_NUMBER = Field(
    "certificate_number",
    "Nomor SPPT SNI",
    pattern=r"^[A-Z0-9][A-Z0-9/.\-]{4,40}$",
    example="LSPRO-123/SPPT/2026",
)

_APPLY_EVIDENCE = (
    "nib",
    "npwp",
    "quality_manual",
    "qc_records",
    "conformity_declaration",
    "sni_mark_illustration",
    "process_flow",
    "test_report",
)
_SPLIT = "share of 41 HK excl. testing (one LSPro)"
"""DOMAIN.md: one LSPro quotes at most 41 HK excluding testing; how it splits is not known."""
_TRADEMARK_FIRST = RelatedMilestone("trademark", "filed", "registered", "trademark_licence")


def sppt_expiry(issued_on: date, filed_on: date | None, policy: Policy) -> date:
    """Validity is fixed per product regulation; the office sets the default (4 years)."""
    return issued_on + relativedelta(years=policy.sni_validity_years)


_PACKETS = {
    "PREPARATION": (
        "guide/sni",
        "sni/application_form",
        "sni/conformity_declaration",
        "sni/quality_records",
    ),
    "APPLICATION_SUBMITTED": (
        "sni/application_form",
        "sni/conformity_declaration",
        "sni/trademark_evidence",
        "sni/quality_records",
    ),
    "RETURNED_TO_PU": ("sni/application_form", "sni/trademark_evidence"),
    "CORRECTIVE_ACTION": ("sni/corrective_action",),
}
"""What each stage's packet holds besides the covering letter and the checklist."""


def _states() -> list[State]:
    agency = Court.AGENCY
    return [
        *intake_states(
            "PREPARATION",
            "Persiapan (gap analysis, penerapan SNI dan sistem mutu)",
            prep_hint="Terapkan SNI dan sistem mutu, siapkan Pedoman Mutu, rekaman mutu dan "
            "hasil uji coba produk.",
            prep_hint_en="Apply the SNI standard and a quality system, and prepare your "
            "quality manual (Pedoman Mutu), quality records and product trial test results.",
        ),
        State(
            "APPLICATION_SUBMITTED",
            "Permohonan sertifikasi diajukan",
            "Application submitted",
            agency,
            deadline=Deadline(5, HK, "unconfirmed", "no figure found; office setting"),
            hint="Permohonan sudah dikirim ke LSPro. Menunggu LSPro mulai mengkaji permohonan.",
            hint_en="Your application has been sent to the certification body (LSPro). "
            "Waiting for it to start the review.",
        ),
        State(
            "APPLICATION_REVIEW",
            "Kaji ulang permohonan",
            "Application review",
            agency,
            deadline=Deadline(5, HK, "unconfirmed", "no figure found; office setting"),
            hint="Menunggu LSPro memeriksa kelengkapan permohonan Anda.",
            hint_en="Waiting for the LSPro to check that your application is complete.",
        ),
        State(
            "RETURNED_TO_PU",
            "Permohonan dikembalikan",
            "Returned to the applicant",
            Court.UMKM,
            deadline=Deadline(10, HK, "agreed", "PLUT service target"),
            hint="LSPro meminta kelengkapan permohonan.",
            hint_en="The LSPro asks for the missing parts of your application.",
        ),
        State(
            "AGREEMENT_PAYMENT",
            "Perjanjian sertifikasi dan pembayaran",
            "Agreement and payment",
            Court.UMKM,
            deadline=Deadline(10, HK, "agreed", "PLUT service target"),
            hint="Tanda tangani perjanjian sertifikasi dan bayar tagihan LSPro.",
            hint_en="Sign the certification agreement and pay the LSPro invoice.",
        ),
        State(
            "AUDIT",
            "Audit kecukupan dan audit kesesuaian",
            "Audit",
            agency,
            deadline=Deadline(15, HK, "unconfirmed", _SPLIT),
            hint="Menunggu auditor LSPro memeriksa sistem mutu dan tempat produksi Anda.",
            hint_en="Waiting for the LSPro auditors to check your quality system and "
            "production site.",
        ),
        State(
            "CORRECTIVE_ACTION",
            "Tindakan koreksi",
            "Corrective action",
            Court.UMKM,
            deadline=Deadline(2, Unit.MONTHS, "practice", "one LSPro's rule"),
            hint="Perbaiki ketidaksesuaian temuan audit dan kirim buktinya.",
            hint_en="Fix the nonconformities the audit found and send the evidence.",
        ),
        State(
            "SAMPLING",
            "Pengambilan contoh uji",
            "Sampling",
            agency,
            deadline=Deadline(5, HK, "unconfirmed", _SPLIT),
            hint="Menunggu petugas LSPro mengambil contoh produk untuk diuji.",
            hint_en="Waiting for the LSPro officer to take product samples for testing.",
        ),
        State(
            "TESTING",
            "Pengujian di laboratorium",
            "Laboratory testing",
            agency,
            deadline=Deadline(20, HK, "practice", "reported duration, at least 20 HK"),
            hint="Menunggu hasil uji produk dari laboratorium.",
            hint_en="Waiting for the product test results from the laboratory.",
        ),
        State(
            "RETEST",
            "Pengujian ulang",
            "Retest",
            agency,
            deadline=Deadline(20, HK, "practice", "as testing"),
            hint="Hasil uji pertama belum memenuhi. Menunggu hasil uji ulang dari laboratorium.",
            hint_en="The first test did not pass. Waiting for the retest results from the "
            "laboratory.",
        ),
        State(
            "EVALUATION",
            "Evaluasi oleh panel sertifikasi",
            "Evaluation",
            agency,
            deadline=Deadline(7, HK, "unconfirmed", _SPLIT),
            hint="Menunggu panel sertifikasi LSPro menilai hasil audit dan uji.",
            hint_en="Waiting for the LSPro certification panel to review the audit and test "
            "results.",
        ),
        State(
            "DECISION",
            "Keputusan sertifikasi",
            "Decision",
            agency,
            deadline=Deadline(3, HK, "unconfirmed", _SPLIT),
            hint="Menunggu keputusan sertifikasi dari pimpinan LSPro.",
            hint_en="Waiting for the head of the LSPro to decide on certification.",
        ),
        State(
            "CERTIFIED",
            "SPPT SNI terbit",
            "Certified",
            Court.UMKM,
            phase=Phase.CERTIFIED,
            hint="Bubuhkan tanda SNI, nomor SNI dan atributnya sebelum produk dipasarkan.",
            hint_en="Put the SNI mark, the SNI number and the related markings on your "
            "product before you sell it.",
        ),
        State(
            "SURVEILLANCE",
            "Survailen",
            "Surveillance",
            agency,
            phase=Phase.CERTIFIED,
            hint="Menunggu hasil survailen (audit dan pengambilan contoh berkala) oleh LSPro.",
            hint_en="Waiting for the results of the LSPro's surveillance (a regular audit "
            "and sampling).",
        ),
        State(
            "SUSPENDED",
            "Sertifikat dibekukan",
            "Suspended",
            Court.UMKM,
            phase=Phase.CERTIFIED,
            hint="Sertifikat dibekukan. Tindak lanjuti temuan survailen.",
            hint_en="Your certificate is suspended. Deal with the surveillance findings.",
        ),
        closed(
            "REFUSED",
            "Permohonan ditolak",
            "Refused",
            hint="Permohonan sertifikasi SNI ditolak. Hubungi konsultan PLUT untuk langkah "
            "selanjutnya.",
            hint_en="Your SNI certification application was refused. Contact your PLUT "
            "consultant about the next steps.",
        ),
        closed(
            "REVOKED",
            "Sertifikat dicabut",
            "Revoked",
            hint="Sertifikat SNI dicabut; tanda SNI tidak boleh dipakai lagi. Hubungi "
            "konsultan PLUT.",
            hint_en="Your SNI certificate has been revoked; you may no longer use the SNI "
            "mark. Contact your PLUT consultant.",
        ),
        closed(
            "EXPIRED",
            "Masa berlaku habis",
            "Expired",
            hint="Masa berlaku sertifikat SNI sudah habis. Hubungi konsultan PLUT untuk "
            "sertifikasi ulang.",
            hint_en="Your SNI certificate has expired. Contact your PLUT consultant to get "
            "certified again.",
        ),
        CANCELLED,
    ]


RECERTIFICATION_OPENED = closed(
    "RECERTIFICATION_OPENED",
    "Sertifikasi ulang lewat permohonan baru",
    "Recertification opened",
    hint="Permohonan sertifikasi ulang sudah dibuka. Ikuti langkah di permohonan baru itu; "
    "sertifikat lama berlaku sampai tanggal berakhirnya.",
    hint_en="An application to certify your product again has been opened. Follow the steps "
    "of that new application; the old certificate stays valid until it expires.",
)
"""Version 2: the certificate goes on in a recertification application linked to this one."""


def _recertification() -> list[Transition]:
    """Version 2: recertification before expiry, and at expiry when none was opened."""
    return [
        Transition(
            "recertification_opened",
            ("CERTIFIED",),
            "RECERTIFICATION_OPENED",
            PLUT,
            "Buka permohonan sertifikasi ulang",
            opens="sni",
        ),
        Transition(
            "expired",
            ("CERTIFIED",),
            "EXPIRED",
            PLUT,
            "Masa berlaku habis, sertifikasi ulang dibuka",
            guards=(GracePeriodOver(with_grace=False),),
            opens="sni",
            notify=frozenset(Role),
        ),
    ]


def _transitions(version: int) -> list[Transition]:
    registered = (SPPT_NUMBER, ISSUED_ON)
    everyone = frozenset(Role)
    return [
        *intake_transitions("PREPARATION"),
        Transition(
            "apply",
            ("PREPARATION",),
            "APPLICATION_SUBMITTED",
            PLUT,
            "Ajukan ke LSPro",
            requires=_APPLY_EVIDENCE,
            guards=(_TRADEMARK_FIRST,),
        ),
        Transition(
            "review_started",
            ("APPLICATION_SUBMITTED",),
            "APPLICATION_REVIEW",
            PLUT,
            "Kaji ulang dimulai",
            agency="LSPRO",
        ),
        Transition(
            "return_incomplete",
            ("APPLICATION_REVIEW",),
            "RETURNED_TO_PU",
            PLUT,
            "Permohonan dikembalikan",
            agency="LSPRO",
        ),
        Transition(
            "resubmit",
            ("RETURNED_TO_PU",),
            "APPLICATION_SUBMITTED",
            PLUT,
            "Ajukan ulang",
            requires=_APPLY_EVIDENCE,
            guards=(_TRADEMARK_FIRST,),
        ),
        Transition(
            "accepted",
            ("APPLICATION_REVIEW",),
            "AGREEMENT_PAYMENT",
            PLUT,
            "Permohonan diterima",
            agency="LSPRO",
        ),
        Transition(
            "paid",
            ("AGREEMENT_PAYMENT",),
            "AUDIT",
            ANYONE,
            "Perjanjian ditandatangani dan dibayar",
            requires=("payment_proof",),
        ),
        Transition(
            "nonconformity",
            ("AUDIT",),
            "CORRECTIVE_ACTION",
            PLUT,
            "Ketidaksesuaian ditemukan",
            agency="LSPRO",
            notify=everyone,
        ),
        Transition(
            "corrections_submitted",
            ("CORRECTIVE_ACTION",),
            "AUDIT",
            ANYONE,
            "Bukti koreksi dikirim",
        ),
        Transition(
            "correction_deadline_missed",
            ("CORRECTIVE_ACTION",),
            "REFUSED",
            PLUT,
            "Batas waktu koreksi lewat",
            agency="LSPRO",
            guards=(DeadlinePassed("the corrective-action period is still running"),),
            notify=everyone,
        ),
        Transition("audit_passed", ("AUDIT",), "SAMPLING", PLUT, "Audit lulus", agency="LSPRO"),
        Transition(
            "samples_taken", ("SAMPLING",), "TESTING", PLUT, "Contoh uji diambil", agency="LSPRO"
        ),
        Transition(
            "test_failed",
            ("TESTING",),
            "RETEST",
            PLUT,
            "Hasil uji tidak memenuhi",
            agency="LAB",
            notify=everyone,
        ),
        Transition(
            "test_passed", ("TESTING",), "EVALUATION", PLUT, "Hasil uji memenuhi", agency="LAB"
        ),
        Transition(
            "retest_passed", ("RETEST",), "EVALUATION", PLUT, "Uji ulang memenuhi", agency="LAB"
        ),
        Transition(
            "retest_failed",
            ("RETEST",),
            "REFUSED",
            PLUT,
            "Uji ulang tidak memenuhi",
            agency="LAB",
            notify=everyone,
        ),
        Transition(
            "clarification_needed",
            ("EVALUATION",),
            "CORRECTIVE_ACTION",
            PLUT,
            "Panel meminta klarifikasi",
            agency="LSPRO",
        ),
        Transition(
            "recommend", ("EVALUATION",), "DECISION", PLUT, "Direkomendasikan", agency="LSPRO"
        ),
        Transition(
            "grant",
            ("DECISION",),
            "CERTIFIED",
            PLUT,
            "SPPT SNI diterbitkan",
            agency="LSPRO",
            fields=registered,
            notify=everyone,
        ),
        Transition(
            "refuse",
            ("DECISION",),
            "REFUSED",
            PLUT,
            "Sertifikasi ditolak",
            agency="LSPRO",
            notify=everyone,
        ),
        Transition(
            "surveillance_due",
            ("CERTIFIED",),
            "SURVEILLANCE",
            PLUT,
            "Survailen dimulai",
            agency="LSPRO",
        ),
        Transition(
            "maintained",
            ("SURVEILLANCE",),
            "CERTIFIED",
            PLUT,
            "Sertifikat dipertahankan",
            agency="LSPRO",
        ),
        Transition(
            "suspend",
            ("SURVEILLANCE",),
            "SUSPENDED",
            PLUT,
            "Sertifikat dibekukan",
            agency="LSPRO",
            notify=everyone,
        ),
        Transition(
            "reinstated", ("SUSPENDED",), "CERTIFIED", PLUT, "Pembekuan dicabut", agency="LSPRO"
        ),
        Transition(
            "revoke",
            ("SURVEILLANCE", "SUSPENDED"),
            "REVOKED",
            PLUT,
            "Sertifikat dicabut",
            agency="LSPRO",
            notify=everyone,
        ),
        *(
            _recertification()
            if version >= 2
            else [
                Transition(
                    "expired",
                    ("CERTIFIED",),
                    "EXPIRED",
                    PLUT,
                    "Masa berlaku habis",
                    guards=(GracePeriodOver(with_grace=False),),
                    notify=everyone,
                )
            ]
        ),
        cancel(("INTAKE", "PREPARATION", "RETURNED_TO_PU", "AGREEMENT_PAYMENT")),
    ]


def _definition(version: int) -> ProcessDefinition:
    states = _states()
    if version >= 2:
        states.insert(-1, RECERTIFICATION_OPENED)  # before CANCELLED, as in every process
    return ProcessDefinition(
        key="sni",
        version=version,
        title="Sertifikasi Produk SNI (SPPT SNI)",
        title_en="SNI product certification",
        regulation="UU 20/2014; Peraturan BSN 6/2024, 1/2025; product regulation (Permenperin)",
        initial="INTAKE",
        states=by_name(states, _PACKETS),
        transitions=tuple(_transitions(version)),
        certificate_number=SPPT_NUMBER,
        certificate_expiry=sppt_expiry,
        description=__doc__ or "",
        details=(
            "sni_number",
            "sni_title",
            "lspro",
            "product_type",
            "brand",
            "nonconformities",
            "corrective_actions",
            "application_number",
            "lspro_number",
            "factory_address",
        ),
    )


SNI_V1 = _definition(1)
"""The first version: an expired certificate only ends (applications opened under it keep it)."""
SNI = _definition(2)
"""The current version, with recertification."""
