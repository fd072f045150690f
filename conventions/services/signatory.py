"""Writes on the signatories of a convention: the Caf, collectivities and other partners."""

from django.core.exceptions import ValidationError
from django.db import transaction

from conventions.models import Convention, Signatory, User

from .data_version import convention_activity_changed

SIGNATORY_FIELDS = (
    "collectivity",
    "caf",
    "partner_kind",
    "partner_name",
    "role",
    "representative_civility",
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
    convention_activity_changed(convention_id=convention.pk)
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
    convention_activity_changed(convention_id=signatory.convention_id)
    signatory.delete()
