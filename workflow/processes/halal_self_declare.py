"""Halal certification, self-declare path (pernyataan pelaku usaha; the free SEHATI quota).

Regulation: UU 33/2014 jo. UU 6/2023 Pasal 4A and 33A; Kepkaban 150/2022 (eligibility). A
Pendamping PPH (P3H) verifies and validates the UMKM's statement on site within 10 working days of
submission (Pasal 33A(3)); the LP3H and BPJPH check it and issue the STTD; the Komite Fatwa Produk
Halal decides within 1 working day (Pasal 33A(2)). BPJPH states the whole path as 12 working days
from submission to the certificate: the application's own target, shown beside the stage's
deadline. Only micro and small businesses with a simple process at one site and turnover under
the ceiling may use it; others are redirected to the regular path, which opens a linked regular
application.

States at a glance::

    INTAKE -> DOC_PREPARATION -> SUBMITTED -> PPH_VERVAL -> LP3H_BPJPH_VERIFICATION
      -> AT_KOMITE_FATWA -> HALAL_DETERMINED -> HALAL_ACTIVE
    returned: PPH_VERVAL / LP3H_BPJPH_VERIFICATION / AT_KOMITE_FATWA -> RETURNED_TO_PU -> SUBMITTED
    ends: NOT_HALAL, REDIRECTED_TO_REGULAR, CANCELLED, REVOKED, RENEWAL_OPENED
"""

from __future__ import annotations

from workflow.guards import SelfDeclareEligible, SelfDeclareNotEligible
from workflow.model import (
    ClockRule,
    Court,
    Deadline,
    ProcessDefinition,
    Role,
    State,
    Transition,
    Unit,
)
from workflow.processes.common import (
    CANCELLED,
    HALAL_DETAILS,
    PLUT,
    by_name,
    cancel,
    closed,
    intake_states,
    intake_transitions,
)
from workflow.processes.halal_regular import (
    HALAL_CERTIFICATE_NUMBER,
    HALAL_DETERMINED,
    SH_ISSUED,
    halal_lifecycle,
)

__all__ = ["HALAL_SELF_DECLARE"]

HK = Unit.WORKING_DAYS
_REDIRECT = "redirect_to_regular"
_SUBMIT_EVIDENCE = (
    "nib",
    "product_list",
    "materials_list",
    "process_flow",
    "halal_pledge",
    "penyelia_halal",
)


_PACKETS = {
    "DOC_PREPARATION": (
        "guide/halal",
        "halal/ikrar",
        "halal/product_list",
        "halal/materials_list",
        "halal/process_flow",
    ),
    "SUBMITTED": (
        "halal/application_letter",
        "halal/ikrar",
        "halal/product_list",
        "halal/materials_list",
        "halal/process_flow",
    ),
    "PPH_VERVAL": ("halal/verification_record",),
    "LP3H_BPJPH_VERIFICATION": ("halal/completion_letter",),
    "RETURNED_TO_PU": ("halal/ikrar", "halal/product_list", "halal/materials_list"),
}
"""What each stage's packet holds besides the covering letter and the checklist."""


