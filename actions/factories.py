import datetime

import factory

from conventions.factories import ConventionFactory
from diagnostics.factories import thematic

from .models import ActionSheet, FundingLine, Objective


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    convention = factory.SubFactory(ConventionFactory)
    thematic = factory.LazyFunction(lambda: thematic("petite-enfance"))
    title = factory.Sequence(lambda n: f"Objectif {n}")


class ActionSheetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionSheet
        skip_postgeneration_save = True

    convention = factory.SubFactory(ConventionFactory)
    number = factory.Sequence(lambda n: f"FA-{n + 1:02d}")
    title = factory.Sequence(lambda n: f"Fiche action {n}")
    thematic = factory.LazyFunction(lambda: thematic("petite-enfance"))
    start_date = datetime.date(2022, 3, 1)
    end_date = datetime.date(2025, 6, 30)
    lead = "Coordinatrice CTG"

    class Params:
        # Ready to be submitted (actions.workflow.submission_gaps): its text, « sans
        # financement » and one indicator.
        ready = factory.Trait(
            description="Ouvrir un relais itinérant",
            target_public="Familles du territoire",
            no_funding=True,
            indicator=factory.RelatedFactory(
                "evaluation.factories.IndicatorFactory", factory_related_name="action_sheet"
            ),
        )


class FundingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingLine

    sheet = factory.SubFactory(ActionSheetFactory)
    funder = "Caf"
    year = 2023
    planned_amount = 10000
    spent_amount = 2500
