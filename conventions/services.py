"""Writes on conventions: keyword-only service functions, atomic, validated.

Views and forms only validate input and lay out; every write goes through here.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from . import lifecycle
from .imports import CollectivityRow, RowError
from .models import (
    Caf,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Meeting,
    Side,
    Signatory,
    User,
)
from .selectors import eligible_member_users

# --- Governance: committees, their members and meetings -------------------------------------
# (Committee, CommitteeMember and Meeting have no version field: the token of optimistic
# locking is the id of their latest django-simple-history record.)

STALE_MESSAGE = (
    "{label} a été modifié·e par quelqu'un d'autre depuis l'ouverture du formulaire. "
    "Rechargez la page pour voir la dernière version avant d'enregistrer vos changements."
)


def history_token(instance) -> str:
    """Optimistic-locking token of a model with history: the id of its latest record."""
    latest = instance.history.order_by("-history_id").values_list("history_id", flat=True).first()
    return str(latest or "")


def _ensure_fresh(instance, token: str | None, label: str) -> None:
    """Refuse a save made from a form loaded before someone else's save."""
    type(instance).objects.select_for_update().filter(pk=instance.pk).first()
    if token is not None and token != history_token(instance):
        raise ValidationError(STALE_MESSAGE.format(label=label), code="stale")


def _committee_fields(*, convention, kind, name, thematic):
    if kind != Committee.Kind.THEMATIC:
        thematic = None
    name = (name or "").strip()
    if not name:
        name = Committee.Kind(kind).label if kind in Committee.Kind.values else ""
        if thematic is not None:
            name = f"Groupe thématique « {thematic.label} »"
    return name, thematic


@transaction.atomic
def create_committee(
    *,
    convention: Convention,
    kind: str,
    name: str = "",
    thematic=None,
    approvals_required_per_side: int = 1,
) -> Committee:
    name, thematic = _committee_fields(
        convention=convention, kind=kind, name=name, thematic=thematic
    )
    committee = Committee(
        convention=convention,
        kind=kind,
        name=name,
        thematic=thematic,
        approvals_required_per_side=approvals_required_per_side,
    )
    committee.full_clean()
    committee.save()
    return committee


@transaction.atomic
def update_committee(
    *,
    committee: Committee,
    kind: str,
    name: str = "",
    thematic=None,
    approvals_required_per_side: int = 1,
    token: str | None = None,
) -> Committee:
    _ensure_fresh(committee, token, "Cette instance")
    name, thematic = _committee_fields(
        convention=committee.convention, kind=kind, name=name, thematic=thematic
    )
    committee.kind = kind
    committee.name = name
    committee.thematic = thematic
    committee.approvals_required_per_side = approvals_required_per_side
    committee.full_clean()
    committee.save()
    return committee


def _delete_unless_opinions(obj, refusal) -> None:
    """Delete ``obj`` unless opinions on fiches refer to it: an opinion protects its
    member (``Approval.member`` is PROTECT), so the database says how many there are
    without this base app reading the fiches' tables. ``refusal(count)`` is the message."""
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as error:
        raise ValidationError(refusal(len(error.protected_objects))) from None


@transaction.atomic
def delete_committee(*, committee: Committee) -> None:
    _delete_unless_opinions(
        committee,
        lambda given: (
            f"L'instance « {committee.name} » ne peut pas être supprimée : ses membres ont "
            f"déjà rendu {given} avis sur des fiches action, qui doivent rester traçables."
        ),
    )


def _member_fields(*, committee: Committee, member_pk, side, name, function, user, kept_user=None):
    errors = {}
    if side not in Side.values:
        errors["side"] = "Choisissez le collège : Caf ou territoire."
    if user is not None:
        eligible = eligible_member_users(convention=committee.convention)
        if user != kept_user and not eligible.filter(pk=user.pk).exists():
            errors["user"] = (
                "Ce compte n'appartient ni à la Caf de la convention ni à une collectivité "
                "signataire."
            )
        elif (
            CommitteeMember.objects.filter(committee=committee, user=user)
            .exclude(pk=member_pk)
            .exists()
        ):
            errors["user"] = f"{user} est déjà membre de l'instance « {committee.name} »."
    name = (name or "").strip()
    function = (function or "").strip()
    if user is not None:
        name = name or user.get_full_name() or user.email
        function = function or user.job_title
    if not name:
        errors["name"] = "Indiquez le nom du membre ou choisissez son compte utilisateur."
    if errors:
        raise ValidationError(errors)
    return name, function