def _states() -> list[State]:
    return [
        *intake_states(
            prep_hint="Bersama Pendamping PPH, siapkan NIB, daftar produk dan bahan, "
            "alur proses produksi, ikrar halal dan data Penyelia Halal.",
            prep_hint_en="With your halal process assistant (Pendamping PPH), prepare your "
            "NIB, the list of products and materials, the production process flow, the halal "
            "pledge (ikrar halal) and your halal supervisor's (Penyelia Halal) details.",
        ),
        State(
            "SUBMITTED",
            "Submitted PU",
            "Submitted",
            Court.AGENCY,
            # The clock runs on through PPH_VERVAL (pph_verval_started keeps it).
            deadline=Deadline(10, HK, "law", "UU 6/2023 Pasal 33A(3), from submission"),
            hint="Permohonan sudah terkirim. Pendamping PPH akan mengunjungi tempat usaha.",
            hint_en="Your application has been sent. Your halal process assistant "
            "(Pendamping PPH) will visit your business.",
        ),
        State(
            "PPH_VERVAL",
            "Verifikasi dan validasi oleh Pendamping PPH",
            "Verification by the halal process assistant",
            Court.AGENCY,
            hint="Pendamping PPH memeriksa bahan, produk dan proses di tempat usaha Anda.",
            hint_en="Your halal process assistant (Pendamping PPH) is checking the materials, "
            "products and process at your business.",
        ),
        State(
            "RETURNED_TO_PU",
            "Dikembalikan",
            "Returned to the applicant",
            Court.UMKM,
            deadline=Deadline(5, HK, "unconfirmed", "no figure found; office setting"),
            hint="Permohonan dikembalikan. Perbaiki sesuai catatan lalu kirim ulang.",
            hint_en="Your application has been returned. Fix it as noted, then send it again.",
        ),
        State(
            "LP3H_BPJPH_VERIFICATION",
            "Verifikasi LP3H dan BPJPH",
            "LP3H and BPJPH verification",
            Court.AGENCY,
            deadline=Deadline(2, HK, "unconfirmed", "split of the 10 HK not confirmed"),
            hint="Menunggu LP3H dan BPJPH memeriksa hasil pendampingan dan menerbitkan STTD.",
            hint_en="Waiting for the LP3H and BPJPH to check the assistant's report and issue "
            "the document receipt (STTD).",
        ),
        State(
            "AT_KOMITE_FATWA",
            "Dikirim ke Komite Fatwa",
            "At the Komite Fatwa",
            Court.AGENCY,
            deadline=Deadline(1, HK, "law", "UU 6/2023 Pasal 33A(2)"),
            hint="Menunggu Komite Fatwa Produk Halal menetapkan kehalalan produk Anda.",
            hint_en="Waiting for the Halal Product Fatwa Committee (Komite Fatwa) to decide "
            "whether your products are halal.",
        ),
        HALAL_DETERMINED,
        closed(
            "NOT_HALAL",
            "Produk tidak halal",
            "Not halal",
            hint="Anda akan menerima surat keterangan produk tidak halal melalui SIHALAL.",
            hint_en="You will receive a letter through SIHALAL stating that your product is "
            "not halal.",
        ),
        closed(
            "REDIRECTED_TO_REGULAR",
            "Dialihkan ke jalur reguler",
            "Redirected to regular path",
            hint="Usaha Anda tidak memenuhi syarat self-declare; permohonan dilanjutkan "
            "lewat jalur reguler.",
            hint_en="Your business does not qualify for self-declare; your application "
            "continues on the regular path.",
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
            guards=(SelfDeclareEligible(_REDIRECT),),
        ),
        Transition(
            _REDIRECT,
            ("DOC_PREPARATION",),
            "REDIRECTED_TO_REGULAR",
            PLUT,
            "Alihkan ke jalur reguler",
            guards=(SelfDeclareNotEligible(),),
            opens="halal_regular",
        ),
        Transition(
            "pph_verval_started",
            ("SUBMITTED",),
            "PPH_VERVAL",
            PLUT,
            "Verval Pendamping PPH dimulai",
            agency="P3H",
            clock=ClockRule.KEEP,  # Pasal 33A(3): 10 HK from the submission, not from here
        ),
        Transition(
            "return_to_pu",
            ("PPH_VERVAL",),
            "RETURNED_TO_PU",
            PLUT,
            "Dikembalikan oleh Pendamping PPH",
            agency="P3H",
        ),
        Transition(
            "return_to_pu",
            ("LP3H_BPJPH_VERIFICATION",),
            "RETURNED_TO_PU",
            PLUT,
            "Dikembalikan oleh LP3H/BPJPH",
            agency="LP3H",
        ),
        Transition(
            "return_to_pu",
            ("AT_KOMITE_FATWA",),
            "RETURNED_TO_PU",
            PLUT,
            "Dikembalikan oleh Komite Fatwa",
            agency="KOMITE_FATWA",
        ),
        Transition(
            "resubmit",
            ("RETURNED_TO_PU",),
            "SUBMITTED",
            PLUT,
            "Kirim ulang",
            requires=_SUBMIT_EVIDENCE,
            guards=(SelfDeclareEligible(_REDIRECT),),
        ),
        # DOMAIN.md SD_R: unconfirmed as an official transition, kept for the P3H's finding.
        Transition(
            _REDIRECT,
            ("PPH_VERVAL",),
            "REDIRECTED_TO_REGULAR",
            PLUT,
            "Tidak memenuhi syarat, alihkan ke reguler",
            agency="P3H",
            opens="halal_regular",
            notify=frozenset(Role),
        ),
        Transition(
            "verval_passed",
            ("PPH_VERVAL",),
            "LP3H_BPJPH_VERIFICATION",
            PLUT,
            "Verval selesai",
            agency="P3H",
        ),
        Transition(
            "sttd_issued_sent_to_komite",
            ("LP3H_BPJPH_VERIFICATION",),
            "AT_KOMITE_FATWA",
            PLUT,
            "STTD terbit, dikirim ke Komite Fatwa",
            agency="BPJPH",
        ),
        Transition(
            "ketetapan_halal",
            ("AT_KOMITE_FATWA",),
            "HALAL_DETERMINED",
            PLUT,
            "Ketetapan halal",
            agency="KOMITE_FATWA",
        ),
        Transition(
            "ketetapan_tidak_halal",
            ("AT_KOMITE_FATWA",),
            "NOT_HALAL",
            PLUT,
            "Ketetapan tidak halal",
            agency="KOMITE_FATWA",
            notify=frozenset(Role),
        ),
        SH_ISSUED,
        cancel(("INTAKE", "DOC_PREPARATION", "RETURNED_TO_PU")),
    ]


def _definition() -> ProcessDefinition:
    life_states, life_transitions = halal_lifecycle("halal_self_declare")
    return ProcessDefinition(
        key="halal_self_declare",
        version=1,
        title="Sertifikasi Halal Self Declare",
        title_en="Halal certification, self-declare path",
        regulation="UU 33/2014 jo. UU 6/2023 Pasal 4A, 33A; Kepkaban 150/2022",
        initial="INTAKE",
        states=by_name([*_states(), *life_states], _PACKETS),
        transitions=tuple([*_transitions(), *life_transitions]),
        certificate_number=HALAL_CERTIFICATE_NUMBER,
        certificate_expiry=None,
        description=__doc__ or "",
        details=HALAL_DETAILS,
        # DOMAIN.md: BPJPH states 12 HK from "Submitted PU" to the certificate [S5 O].
        path_deadline=Deadline(12, HK, "practice", "BPJPH: 12 HK from Submitted PU to SH"),
        path_from="SUBMITTED",
    )


HALAL_SELF_DECLARE = _definition()
