"""Guards: pure predicates that say, in words, why a transition may not happen yet.

Each guard reads a ``GuardContext`` (a frozen snapshot the engine loads: the UMKM's profile and
dossier, its other applications, today's date, the policy) and returns the reason for refusal or
None. Guards never touch the database; ``needs`` tells the engine what to load for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from dateutil.relativedelta import relativedelta

from workflow.business_type import food_service_problem
from workflow.evidence import EVIDENCE_KINDS, MARK_DETAILS, EvidenceItem, Scope, expired
from workflow.policy import Policy

__all__ = [
    "DeadlinePassed",
    "EvidenceItem",
    "GracePeriodOver",
    "Guard",
    "GuardContext",
    "RelatedApplication",
    "RelatedMilestone",
    "RenewalWindowOpen",
    "SelfDeclareEligible",
    "SelfDeclareNotEligible",
    "UmkmProfile",
    "missing_evidence",
    "self_declare_problems",
]


@dataclass(frozen=True, slots=True)
class UmkmProfile:
    """What the guards know of a UMKM."""

    id: int
    nib: str
    name: str
    scale: str  # mikro | kecil | menengah
    annual_turnover: int | None
    production_sites: int | None
    simple_process: bool | None
    business_type: str | None = None  # in words: "produsen keripik", "rumah makan" ...
    kbli: str | None = None  # KBLI 2020, 5 digits


@dataclass(frozen=True, slots=True)
class RelatedApplication:
    """Another application of the same UMKM."""

    id: int
    process_key: str
    state: str
    tags: frozenset[str]
    filed_on: date | None


@dataclass(frozen=True)
class GuardContext:
    """Everything a guard may look at, loaded by the engine before firing a trigger."""

    today: date
    process_key: str
    state: str
    deadline: date | None
    policy: Policy
    flags: frozenset[str] = frozenset()
    umkm: UmkmProfile | None = None
    evidence: Mapping[str, EvidenceItem] = field(default_factory=dict)
    """The dossier documents that count for this application (in their kinds' scopes), by kind."""
    related: tuple[RelatedApplication, ...] = ()
    certificate_expires_on: date | None = None
    application_id: int | None = None
    mark: str | None = None
    """The mark the application is about (``evidence.application_mark``), if it names one."""
    elsewhere: Mapping[str, tuple[EvidenceItem, ...]] = field(default_factory=dict)
    """The business's documents of the same kinds that belong to other applications or marks."""
    fields: Mapping[str, Any] = field(default_factory=dict)
    """The values given with the trigger being fired (parsed), e.g. its ``filed_on``."""


class Guard(Protocol):
    """A pure predicate over a ``GuardContext``; ``needs`` names what the engine must load."""

    @property
    def needs(self) -> frozenset[str]: ...

    def __call__(self, ctx: GuardContext) -> str | None: ...

    def describe(self, policy: Policy) -> str:
        """What the guard checks, in one sentence with the office's figures (``process show``)."""
        ...


def missing_evidence(ctx: GuardContext, kinds: tuple[str, ...]) -> list[str]:
    """One sentence per required dossier document that is missing or expired in its scope; one
    on file for another application or mark is named, with whose it is."""
    problems = []
    for kind in kinds:
        item = ctx.evidence.get(kind)
        name = EVIDENCE_KINDS[kind].name
        if item is None:
            problems.append(f"missing {kind} ({name}){_scope_note(ctx, kind)}")
        elif expired(item.valid_until, ctx.today):
            problems.append(f"expired {kind} ({name}), valid until {item.valid_until}")
        else:
            problems.extend(_signed_out_of_year(ctx, item, name))
    return problems


def _signed_out_of_year(ctx: GuardContext, item: EvidenceItem, name: str) -> list[str]:
    """Why a letter that must be signed in the year of the step it is for does not count: it
    has no signing date on file, or was signed in another year than the step's date field (or
    today, when the step gives none)."""
    field_name = EVIDENCE_KINDS[item.kind].signed_in_year_of
    if field_name is None:
        return []
    when = ctx.fields.get(field_name)
    year = when.year if isinstance(when, date) else ctx.today.year
    if item.signed_on is None:
        return [
            f"{item.kind} ({name}) {item.reference} has no signing date on file, and it must be "
            f"signed in {year}: add it again with its date (--signed-on YYYY-MM-DD)"
        ]
    if item.signed_on.year != year:
        return [
            f"{item.kind} ({name}) {item.reference} was signed on {item.signed_on.isoformat()}, "
            f"not in {year}, the year of this step's {field_name}: the agency wants one "
            f"signed in {year}; get a new letter signed then"
        ]
    return []


def _scope_note(ctx: GuardContext, kind: str) -> str:
    """Why no document of ``kind`` counts for this application although the dossier may hold
    one: whose the others are, or that the application names no mark yet."""
    scope = EVIDENCE_KINDS[kind].scope
    if scope is Scope.UMKM:
        return ""
    this = "this application" if ctx.application_id is None else f"#{ctx.application_id}"
    notes = []
    if scope is Scope.MARK and ctx.mark is None:
        detail = MARK_DETAILS.get(ctx.process_key)
        notes.append(
            f"it belongs to a mark and {this} names none"
            + (f" (set its {detail} detail)" if detail else "")
        )
    others = ctx.elsewhere.get(kind, ())
    if others:
        notes.append(
            "; ".join(
                f"{EVIDENCE_KINDS[kind].name.lower()} {o.reference} is for {o.belongs_to()}"
                for o in others[:3]
            )
            + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        )
    what = "application" if scope is Scope.APPLICATION else "mark"
    if not notes:
        return f" for this {what}"
    return f" for this {what}: " + "; ".join(notes)


def _rupiah(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


def self_declare_problems(umkm: UmkmProfile, policy: Policy) -> list[str]:
    """Why ``umkm`` may not take the self-declare path (Kepkaban 150/2022 criteria)."""
    problems = []
    food_service = food_service_problem(umkm.business_type, umkm.kbli, umkm.name)
    if food_service is not None:
        problems.append(food_service)
    if umkm.scale not in ("mikro", "kecil"):
        problems.append(f"scale is {umkm.scale}; self-declare is for micro and small businesses")
    if umkm.annual_turnover is None:
        problems.append("annual turnover is not recorded")
    elif umkm.annual_turnover > policy.self_declare_max_turnover:
        problems.append(
            f"annual turnover {_rupiah(umkm.annual_turnover)} is above "
            f"{_rupiah(policy.self_declare_max_turnover)}"
        )
    if umkm.production_sites is None:
        problems.append("number of production sites is not recorded")
    elif umkm.production_sites > policy.self_declare_max_sites:
        problems.append(
            f"{umkm.production_sites} production sites; at most "
            f"{policy.self_declare_max_sites} allowed"
        )
    if umkm.simple_process is None:
        problems.append("whether the production process is simple is not recorded")
    elif not umkm.simple_process:
        problems.append("the production process is not simple (manual or semi-automatic)")
    return problems


def _criteria(policy: Policy) -> str:
    """The self-declare criteria in words, with the office's ceilings."""
    sites = policy.self_declare_max_sites
    return (
        "goods, not food service (restaurants, canteens, catering, food stalls; KBLI 56xxx); "
        f"micro or small scale; annual turnover at most "
        f"{_rupiah(policy.self_declare_max_turnover)}; at most {sites} production "
        f"site{'' if sites == 1 else 's'}; a simple (manual or semi-automatic) process "
        "(Kepkaban 150/2022)"
    )


@dataclass(frozen=True)
class SelfDeclareEligible:
    """The UMKM meets the self-declare criteria; otherwise points to the regular path."""

    redirect_trigger: str
    needs: frozenset[str] = frozenset({"umkm"})

    def describe(self, policy: Policy) -> str:
        """The self-declare criteria with the office's ceilings."""
        return (
            f"the UMKM meets the self-declare criteria: {_criteria(policy)}; otherwise refused, "
            f"pointing to '{self.redirect_trigger}' (the regular path)"
        )

    def __call__(self, ctx: GuardContext) -> str | None:
        assert ctx.umkm is not None
        problems = self_declare_problems(ctx.umkm, ctx.policy)
        if not problems:
            return None
        return (
            "not eligible for self-declare: "
            + "; ".join(problems)
            + f". Correct the UMKM's registry row and import it again, or use "
            f"'{self.redirect_trigger}' to move to the regular path"
        )


@dataclass(frozen=True)
class SelfDeclareNotEligible:
    """Redirecting to the regular path only makes sense for an ineligible UMKM."""

    needs: frozenset[str] = frozenset({"umkm"})

    def describe(self, policy: Policy) -> str:
        """The redirect's condition: the criteria are not all met."""
        return f"the UMKM fails at least one self-declare criterion ({_criteria(policy)})"

    def __call__(self, ctx: GuardContext) -> str | None:
        assert ctx.umkm is not None
        if self_declare_problems(ctx.umkm, ctx.policy):
            return None
        return "the UMKM meets every self-declare criterion; there is nothing to redirect"


@dataclass(frozen=True)
class DeadlinePassed:
    """The state's deadline has passed (the Komite Fatwa takes over, a window lapses ...)."""

    what: str
    needs: frozenset[str] = frozenset()

    def describe(self, policy: Policy) -> str:
        """The state's deadline must be behind us."""
        return (
            "the deadline of the state it leaves has passed (today is after it); before that "
            f"it is refused because {self.what}"
        )

    def __call__(self, ctx: GuardContext) -> str | None:
        if ctx.deadline is None:
            return f"{self.what}: this state has no deadline"
        if ctx.today <= ctx.deadline:
            return f"{self.what}: the deadline {ctx.deadline.isoformat()} has not passed yet"
        return None


@dataclass(frozen=True)
class RelatedMilestone:
    """Another process of the same UMKM has reached a milestone, or a substitute is on file.

    SNI: the LSPro wants a trademark certificate, or a filing receipt at most six months old, or
    a licence from the mark's owner.
    """

    process_key: str
    reached_tag: str  # e.g. "filed"
    complete_tag: str  # e.g. "registered": no age limit applies
    substitute_evidence: str
    needs: frozenset[str] = frozenset({"related", "evidence"})

    def describe(self, policy: Policy) -> str:
        """The other process's milestone, its age limit, and the substitute document."""
        return (
            f"the UMKM has a {self.process_key} application that is {self.complete_tag}, or "
            f"{self.reached_tag} at most {policy.trademark_receipt_max_age_months} months ago, "
            f"or a valid {self.substitute_evidence} document in its dossier"
        )

    def __call__(self, ctx: GuardContext) -> str | None:
        if not missing_evidence(ctx, (self.substitute_evidence,)):
            return None
        related = [a for a in ctx.related if a.process_key == self.process_key]
        if any(self.complete_tag in a.tags for a in related):
            return None
        max_age = ctx.policy.trademark_receipt_max_age_months
        oldest = ctx.today - relativedelta(months=max_age)
        filed = [a for a in related if self.reached_tag in a.tags]
        if any(a.filed_on is not None and a.filed_on >= oldest for a in filed):
            return None
        if filed:
            return (
                f"the {self.process_key} filing receipt of application "
                f"#{filed[0].id} is older than {max_age} months and the mark is not registered "
                f"yet; add a {self.substitute_evidence} document to the dossier or wait for "
                "the registration"
            )
        return (
            f"no {self.process_key} application of this UMKM is {self.reached_tag} yet; file "
            f"the {self.process_key} first or add a {self.substitute_evidence} document to the "
            "dossier"
        )


@dataclass(frozen=True)
class RenewalWindowOpen:
    """The certificate expires within the renewal window (or expired less than it ago)."""

    needs: frozenset[str] = frozenset()

    def describe(self, policy: Policy) -> str:
        """The renewal window around the expiry date (UU 20/2016 Pasal 35(2)-(4))."""
        months = policy.trademark_renewal_window_months
        return (
            f"today lies in the renewal window: from {months} months before the certificate's "
            f"expiry to {months} months after it"
        )

    def __call__(self, ctx: GuardContext) -> str | None:
        if ctx.certificate_expires_on is None:
            return "the certificate has no expiry date recorded"
        months = ctx.policy.trademark_renewal_window_months
        opens = ctx.certificate_expires_on - relativedelta(months=months)
        closes = ctx.certificate_expires_on + relativedelta(months=months)
        if ctx.today < opens:
            return f"renewal opens on {opens.isoformat()}, {months} months before expiry"
        if ctx.today > closes:
            return (
                f"the renewal grace period ended on {closes.isoformat()}, {months} months "
                "after expiry; the mark can only be filed again"
            )
        return None


@dataclass(frozen=True)
class GracePeriodOver:
    """The certificate has expired, past the renewal grace period if it has one (Pasal 35(4))."""

    with_grace: bool = True
    needs: frozenset[str] = frozenset()

    def describe(self, policy: Policy) -> str:
        """The expiry date, and the grace period after it when there is one."""
        if not self.with_grace:
            return "the certificate's expiry date has passed"
        months = policy.trademark_renewal_window_months
        return (
            f"the certificate's expiry date and the {months}-month renewal grace period after "
            "it have passed"
        )

    def __call__(self, ctx: GuardContext) -> str | None:
        if ctx.certificate_expires_on is None:
            return "the certificate has no expiry date recorded"
        months = ctx.policy.trademark_renewal_window_months if self.with_grace else 0
        ends = ctx.certificate_expires_on + relativedelta(months=months)
        if ctx.today <= ends:
            return f"the certificate is valid, or renewable, until {ends.isoformat()}"
        return None
