"""Shared indicator sets of a Caf (the *schéma départemental des services aux familles*,
SDSF): the writes.

**Design.** A Caf's staff define a :class:`~evaluation.models.SharedIndicator` once for
their département, with its reference sheet and its binding to a series of the Caf's open
data. A convention does not copy it: a fiche *links* it, which creates an
:class:`~evaluation.models.Indicator` with ``shared`` set.

- The linked indicator holds what belongs to its territory: its baseline, target, dates,
  yearly targets, measurements (and the person responsible for it).
- The definitional fields (:data:`~evaluation.models.SHARED_FIELDS`: name, kind, unit,
  direction, source, frequency, the reference sheet's definition, method, means of
  verification, limits, aggregation, breakdown and open-data binding) are the shared
  indicator's: written on the link, kept identical by :func:`shared_indicator_update` on
  every change of the shared indicator — one bulk UPDATE of the linked indicators, their
  history, ``convention_data_changed`` and the progress read model of every convention
  touched — and read-only on the convention side (the fiche form and the reference sheet
  page show them disabled).
- A shared indicator still linked cannot be deleted (:data:`STILL_LINKED`): the
  conventions « retirent » it first (:func:`shared_indicator_unlink`: the indicator stays
  on its fiche with its measurements, its definition becomes its own).
- Linking adds an indicator to the fiche through the fiche's own save
  (``actions.services.action_sheet_save``): the fiche's rules apply unchanged (who edits,
  closed fiches refused, a new version to approve on a validated fiche, with its reason).

Keyword-only, atomic, validated (``full_clean``), French messages.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce

from actions import services as action_services
from actions.models import ActionSheet
from conventions.models import Caf, User
from conventions.permissions import convention_access
from conventions.services.data_version import convention_data_changed

from . import ownership
from .models import REFERENCE_SHEET_FIELDS, SHARED_FIELDS, Indicator, SharedIndicator
from .readmodel import progress_refresh, progress_refresh_many

#: The fields of a shared indicator its form edits (the Caf is given apart).
SHARED_INDICATOR_FIELDS: tuple[str, ...] = (
    "code",
    "name",
    "kind",
    "unit",
    "direction",
    "source",
    "frequency",
    "framework",
    *REFERENCE_SHEET_FIELDS,
)

#: What a link gives the linked indicator of its own.
LINK_FIELDS: tuple[str, ...] = ("baseline_value", "baseline_date", "target_value", "target_date")

STILL_LINKED = (
    "L'indicateur partagé « {name} » est encore suivi par {count} convention{s} ({names}) : "
    "il ne peut pas être supprimé. Retirez-le d'abord des fiches qui l'utilisent."
)
ALREADY_LINKED = "Cet indicateur partagé est déjà suivi par cette fiche."
OTHER_CAF = "Cet indicateur partagé appartient à une autre Caf que celle de la convention."
NOT_LINKED = "Cet indicateur n'est pas lié à un indicateur partagé."
FORBIDDEN = "Seuls les agents de la Caf gèrent ses indicateurs partagés."


def may_manage(*, user: User, caf_id: int | None) -> bool:
    """The Caf's staff (and the superuser) manage its shared indicators."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role == User.Role.CAF_STAFF and caf_id is not None and user.caf_id == caf_id


def _require_manager(*, user: User, caf_id: int | None) -> None:
    if not may_manage(user=user, caf_id=caf_id):
        raise PermissionDenied(FORBIDDEN)


def linked_indicators(shared_id: int):
    """The indicators linked to a shared indicator, with their convention's id
    (``convention_id``: of their fiche, or of their objective)."""
    return Indicator.objects.filter(shared_id=shared_id).annotate(
        convention_id=Coalesce(F("action_sheet__convention_id"), F("objective__convention_id"))
    )


def _linked_convention_ids(shared_id: int) -> list[int]:
    return sorted(
        set(linked_indicators(shared_id).values_list("convention_id", flat=True).order_by())
    )


def _apply(shared: SharedIndicator, data: dict[str, Any]) -> None:
    for name, value in data.items():
        if name not in SHARED_INDICATOR_FIELDS:
            raise ValueError(f"Champ inconnu : {name}")
        setattr(shared, name, "" if value is None and name != "code" else value)


def _clean(shared: SharedIndicator) -> None:
    shared.code = (shared.code or "").strip()
    shared.full_clean()


def definition_of(shared: SharedIndicator) -> dict[str, Any]:
    """The values a linked indicator takes from its shared indicator."""
    return {name: getattr(shared, name) for name in SHARED_FIELDS}


@transaction.atomic
def shared_indicator_create(*, caf: Caf, by: User, data: dict[str, Any]) -> SharedIndicator:
    """A new shared indicator of ``caf``."""
    _require_manager(user=by, caf_id=caf.pk if caf else None)
    shared = SharedIndicator(caf=caf)
    _apply(shared, data)
    _clean(shared)
    shared._history_user = by
    shared.save()
    return shared