def _save_member(member: CommitteeMember) -> CommitteeMember:
    member.full_clean()
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # a concurrent insert of the same account
        raise ValidationError({"user": "Cette personne est déjà membre de l'instance."}) from exc
    return member


@transaction.atomic
def add_committee_member(
    *,
    committee: Committee,
    side: str,
    name: str = "",
    function: str = "",
    user: User | None = None,
) -> CommitteeMember:
    name, function = _member_fields(
        committee=committee, member_pk=None, side=side, name=name, function=function, user=user
    )
    return _save_member(
        CommitteeMember(committee=committee, side=side, name=name, function=function, user=user)
    )


@transaction.atomic
def update_committee_member(
    *,
    member: CommitteeMember,
    side: str,
    name: str = "",
    function: str = "",
    user: User | None = None,
    token: str | None = None,
) -> CommitteeMember:
    _ensure_fresh(member, token, "Ce membre")
    name, function = _member_fields(
        committee=member.committee,
        member_pk=member.pk,
        side=side,
        name=name,
        function=function,
        user=user,
        kept_user=member.user,
    )
    member.side, member.name, member.function, member.user = side, name, function, user
    return _save_member(member)


@transaction.atomic
def remove_committee_member(*, member: CommitteeMember) -> None:
    _delete_unless_opinions(
        member,
        lambda given: (
            f"{member.name} a déjà rendu {given} avis sur des fiches action : ce membre ne peut "
            "pas être retiré sans effacer ces avis. Modifiez plutôt sa fonction."
        ),
    )


@transaction.atomic
def record_meeting(
    *,
    committee: Committee,
    date,
    location: str = "",
    agenda: str = "",
    minutes: str = "",
    decisions: str = "",
) -> Meeting:
    meeting = Meeting(
        committee=committee,
        date=date,
        location=location.strip(),
        agenda=agenda.strip(),
        minutes=minutes.strip(),
        decisions=decisions.strip(),
    )
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def update_meeting(
    *,
    meeting: Meeting,
    date,
    location: str = "",
    agenda: str = "",
    minutes: str = "",
    decisions: str = "",
    token: str | None = None,
) -> Meeting:
    _ensure_fresh(meeting, token, "Cette réunion")
    meeting.date = date
    meeting.location = location.strip()
    meeting.agenda = agenda.strip()
    meeting.minutes = minutes.strip()
    meeting.decisions = decisions.strip()
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def delete_meeting(*, meeting: Meeting) -> None:
    meeting.delete()


# --- Conventions: editor with optimistic locking ---------------------------------------------

CONVENTION_FIELDS = (
    "caf",
    "name",
    "start_date",
    "end_date",
    "purpose",
    "vision",
    "horizon_year",
    "previous",
    "reporting_frequency",
    "meeting_pack_days",
)
CONVENTION_M2M_FIELDS = ("thematics", "territories")


class StaleVersionError(ValidationError):
    """Someone saved the convention after the form was loaded."""


def _split_convention_data(data: dict) -> tuple[dict, dict]:
    plain = {k: v for k, v in data.items() if k in CONVENTION_FIELDS}
    m2m = {k: list(v) for k, v in data.items() if k in CONVENTION_M2M_FIELDS}
    return plain, m2m


def _check_convention_scope(convention: Convention, m2m: dict, by: User) -> None:
    errors = {}
    if not by.is_superuser and convention.caf_id != by.caf_id:
        errors["caf"] = "Vous ne pouvez créer ou modifier que les conventions de votre Caf."
    foreign = [t.name for t in m2m.get("territories", []) if t.caf_id != convention.caf_id]
    if foreign:
        errors["territories"] = "Ces territoires relèvent d'une autre Caf : " + ", ".join(foreign)
    previous = convention.previous
    if previous is not None:
        if previous.caf_id != convention.caf_id:
            errors["previous"] = "La convention précédente doit relever de la même Caf."
        elif convention.pk and previous.pk == convention.pk:
            errors["previous"] = "Une convention ne peut pas se renouveler elle-même."
    if errors:
        raise ValidationError(errors)


