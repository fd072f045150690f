"""What the action plan requires before the convention is signed (a phase guard)."""

from conventions.models import Convention

from . import workflow
from .models import ActionSheet

Phase = Convention.Phase


def plan_has_validated_sheet(convention: Convention, to_phase: str) -> list[str]:
    """A convention is signed (and run) with at least one fiche validated by the committee."""
    if (
        to_phase not in (Phase.SIGNATURE, Phase.IMPLEMENTATION)
        or convention.phase == Phase.EVALUATION
    ):
        return []
    if ActionSheet.objects.filter(convention=convention, status__in=workflow.VALIDATED).exists():
        return []
    return [
        "Aucune fiche action validée : le plan d'actions doit compter au moins "
        "une fiche validée par le comité."
    ]
