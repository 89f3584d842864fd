"""Halal certification, regular path (skema reguler, with an LPH audit).

Regulation: UU 33/2014 on Jaminan Produk Halal as amended by UU 6/2023 (Cipta Kerja) Pasal 29-33;
PP 42/2024 (replaces PP 39/2021). BPJPH runs the process in SIHALAL; an LPH audits on site; the
Komisi Fatwa MUI decides, and the Komite Fatwa Produk Halal takes over when MUI's 3 working days
pass (Pasal 33(5)-(6)).

States at a glance::

    INTAKE -> DOC_PREPARATION -> SUBMITTED -> DOC_VERIFICATION -> LPH_ASSIGNED
      -> FEE_SET_INVOICED -> PAYMENT_UPLOADED -> STTD_ISSUED -> LPH_AUDIT (lab test, extension)
      -> FATWA_SESSION (-> KOMITE_FATWA_TAKEOVER) -> HALAL_DETERMINED -> HALAL_ACTIVE
    returned: DOC_VERIFICATION -> RETURNED_TO_PU -> SUBMITTED
    ends: NOT_HALAL, CANCELLED, REVOKED, RENEWAL_OPENED
"""

from __future__ import annotations

from workflow.guards import DeadlinePassed
from workflow.model import (
    ClockRule,
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
from workflow.processes.common import (
    ANYONE,
    CANCELLED,
    HALAL_DETAILS,
    ISSUED_ON,
    PLUT,
    by_name,
    cancel,
    closed,
    intake_states,
    intake_transitions,
)

__all__ = ["HALAL_CERTIFICATE_NUMBER", "HALAL_REGULAR", "halal_lifecycle"]

HK = Unit.WORKING_DAYS

HALAL_CERTIFICATE_NUMBER = Field(
    "certificate_number",
    "Nomor Sertifikat Halal",
    pattern=r"^ID\d{10,20}$",
    example="ID31110000123450624",
)

_SUBMIT_EVIDENCE = (
    "nib",
    "product_list",
    "materials_list",
    "process_flow",
    "sjph_manual",
    "penyelia_halal",
)


HALAL_DETERMINED = State(
    "HALAL_DETERMINED",
    "Ketetapan Halal",
    "Determined halal",
    Court.AGENCY,
    deadline=Deadline(1, HK, "unconfirmed", "amended Pasal 35 not retrieved"),
    hint="Produk Anda ditetapkan halal. Menunggu BPJPH menerbitkan sertifikat halal.",
    hint_en="Your products have been declared halal. Waiting for BPJPH to issue the halal "
    "certificate.",
)
"""Both halal paths end here: the fatwa (or Komite Fatwa) has ruled the products halal."""
SH_ISSUED = Transition(
    "sh_issued",
    ("HALAL_DETERMINED",),
    "HALAL_ACTIVE",
    PLUT,
    "Sertifikat halal terbit",
    agency="BPJPH",
    fields=(HALAL_CERTIFICATE_NUMBER, ISSUED_ON),
    notify=frozenset(Role),
)
"""BPJPH issues the certificate: the way into ``halal_lifecycle`` on both paths."""


def halal_lifecycle(key: str) -> tuple[list[State], list[Transition]]:
    """After the certificate (UU 6/2023 Pasal 42): valid while materials and process are unchanged.

    Shared by both halal paths. ``renewal_application`` closes this application and opens a new one
    on the same path.
    """
    states = [
        State(
            "HALAL_ACTIVE",
            "Terbit SH",
            "Halal certificate active",
            Court.UMKM,
            phase=Phase.CERTIFIED,
            hint="Sertifikat halal Anda sudah terbit. Laporkan setiap perubahan bahan atau "
            "proses produksi kepada konsultan PLUT.",
            hint_en="Your halal certificate has been issued. Tell your PLUT consultant about "
            "any change to your materials or production process.",
        ),
        State(
            "CHANGE_REPORTED",
            "Perubahan bahan/proses dilaporkan",
            "Change reported",
            Court.CONSULTANT,
            phase=Phase.CERTIFIED,
            deadline=Deadline(10, HK, "agreed", "PLUT service target"),
            hint="Sertifikat perlu diperbarui karena ada perubahan bahan atau proses.",
            hint_en="Your certificate needs to be updated because your materials or process "
            "changed.",
        ),
        State(
            "SURVEILLANCE",
            "Pemeriksaan konsistensi (surveilans)",
            "Surveillance",
            Court.AGENCY,
            phase=Phase.CERTIFIED,
            hint="BPJPH/LPH sedang memeriksa konsistensi kehalalan produk Anda.",
            hint_en="BPJPH/LPH is checking that your products are still consistently halal.",
        ),
        closed(
            "REVOKED",
            "Sertifikat dicabut",
            "Certificate revoked",
            hint="Sertifikat halal dicabut oleh BPJPH. Hubungi konsultan PLUT untuk langkah "
            "selanjutnya.",
            hint_en="BPJPH has revoked your halal certificate. Contact your PLUT consultant "
            "about the next steps.",
        ),
        closed(
            "RENEWAL_OPENED",
            "Diperbarui lewat permohonan baru",
            "Renewed by a new application",
            hint="Permohonan baru untuk memperbarui sertifikat sudah dibuka. Ikuti langkah "
            "di permohonan baru itu.",
            hint_en="A new application to update your certificate has been opened. Follow "
            "the steps of that new application.",
        ),
    ]
    transitions = [
        Transition(
            "composition_or_process_changed",
            ("HALAL_ACTIVE",),
            "CHANGE_REPORTED",
            ANYONE,
            "Laporkan perubahan bahan/proses",
        ),
        Transition(
            "renewal_application",
            ("CHANGE_REPORTED",),
            "RENEWAL_OPENED",
            PLUT,
            "Buka permohonan pembaruan",
            opens=key,
        ),
        # PP 42/2024 reportedly: a consistency check every 4 years (unconfirmed against the text).
        Transition(
            "surveillance_started",
            ("HALAL_ACTIVE",),
            "SURVEILLANCE",
            PLUT,
            "Surveilans dimulai",
            agency="BPJPH",
        ),
        Transition(
            "surveillance_passed",
            ("SURVEILLANCE",),
            "HALAL_ACTIVE",
            PLUT,
            "Surveilans selesai, sesuai",
            agency="BPJPH",
        ),
        Transition(
            "revoked",
            ("HALAL_ACTIVE", "SURVEILLANCE", "CHANGE_REPORTED"),
            "REVOKED",
            PLUT,
            "Sertifikat dicabut",
            agency="BPJPH",
            notify=frozenset(Role),
        ),
    ]
    return states, transitions


_PACKETS = {
    "DOC_PREPARATION": (
        "guide/halal",
        "halal/product_list",
        "halal/materials_list",
        "halal/process_flow",
        "halal/sjph_manual",
    ),
    "SUBMITTED": (
        "halal/application_letter",
        "halal/product_list",
        "halal/materials_list",
        "halal/process_flow",
        "halal/sjph_manual",
    ),
    "RETURNED_TO_PU": ("halal/application_letter", "halal/product_list", "halal/materials_list"),
}
"""What each stage's packet holds besides the covering letter and the checklist."""


def _states() -> list[State]:
    return [
        *intake_states(
            prep_hint="Siapkan NIB, daftar produk dan bahan, alur proses produksi, "
            "Manual SJPH dan dokumen Penyelia Halal.",
            prep_hint_en="Prepare your NIB, the list of products and materials, the "
            "production process flow, the SJPH (halal assurance system) manual and your "
            "halal supervisor's (Penyelia Halal) documents.",
        ),
        State(
            "SUBMITTED",
            "Submitted PU",
            "Submitted to BPJPH",
            Court.AGENCY,
            # Pasal 29(3) gives BPJPH 1 HK for the check; when the check starts is not set.
            deadline=Deadline(1, HK, "unconfirmed", "BPJPH takes up the file; Pasal 29(3) pace"),
            hint="Permohonan sudah dikirim ke BPJPH melalui SIHALAL.",
            hint_en="Your application has been sent to BPJPH through SIHALAL.",
        ),
        State(
            "DOC_VERIFICATION",
            "Verifikasi kelengkapan dan kesesuaian dokumen",
            "Document verification",
            Court.AGENCY,
            deadline=Deadline(1, HK, "law", "UU 6/2023 Pasal 29(3)"),
            hint="Menunggu BPJPH memeriksa kelengkapan dan kesesuaian dokumen Anda.",
            hint_en="Waiting for BPJPH to check that your documents are complete and correct.",
        ),
        State(
            "RETURNED_TO_PU",
            "Dikembalikan",
            "Returned to the applicant",
            Court.UMKM,
            deadline=Deadline(5, HK, "unconfirmed", "pre-2023 BPJPH flow (historical)"),
            hint="BPJPH mengembalikan dokumen. Perbaiki sesuai catatan lalu kirim ulang.",
            hint_en="BPJPH has returned your documents. Fix them as noted, then send them again.",
        ),
        State(
            "LPH_ASSIGNED",
            "Penetapan LPH",
            "LPH assigned",
            Court.AGENCY,
            deadline=Deadline(1, HK, "law", "UU 6/2023 Pasal 30(2)"),
            hint="LPH sudah ditetapkan. Menunggu LPH menghitung biaya pemeriksaan.",
            hint_en="A halal inspection body (LPH) has been assigned. Waiting for it to "
            "calculate the inspection fee.",
        ),
        State(
            "FEE_SET_INVOICED",
            "Biaya pemeriksaan ditetapkan, tagihan terbit",
            "Fee set and invoiced",
            Court.UMKM,
            deadline=Deadline(5, HK, "unconfirmed", "no figure found; office setting"),
            hint="Bayar tagihan BPJPH dan unggah bukti bayar (PDF).",
            hint_en="Pay the BPJPH invoice and upload the proof of payment (PDF).",
        ),
        State(
            "PAYMENT_UPLOADED",
            "Bukti bayar diunggah",
            "Payment proof uploaded",
            Court.AGENCY,
            deadline=Deadline(2, HK, "unconfirmed", "no figure found; office setting"),
            hint="Menunggu BPJPH memverifikasi pembayaran Anda.",
            hint_en="Waiting for BPJPH to verify your payment.",
        ),
        State(
            "STTD_ISSUED",
            "STTD terbit",
            "Document receipt (STTD) issued",
            Court.AGENCY,
            deadline=Deadline(2, HK, "unconfirmed", "no figure found; office setting"),
            hint="Tanda terima dokumen (STTD) sudah terbit. Menunggu LPH memulai pemeriksaan.",
            hint_en="The document receipt (STTD) has been issued. Waiting for the LPH to "
            "start the audit.",
        ),
        State(
            "LPH_AUDIT",
            "Pemeriksaan oleh LPH",
            "LPH audit",
            Court.AGENCY,
            deadline=Deadline(15, HK, "law", "UU 6/2023 Pasal 31(1)"),
            hint="Auditor halal akan memeriksa lokasi produksi saat produksi berjalan. "
            "Pastikan Penyelia Halal mendampingi.",
            hint_en="A halal auditor will inspect your production site while production is "
            "running. Make sure your halal supervisor (Penyelia Halal) is there.",
        ),
        State(
            "LAB_TESTING",
            "Pengujian laboratorium",
            "Laboratory testing",
            Court.AGENCY,
            hint="Sebagian bahan diuji di laboratorium; biaya pengujian ditanggung pelaku usaha.",
            hint_en="Some materials are being tested in a laboratory; you pay for the tests.",
        ),
        State(
            "AUDIT_EXTENDED",
            "Permohonan perpanjangan waktu pemeriksaan",
            "Audit extension requested",
            Court.AGENCY,
            hint="Menunggu BPJPH menyetujui tambahan waktu pemeriksaan yang diminta LPH.",
            hint_en="Waiting for BPJPH to approve the extra audit time the LPH asked for.",
        ),
        State(
            "FATWA_SESSION",
            "Sidang Fatwa Halal",
            "MUI fatwa session",
            Court.AGENCY,
            deadline=Deadline(3, HK, "law", "UU 6/2023 Pasal 33(3)"),
            hint="Menunggu sidang fatwa MUI menetapkan kehalalan produk Anda.",
            hint_en="Waiting for the MUI fatwa session to decide whether your products are halal.",
        ),
        State(
            "KOMITE_FATWA_TAKEOVER",
            "Penetapan oleh Komite Fatwa Produk Halal",
            "Komite Fatwa takeover",
            Court.AGENCY,
            deadline=Deadline(2, HK, "law", "UU 6/2023 Pasal 33(6)"),
            hint="Batas waktu MUI sudah lewat. Menunggu Komite Fatwa Produk Halal menetapkan "
            "kehalalan produk Anda.",
            hint_en="MUI's time limit has passed. Waiting for the Halal Product Fatwa "
            "Committee (Komite Fatwa) to decide whether your products are halal.",
        ),
        HALAL_DETERMINED,
        closed(
            "NOT_HALAL",
            "Produk tidak halal",
            "Not halal",
            hint="Produk ditetapkan tidak halal. Diperlukan permohonan baru.",
            hint_en="Your products have been declared not halal. A new application is needed.",
        ),
        CANCELLED,
    ]


def _transitions() -> list[Transition]:
    return [
        *intake_transitions(),
        Transition(
            "submit",
            ("DOC_PREPARATION",),
            "SUBMITTED",
            PLUT,
            "Kirim ke SIHALAL",
            requires=_SUBMIT_EVIDENCE,
        ),
        Transition(
            "start_doc_verification",
            ("SUBMITTED",),
            "DOC_VERIFICATION",
            PLUT,
            "Verifikasi dokumen dimulai",
            agency="BPJPH",
        ),
        Transition(
            "return_incomplete",
            ("DOC_VERIFICATION",),
            "RETURNED_TO_PU",
            PLUT,
            "Dokumen dikembalikan",
            agency="BPJPH",
        ),
        Transition(
            "resubmit",
            ("RETURNED_TO_PU",),
            "SUBMITTED",
            PLUT,
            "Kirim ulang",
            requires=_SUBMIT_EVIDENCE,
        ),
        Transition(
            "docs_complete",
            ("DOC_VERIFICATION",),
            "LPH_ASSIGNED",
            PLUT,
            "Dokumen lengkap, LPH ditetapkan",
            agency="BPJPH",
        ),
        Transition(
            "lph_fee_entered",
            ("LPH_ASSIGNED",),
            "FEE_SET_INVOICED",
            PLUT,
            "Biaya pemeriksaan ditetapkan",
            agency="LPH",
        ),
        Transition(
            "payment_proof_uploaded",
            ("FEE_SET_INVOICED",),
            "PAYMENT_UPLOADED",
            ANYONE,
            "Unggah bukti bayar",
            requires=("payment_proof",),
        ),
        Transition(
            "payment_verified",
            ("PAYMENT_UPLOADED",),
            "STTD_ISSUED",
            PLUT,
            "Pembayaran terverifikasi, STTD terbit",
            agency="BPJPH",
        ),
        # Unconfirmed loop (DOMAIN.md R6): a rejected payment sends the invoice back.
        Transition(
            "payment_rejected",
            ("PAYMENT_UPLOADED",),
            "FEE_SET_INVOICED",
            PLUT,
            "Pembayaran ditolak",
            agency="BPJPH",
        ),
        Transition(
            "audit_started",
            ("STTD_ISSUED",),
            "LPH_AUDIT",
            PLUT,
            "Pemeriksaan LPH dimulai",
            agency="LPH",
        ),
        Transition(
            "lab_test_required",
            ("LPH_AUDIT",),
            "LAB_TESTING",
            PLUT,
            "Perlu uji laboratorium",
            agency="LPH",
            clock=ClockRule.KEEP,
        ),
        Transition(
            "lab_result_in",
            ("LAB_TESTING",),
            "LPH_AUDIT",
            PLUT,
            "Hasil laboratorium keluar",
            agency="LPH",
            clock=ClockRule.KEEP,
        ),
        Transition(
            "extension_requested",
            ("LPH_AUDIT",),
            "AUDIT_EXTENDED",
            PLUT,
            "LPH meminta perpanjangan",
            agency="LPH",
            clock=ClockRule.KEEP,
        ),
        # PP 39/2021 Pasal 72: +10 HK domestic; the PP 42/2024 figure is unconfirmed.
        Transition(
            "extension_granted",
            ("AUDIT_EXTENDED",),
            "LPH_AUDIT",
            PLUT,
            "Perpanjangan disetujui",
            agency="BPJPH",
            clock=ClockRule.EXTEND,
            extend_by=Deadline(10, HK, "unconfirmed", "PP 39/2021 Pasal 72"),
        ),
        Transition(
            "audit_report_uploaded",
            ("LPH_AUDIT",),
            "FATWA_SESSION",
            PLUT,
            "Laporan hasil pemeriksaan diunggah",
            agency="LPH",
        ),
        Transition(
            "ketetapan_halal",
            ("FATWA_SESSION",),
            "HALAL_DETERMINED",
            PLUT,
            "Ketetapan halal",
            agency="MUI",
        ),
        Transition(
            "ketetapan_halal",
            ("KOMITE_FATWA_TAKEOVER",),
            "HALAL_DETERMINED",
            PLUT,
            "Ketetapan halal",
            agency="KOMITE_FATWA",
        ),
        Transition(
            "ketetapan_tidak_halal",
            ("FATWA_SESSION",),
            "NOT_HALAL",
            PLUT,
            "Ketetapan tidak halal",
            agency="MUI",
            notify=frozenset(Role),
        ),
        Transition(
            "ketetapan_tidak_halal",
            ("KOMITE_FATWA_TAKEOVER",),
            "NOT_HALAL",
            PLUT,
            "Ketetapan tidak halal",
            agency="KOMITE_FATWA",
            notify=frozenset(Role),
        ),
        Transition(
            "mui_deadline_missed",
            ("FATWA_SESSION",),
            "KOMITE_FATWA_TAKEOVER",
            PLUT,
            "Batas waktu MUI lewat, Komite Fatwa mengambil alih",
            agency="KOMITE_FATWA",
            guards=(DeadlinePassed("the MUI fatwa session still has time"),),
            notify=frozenset(Role),
        ),
        SH_ISSUED,
        cancel(("INTAKE", "DOC_PREPARATION", "RETURNED_TO_PU", "FEE_SET_INVOICED")),
    ]


def _definition() -> ProcessDefinition:
    life_states, life_transitions = halal_lifecycle("halal_regular")
    return ProcessDefinition(
        key="halal_regular",
        version=1,
        title="Sertifikasi Halal Reguler",
        title_en="Halal certification, regular path",
        regulation="UU 33/2014 jo. UU 6/2023 Pasal 29-33; PP 42/2024",
        initial="INTAKE",
        states=by_name([*_states(), *life_states], _PACKETS),
        transitions=tuple([*_transitions(), *life_transitions]),
        certificate_number=HALAL_CERTIFICATE_NUMBER,
        certificate_expiry=None,  # Pasal 42: valid while materials and process are unchanged
        description=__doc__ or "",
        details=HALAL_DETAILS,
    )


HALAL_REGULAR = _definition()
