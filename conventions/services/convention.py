"""Writes on a convention: the editor (optimistic locking on ``version``) and its lifecycle
(phase changes, signature, renewal)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from conventions import lifecycle
from conventions.models import Convention, User
from ctg import formatting
from ctg.dates import add_days, add_years

# --- Editor with optimistic locking ------------------------------------------------------------

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
    "measurements_need_validation",
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


# --- Lifecycle ---------------------------------------------------------------------------------

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
        label = f"Signature le {formatting.date_short(signed_on)}, {label}"
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


@transaction.atomic
def convention_sign(
    *, convention: Convention, signed_on: datetime.date, by: User, reason: str = ""
) -> Convention:
    """Record the signature date and move the convention to implementation.

    Each signatory without a signature date gets this one (it stays editable per
    signatory); a date already typed is kept, and so is an empty one where the
    signatory's deliberation is dated after the signature (it cannot precede it)."""
    if convention.phase != Phase.SIGNATURE:
        raise ValidationError(
            "Seule une convention en phase « Signature » peut être signée : "
            "faites d'abord valider le plan d'actions."
        )
    signed = convention_advance(
        convention=convention,
        to_phase=Phase.IMPLEMENTATION,
        by=by,
        reason=reason,
        signed_on=signed_on,
    )
    unsigned = signed.signatories.select_related("collectivity", "caf").filter(
        signed_on__isnull=True
    )
    for signatory in unsigned:
        if signatory.resolution_date and signatory.resolution_date > signed_on:
            continue
        signatory.signed_on = signed_on
        signatory.full_clean()
        signatory._history_user = by
        signatory._change_reason = "Signature de la convention"
        signatory.save(update_fields=["signed_on"])
    return signed


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
    start = add_days(convention.end_date, 1)
    years = max(1, round((convention.end_date - convention.start_date).days / 365.25))
    renewal = Convention(
        caf=convention.caf,
        name=f"{convention.name} (renouvellement {start.year})",
        start_date=start,
        end_date=add_days(add_years(start, years), -1),
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
