"""The demo's shared indicators (issue #16, the SDSF framework): two indicators the Caf de la
Loire defines for its département, with their reference sheet and open-data binding, followed
by the petite-enfance fiche of the Sorbiers convention (its own baseline and target).

Created like the rest of the demo (``DemoBuilder.ensure``: only what is missing); the linked
indicators take the shared definition as ``evaluation.shared`` writes it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from actions.models import ActionSheet
from conventions.models import Convention
from evaluation.models import Aggregation, Indicator, IndicatorKind, SharedIndicator
from evaluation.shared import definition_of

from .builder import DemoBuilder

d = datetime.date

SHARED = [
    {
        "code": "SDSF-PE-01",
        "name": "Taux de couverture petite enfance",
        "kind": IndicatorKind.CONTEXT,
        "unit": "places pour 100 enfants de moins de 3 ans",
        "source": "Cnaf — Cafdata (txcouv_pe_com)",
        "definition": "Places d'accueil formel (accueil collectif, assistants maternels, garde "
        "à domicile, préscolarisation) pour 100 enfants de moins de 3 ans.",
        "calculation_method": "Calcul de la Cnaf, publié chaque année par commune et par EPCI.",
        "verification_means": "Fichier Cafdata importé dans l'outil.",
        "known_limits": "Publié avec deux ans de décalage ; masqué pour les petits effectifs.",
        "aggregation": Aggregation.MEAN,
        "open_data_dataset": "txcouv_pe_com",
        "open_data_column": "txcouv_com",
        # Sorbiers: its own baseline and target
        "link": ((d(2026, 9, 1), "58.4"), (d(2030, 12, 31), "65")),
    },
    {
        "code": "SDSF-PE-02",
        "name": "Places d'accueil en EAJE",
        "kind": IndicatorKind.OUTPUT,
        "unit": "places",
        "source": "Cnaf — Cafdata (nbpla_pe_com)",
        "definition": "Places d'accueil collectif (EAJE) pour les enfants de moins de 3 ans.",
        "calculation_method": "Places agréées au 31 décembre, recensées par la Cnaf.",
        "verification_means": "Fichier Cafdata importé dans l'outil ; arrêtés d'agrément PMI.",
        "aggregation": Aggregation.SUM,
        "open_data_dataset": "nbpla_pe_com",
        "open_data_column": "pl_eaje_com",
        "link": ((d(2026, 9, 1), "36"), (d(2030, 12, 31), "48")),
    },
]


def seed_shared_indicators(b: DemoBuilder, convention: Convention) -> None:
    """The Caf's two shared indicators, linked on the convention's petite-enfance fiche."""
    sheet = (
        ActionSheet.objects.filter(convention=convention, thematic__code="petite-enfance")
        .order_by("number")
        .first()
    )
    for spec in SHARED:
        spec = dict(spec)
        (baseline_date, baseline), (target_date, target) = spec.pop("link")
        code = spec.pop("code")
        shared, _ = b.ensure(SharedIndicator, {"caf": convention.caf, "code": code}, spec)
        if sheet is None:
            continue
        b.ensure(
            Indicator,
            {"action_sheet": sheet, "shared": shared},
            {
                **definition_of(shared),
                "baseline_value": Decimal(baseline),
                "baseline_date": baseline_date,
                "target_value": Decimal(target),
                "target_date": target_date,
            },
        )
