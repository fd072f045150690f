"""What the shared diagnostic requires before the convention moves on (a phase guard)."""

from conventions.models import Convention

from .models import Finding


def findings_cover_thematics(convention: Convention, to_phase: str) -> list[str]:
    """The action plan starts once every thematic covered has at least one finding."""
    if to_phase != Convention.Phase.ACTION_PLAN:
        return []
    thematics = list(convention.thematics.all())
    covered = set(
        Finding.objects.filter(diagnostic__convention=convention).values_list(
            "thematic_id", flat=True
        )
    )
    missing = [t.label for t in thematics if t.pk not in covered]
    if not missing:
        return []
    count = len(missing)
    subject = "thématique n'a" if count == 1 else "thématiques n'ont"
    return [f"{count} {subject} aucun constat : {', '.join(missing)}."]