@transaction.atomic
def shared_indicator_update(
    *, shared: SharedIndicator, by: User, data: dict[str, Any]
) -> SharedIndicator:
    """Change a shared indicator, and the definition of every indicator linked to it, in one
    go: refused (nothing written) when the new definition does not fit one of them (a
    direction whose target no longer agrees with a convention's baseline…)."""
    _require_manager(user=by, caf_id=shared.caf_id)
    # Every writer of a convention's data locks the convention first (data_version).
    touched = _linked_convention_ids(shared.pk)
    for convention_id in touched:
        convention_data_changed(convention_id=convention_id)
    shared = SharedIndicator.objects.select_for_update().get(pk=shared.pk)
    _apply(shared, data)
    _clean(shared)
    definition = definition_of(shared)
    linked = list(
        linked_indicators(shared.pk).select_related("action_sheet__convention", "objective")
    )
    late_comers = sorted({i.convention_id for i in linked} - set(touched))
    for convention_id in late_comers:  # linked meanwhile
        convention_data_changed(convention_id=convention_id)
    errors = []
    for indicator in linked:
        for name, value in definition.items():
            setattr(indicator, name, value)
        try:
            indicator.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            where = (
                f"{indicator.action_sheet.convention.name}, fiche {indicator.action_sheet.number}"
                if indicator.action_sheet_id
                else f"objectif « {indicator.objective.title} »"
            )
            for messages in exc.message_dict.values():
                errors.extend(f"{where} : {message}" for message in messages)
    if errors:
        raise ValidationError(errors)
    shared._history_user = by
    shared.save()
    if linked:
        Indicator.objects.filter(pk__in=[i.pk for i in linked]).update(**definition)
        Indicator.history.bulk_history_create(
            linked,
            update=True,
            default_user=by,
            default_change_reason=f"Indicateur partagé « {shared.code} » modifié par la Caf",
        )
        progress_refresh_many(convention_ids=sorted(set(touched) | set(late_comers)))
    return shared


@transaction.atomic
def shared_indicator_delete(*, shared: SharedIndicator, by: User) -> None:
    """Delete a shared indicator no convention links any more."""
    _require_manager(user=by, caf_id=shared.caf_id)
    shared = SharedIndicator.objects.select_for_update().get(pk=shared.pk)
    linked = list(
        linked_indicators(shared.pk)
        .order_by()
        .values_list(
            Coalesce(F("action_sheet__convention__name"), F("objective__convention__name")),
            flat=True,
        )
        .distinct()
    )
    if linked:
        names = sorted(linked)
        raise ValidationError(
            STILL_LINKED.format(
                name=shared.name,
                count=len(names),
                s="s" if len(names) > 1 else "",
                names=", ".join(names),
            )
        )
    shared._history_user = by
    shared.delete()


@transaction.atomic
def shared_indicator_link(
    *,
    sheet: ActionSheet,
    shared: SharedIndicator,
    by: User,
    baseline_value: Decimal,
    baseline_date: datetime.date,
    target_value: Decimal,
    target_date: datetime.date,
    responsible: str = "",
    change_reason: str = "",
) -> Indicator:
    """Link a shared indicator to a fiche: a new indicator of the fiche (code ``IND-nn``)
    with the shared definition and this territory's baseline and target. The fiche's rules
    apply (:func:`actions.services.action_sheet_save`): on a submitted, validated or
    running fiche it is a new version, with its reason."""
    convention = sheet.convention
    if shared.caf_id != convention.caf_id:
        raise ValidationError({"shared": OTHER_CAF})
    if Indicator.objects.filter(action_sheet=sheet, shared=shared).exists():
        raise ValidationError({"shared": ALREADY_LINKED})
    definition = definition_of(shared)
    row = {
        **{
            name: definition[name]
            for name in action_services.INDICATOR_FIELDS
            if name in definition
        },
        "baseline_value": baseline_value,
        "baseline_date": baseline_date,
        "target_value": target_value,
        "target_date": target_date,
        "id": None,
    }
    # The fiche's own save: who edits, closed fiches, new version and its reason, history,
    # data version. Its revision is the current one (a link is not a stale form).
    current = ActionSheet.objects.only("revision").get(pk=sheet.pk)
    before = set(Indicator.objects.filter(action_sheet=sheet).values_list("pk", flat=True))
    saved = action_services.action_sheet_save(
        convention=convention,
        by=by,
        data={},
        indicators=[row],
        sheet=sheet,
        revision=current.revision,
        change_reason=change_reason,
        refresh_progress=False,
    )
    indicator = (
        Indicator.objects.filter(action_sheet=saved).exclude(pk__in=before).order_by("-pk").get()
    )
    # The link and the rest of the definition (the reference sheet, the binding).
    if Indicator.objects.filter(action_sheet=saved, shared=shared).exists():
        raise ValidationError({"shared": ALREADY_LINKED})
    for name, value in definition.items():
        setattr(indicator, name, value)
    indicator.shared = shared
    if responsible:
        indicator.responsible = responsible
    indicator.full_clean(validate_unique=False, validate_constraints=False)
    indicator._history_user = by
    indicator._change_reason = f"Lié à l'indicateur partagé « {shared.code} »"
    indicator.save()
    progress_refresh(convention_id=convention.pk)
    return indicator


@transaction.atomic
def shared_indicator_unlink(*, indicator: Indicator, by: User) -> Indicator:
    """« Retirer » a shared indicator from a convention: the indicator stays on its fiche
    with its measurements, no longer linked; its definition (as it was) becomes its own and
    editable on the fiche."""
    convention = ownership.convention_of(indicator)
    if not convention_access(by, convention).can_edit_actions:
        raise PermissionDenied(
            "Seuls les agents de la Caf et les coordinateurs éditent les fiches."
        )
    convention_data_changed(convention_id=convention.pk)
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    if indicator.shared_id is None:
        raise ValidationError(NOT_LINKED)
    code = indicator.shared.code
    indicator.shared = None
    indicator._history_user = by
    indicator._change_reason = f"Retiré de l'indicateur partagé « {code} »"
    indicator.save()
    progress_refresh(convention_id=convention.pk)
    return indicator
