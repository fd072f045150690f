"""Take over a convention signed before the tool: created directly in its real phase, with its
real dates and signatories, and marked ``is_takeover`` so that its plan may be imported in any
phase (``plans``) — the history says « Reprise de l'existant »."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from conventions.models import Collectivity, Convention, User
from ctg import formatting

from . import signatory as signatory_services
from .convention import _check_convention_scope, _split_convention_data

Phase = Convention.Phase

#: The phases of a convention already signed: a signature date is required.
SIGNED_PHASES = (Phase.IMPLEMENTATION, Phase.EVALUATION, Phase.CLOSED, Phase.RENEWED)
TAKEOVER_REASON = "Reprise de l'existant"


def _phase_errors(phase: str, signed_on: datetime.date | None, start: datetime.date | None):
    errors = {}
    if phase not in Phase.values:
        errors["phase"] = "Phase inconnue."
    elif phase in SIGNED_PHASES and signed_on is None:
        errors["signed_on"] = (
            f"Une convention en phase « {Phase(phase).label} » est signée : indiquez la date "
            "de signature."
        )
    elif phase not in SIGNED_PHASES and signed_on is not None:
        errors["signed_on"] = (
            f"Une convention en phase « {Phase(phase).label} » n'est pas encore signée : "
            "laissez la date de signature vide."
        )
    if signed_on is not None and signed_on > timezone.localdate():
        errors["signed_on"] = "La date de signature ne peut pas être dans le futur."
    return errors


@transaction.atomic
def convention_takeover(
    *,
    data: dict,
    phase: str,
    signed_on: datetime.date | None,
    signatories: list[Collectivity],
    caf_signs: bool,
    by: User,
) -> Convention:
    """Create the convention in ``phase`` (signed on ``signed_on`` for a signed phase), with
    the collectivities ``signatories`` (and the Caf when ``caf_signs``) as signatories."""
    plain, m2m = _split_convention_data(data)
    convention = Convention(**plain, phase=phase, signed_on=signed_on, is_takeover=True)
    _check_convention_scope(convention, m2m, by)
    errors = _phase_errors(phase, signed_on, convention.start_date)
    foreign = [c.name for c in signatories if c.caf_id != convention.caf_id]
    if foreign:
        errors["signatories"] = "Ces collectivités relèvent d'une autre Caf : " + ", ".join(foreign)
    if errors:
        raise ValidationError(errors)
    convention.full_clean()
    reason = f"{TAKEOVER_REASON} : convention créée en phase « {Phase(phase).label} »"
    if signed_on:
        reason += f", signée le {formatting.date(signed_on)}"
    convention._history_user = by
    convention._change_reason = reason
    convention.save()
    for name, values in m2m.items():
        getattr(convention, name).set(values)
    organisations = [{"caf": convention.caf}] if caf_signs else []
    organisations += [{"collectivity": c} for c in signatories]
    for organisation in organisations:
        signatory_services.signatory_create(
            convention=convention, data={**organisation, "signed_on": signed_on}, by=by
        )
    return convention