def _m2m_change_summary(convention: Convention | None, m2m: dict) -> str:
    parts = []
    for name, new_values in m2m.items():
        label = Convention._meta.get_field(name).verbose_name
        old = set(getattr(convention, name).all()) if convention and convention.pk else set()
        new = set(new_values)
        bits = []
        if new - old:
            bits.append("ajout de " + ", ".join(sorted(str(x) for x in new - old)))
        if old - new:
            bits.append("retrait de " + ", ".join(sorted(str(x) for x in old - new)))
        if bits:
            parts.append(f"{label[0].upper()}{label[1:]} : {' ; '.join(bits)}")
    return ". ".join(parts)


@transaction.atomic
def convention_create(*, data: dict, by: User) -> Convention:
    plain, m2m = _split_convention_data(data)
    convention = Convention(**plain)
    _check_convention_scope(convention, m2m, by)
    convention.full_clean()
    convention._history_user = by
    convention._change_reason = "Création de la convention"
    convention.save()
    for name, values in m2m.items():
        getattr(convention, name).set(values)
    return convention


def _stale_version_error(convention: Convention) -> StaleVersionError:
    last = (
        Convention.history.filter(id=convention.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
        .first()
    )
    who = str(last.history_user) if last and last.history_user else "une autre personne"
    return StaleVersionError(
        f"La convention a été modifiée par {who} entre-temps : rechargez la page pour voir "
        "ses modifications, puis refaites les vôtres. Vos changements n'ont pas été enregistrés.",
        code="stale",
    )


@transaction.atomic
def convention_update(
    *, convention: Convention, data: dict, expected_version: int, by: User
) -> Convention:
    """Save the form data if nobody saved since ``expected_version`` was read.

    The compare-and-increment is a single UPDATE, so of two concurrent saves
    started from the same version only one can win.
    """
    plain, m2m = _split_convention_data(data)
    for name, value in plain.items():
        setattr(convention, name, value)
    _check_convention_scope(convention, m2m, by)
    convention.full_clean()
    won = Convention.objects.filter(pk=convention.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not won:
        raise _stale_version_error(convention)
    convention.version = expected_version + 1
    convention._history_user = by
    convention._change_reason = _m2m_change_summary(convention, m2m)
    convention.save(update_fields=[*plain.keys(), "version", "updated_at"])
    for name, values in m2m.items():
        getattr(convention, name).set(values)
    return convention


# --- Conventions: lifecycle -------------------------------------------------------------------

Phase = Convention.Phase


def _record_transition(convention: Convention, *, by: User, label: str, reason: str) -> None:
    convention._history_user = by
    convention._change_reason = f"{label} : {reason}" if reason else label


@transaction.atomic
def convention_advance(
    *,
    convention: Convention,
    to_phase: str,
    by: User,
    reason: str = "",
    signed_on: datetime.date | None = None,
) -> Convention:
    """Move the convention to ``to_phase`` if the guards allow it (French reasons otherwise)."""
    locked = Convention.objects.select_for_update().get(pk=convention.pk)
    current = locked.phase
    reason = (reason or "").strip()
    if to_phase not in Phase.values:
        raise ValidationError("Phase inconnue.")
    if not lifecycle.is_allowed(current, to_phase):
        raise ValidationError(
            f"La convention ne peut pas passer de la phase « {Phase(current).label} » "
            f"à la phase « {Phase(to_phase).label} »."
        )
    signing = current == Phase.SIGNATURE and to_phase == Phase.IMPLEMENTATION
    if signing:
        if signed_on is None:
            raise ValidationError({"signed_on": "Indiquez la date de signature."})
        if signed_on > timezone.localdate():
            raise ValidationError(
                {"signed_on": "La date de signature ne peut pas être dans le futur."}
            )
    blockers = lifecycle.transition_blockers(convention=locked, to_phase=to_phase, reason=reason)
    if blockers:
        raise ValidationError(blockers)
    locked.phase = to_phase
    fields = ["phase", "version", "updated_at"]
    if signing:
        locked.signed_on = signed_on
        fields.append("signed_on")
    locked.version += 1
    label = f"{Phase(current).label} → {Phase(to_phase).label}"
    if signing:
        label = f"Signature le {signed_on:%d/%m/%Y}, {label}"
    _record_transition(locked, by=by, label=label, reason=reason)
    locked.save(update_fields=fields)
    if signing and locked.previous_id:
        previous = Convention.objects.select_for_update().get(pk=locked.previous_id)
        if previous.phase in (Phase.EVALUATION, Phase.CLOSED):
            old = previous.phase
            previous.phase = Phase.RENEWED
            previous.version += 1
            _record_transition(
                previous,
                by=by,
                label=f"{Phase(old).label} → {Phase.RENEWED.label}",
                reason=f"renouvelée par « {locked.name} »",
            )
            previous.save(update_fields=["phase", "version", "updated_at"])
    return locked


def convention_sign(
    *, convention: Convention, signed_on: datetime.date, by: User, reason: str = ""
) -> Convention:
    """Record the signature date and move the convention to implementation."""
    if convention.phase != Phase.SIGNATURE:
        raise ValidationError(
            "Seule une convention en phase « Signature » peut être signée : "
            "faites d'abord valider le plan d'actions."
        )
    return convention_advance(
        convention=convention,
        to_phase=Phase.IMPLEMENTATION,
        by=by,
        reason=reason,
        signed_on=signed_on,
    )


@transaction.atomic
def convention_prepare_renewal(*, convention: Convention, by: User) -> Convention:
    """A new convention in preparation, linked to ``convention`` and copying its scope."""
    if convention.phase not in (Phase.IMPLEMENTATION, Phase.EVALUATION, Phase.CLOSED):
        raise ValidationError(
            "Seule une convention signée (mise en œuvre, évaluation ou échue) peut être renouvelée."
        )
    existing = convention.renewals.order_by("pk").first()
    if existing is not None:
        raise ValidationError(f"Un renouvellement est déjà en préparation : « {existing.name} ».")
    start = convention.end_date + datetime.timedelta(days=1)
    years = max(1, round((convention.end_date - convention.start_date).days / 365.25))
    renewal = Convention(
        caf=convention.caf,
        name=f"{convention.name} (renouvellement {start.year})",
        start_date=start,
        end_date=lifecycle.add_years(start, years) - datetime.timedelta(days=1),
        purpose=convention.purpose,
        vision=convention.vision,
        previous=convention,
        reporting_frequency=convention.reporting_frequency,
        meeting_pack_days=convention.meeting_pack_days,
    )
    renewal.full_clean()
    renewal._history_user = by
    renewal._change_reason = f"Renouvellement de « {convention.name} »"
    renewal.save()
    renewal.thematics.set(convention.thematics.all())
    renewal.territories.set(convention.territories.all())
    return renewal


# --- Signatories ------------------------------------------------------------------------------

SIGNATORY_FIELDS = (
    "collectivity",
    "caf",
    "partner_kind",
    "partner_name",
    "role",
    "representative_name",
    "representative_title",
    "resolution_reference",
    "resolution_date",
    "signed_on",
)


def _save_signatory(signatory: Signatory, data: dict, by: User, reason: str) -> Signatory:
    for name in SIGNATORY_FIELDS:
        if name in data:
            setattr(signatory, name, data[name])
    if not signatory.partner_name:
        signatory.partner_kind = ""
    convention = signatory.convention
    if signatory.collectivity_id and signatory.collectivity.caf_id != convention.caf_id:
        raise ValidationError(
            {"collectivity": "Cette collectivité ne relève pas de la Caf de la convention."}
        )
    if signatory.caf_id and signatory.caf_id != convention.caf_id:
        raise ValidationError({"caf": "Seule la Caf de la convention peut signer pour la Caf."})
    signatory.full_clean()
    signatory._history_user = by
    signatory._change_reason = reason
    signatory.save()
    return signatory


@transaction.atomic
def signatory_create(*, convention: Convention, data: dict, by: User) -> Signatory:
    last = convention.signatories.order_by("-order").values_list("order", flat=True).first()
    signatory = Signatory(convention=convention, order=(last or 0) + 1)
    return _save_signatory(signatory, data, by, "Ajout d'un signataire")


@transaction.atomic
def signatory_update(*, signatory: Signatory, data: dict, by: User) -> Signatory:
    return _save_signatory(signatory, data, by, "")


@transaction.atomic
def signatory_delete(*, signatory: Signatory, by: User) -> None:
    signatory._history_user = by
    signatory._change_reason = "Retrait du signataire"
    signatory.delete()


# --- Collectivities: referential and CSV import -----------------------------------------------

COLLECTIVITY_FIELDS = ("kind", "name", "code", "population", "parent_epci")


def _save_collectivity(collectivity: Collectivity, data: dict, by: User) -> Collectivity:
    for name in COLLECTIVITY_FIELDS:
        if name in data:
            setattr(collectivity, name, data[name])
    collectivity.code = (collectivity.code or "").strip().upper()
    parent = collectivity.parent_epci
    if parent is not None and parent.caf_id != collectivity.caf_id:
        raise ValidationError(
            {"parent_epci": "L'EPCI de rattachement doit relever de la même Caf."}
        )
    collectivity.full_clean()
    collectivity._history_user = by
    collectivity.save()
    return collectivity


@transaction.atomic
def collectivity_create(*, caf: Caf, data: dict, by: User) -> Collectivity:
    return _save_collectivity(Collectivity(caf=caf), data, by)


@transaction.atomic
def collectivity_update(*, collectivity: Collectivity, data: dict, by: User) -> Collectivity:
    return _save_collectivity(collectivity, data, by)


class ImportRejected(Exception):
    """A file with bad rows: nothing was written; ``errors`` lists every bad row."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} ligne(s) en erreur")
        self.errors = errors


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    unchanged: int


@transaction.atomic
def collectivities_import(*, caf: Caf, rows: list[CollectivityRow], by: User) -> ImportOutcome:
    """Create or update (key: kind + code) every row in one transaction, or nothing at all."""
    existing = {
        (c.kind, c.code): c
        for c in Collectivity.objects.select_related("caf").filter(
            code__in={r.code for r in rows} | {r.epci_code for r in rows if r.epci_code}
        )
    }
    epcis_in_file = {r.code for r in rows if r.kind == Collectivity.Kind.EPCI}
    errors: list[RowError] = []
    for row in rows:
        current = existing.get((row.kind, row.code))
        if current is not None and current.caf_id != caf.pk:
            errors.append(
                RowError(row.line, f"le code {row.code} est déjà enregistré pour la {current.caf}.")
            )
        if row.epci_code and row.epci_code not in epcis_in_file:
            epci = existing.get((Collectivity.Kind.EPCI, row.epci_code))
            if epci is None:
                errors.append(
                    RowError(
                        row.line,
                        f"l'EPCI {row.epci_code} ne figure ni dans le fichier ni dans le référentiel.",
                    )
                )
            elif epci.caf_id != caf.pk:
                errors.append(
                    RowError(
                        row.line, f"l'EPCI {row.epci_code} relève d'une autre Caf ({epci.caf})."
                    )
                )
    if errors:
        raise ImportRejected(errors)

    created = updated = unchanged = 0
    epcis = {code: c for (kind, code), c in existing.items() if kind == Collectivity.Kind.EPCI}
    # EPCIs first, so that communes can be attached to EPCIs of the same file.
    for row in sorted(rows, key=lambda r: (r.kind != Collectivity.Kind.EPCI, r.line)):
        collectivity = existing.get((row.kind, row.code)) or Collectivity(
            caf=caf, kind=row.kind, code=row.code
        )
        parent = epcis.get(row.epci_code) if row.epci_code else None
        is_new = collectivity.pk is None
        if (
            not is_new
            and collectivity.name == row.name
            and collectivity.population == row.population
            and collectivity.parent_epci_id == (parent.pk if parent else None)
        ):
            unchanged += 1
            continue
        collectivity.name = row.name
        collectivity.population = row.population
        collectivity.parent_epci = parent
        try:
            collectivity.full_clean(validate_constraints=False)
        except ValidationError as exc:
            errors.append(RowError(row.line, " ".join(exc.messages)))
            continue
        collectivity._history_user = by
        collectivity._change_reason = "Import CSV"
        collectivity.save()
        if row.kind == Collectivity.Kind.EPCI:
            epcis[row.code] = collectivity
        created += is_new
        updated += not is_new
    if errors:
        raise ImportRejected(errors)
    return ImportOutcome(created=created, updated=updated, unchanged=unchanged)
