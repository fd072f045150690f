from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from conventions.permissions import get_convention_or_404

from . import charts, figures, readmodel, selectors


@login_required
def overview(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    # A fixed number of queries, whatever the number of indicators and measurements: the
    # progress rule's figures as stored by the read model.
    by_thematic, summary = readmodel.thematic_and_total(convention=convention)
    return render(
        request,
        "evaluation/overview.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "evaluation",
            "crumb": "Évaluation",
            "subnav": "indicators",
            "indicators": list(readmodel.indicators_of(convention=convention)),
            "summary": summary,
            "status_figure": charts.stacked_bar(
                figures.status_segments(summary), title="Indicateurs par état d'avancement"
            ),
            "thematic_figure": figures.progress_figure(
                by_thematic, title="Progression moyenne par thématique"
            ),
            "changes": selectors.changes_of(convention=convention),
        },
    )
