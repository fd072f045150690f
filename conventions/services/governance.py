"""Writes on governance: committees (COPIL, technical committee, thematic groups), their
members on each side and their meetings.

Committee, CommitteeMember and Meeting have no version field: the token of optimistic locking
is the id of their latest django-simple-history record (``conventions.selectors.history_token``).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from conventions.models import Committee, CommitteeMember, Convention, Meeting, Side, User
from conventions.selectors import eligible_member_users, history_token

from .data_version import convention_activity_changed

STALE_MESSAGE = (
    "{label} a été modifié·e par quelqu'un d'autre depuis l'ouverture du formulaire. "
    "Rechargez la page pour voir la dernière version avant d'enregistrer vos changements."
)


def _ensure_fresh(instance, token: str | None, label: str) -> None:
    """Refuse a save made from a form loaded before someone else's save."""
    type(instance).objects.select_for_update().filter(pk=instance.pk).first()
    if token is not None and token != history_token(instance):
        raise ValidationError(STALE_MESSAGE.format(label=label), code="stale")


def _committee_fields(*, kind, name, thematic):
    if kind != Committee.Kind.THEMATIC:
        thematic = None
    name = (name or "").strip()
    if not name:
        name = Committee.Kind(kind).label if kind in Committee.Kind.values else ""
        if thematic is not None:
            name = f"Groupe thématique « {thematic.label} »"
    return name, thematic


@transaction.atomic
def committee_create(
    *,
    convention: Convention,
    kind: str,
    name: str = "",
    thematic=None,
    approvals_required_per_side: int = 1,
) -> Committee:
    name, thematic = _committee_fields(kind=kind, name=name, thematic=thematic)
    committee = Committee(
        convention=convention,
        kind=kind,
        name=name,
        thematic=thematic,
        approvals_required_per_side=approvals_required_per_side,
    )
    committee.full_clean()
    committee.save()
    convention_activity_changed(convention_id=committee.convention_id)
    return committee


@transaction.atomic
def committee_update(
    *,
    committee: Committee,
    kind: str,
    name: str = "",
    thematic=None,
    approvals_required_per_side: int = 1,
    token: str | None = None,
) -> Committee:
    _ensure_fresh(committee, token, "Cette instance")
    name, thematic = _committee_fields(kind=kind, name=name, thematic=thematic)
    committee.kind = kind
    committee.name = name
    committee.thematic = thematic
    committee.approvals_required_per_side = approvals_required_per_side
    committee.full_clean()
    committee.save()
    convention_activity_changed(convention_id=committee.convention_id)
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
def committee_delete(*, committee: Committee) -> None:
    convention_activity_changed(convention_id=committee.convention_id)
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
    convention_activity_changed(convention_id=member.committee.convention_id)
    return member


@transaction.atomic
def committee_member_add(
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
def committee_member_update(
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
def committee_member_remove(*, member: CommitteeMember) -> None:
    convention_activity_changed(convention_id=member.committee.convention_id)
    _delete_unless_opinions(
        member,
        lambda given: (
            f"{member.name} a déjà rendu {given} avis sur des fiches action : ce membre ne peut "
            "pas être retiré sans effacer ces avis. Modifiez plutôt sa fonction."
        ),
    )


@transaction.atomic
def meeting_create(
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
    convention_activity_changed(convention_id=meeting.committee.convention_id)
    return meeting


@transaction.atomic
def meeting_update(
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
    convention_activity_changed(convention_id=meeting.committee.convention_id)
    return meeting


@transaction.atomic
def meeting_delete(*, meeting: Meeting) -> None:
    convention_activity_changed(convention_id=meeting.committee.convention_id)
    meeting.delete()
