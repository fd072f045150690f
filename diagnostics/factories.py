import factory

from conventions.factories import CollectivityFactory, ConventionFactory
from conventions.models import Thematic

from .models import Diagnostic, Finding, StatisticDefinition, TerritoryStatistic
from .services import reference_data_ensure


def thematic(code: str) -> Thematic:
    """A thematic of the reference list loaded by the data migration."""
    reference_data_ensure()
    return Thematic.objects.get(code=code)


def statistic_definition(code: str) -> StatisticDefinition:
    reference_data_ensure()
    return StatisticDefinition.objects.get(code=code)


class DiagnosticFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Diagnostic

    convention = factory.SubFactory(ConventionFactory)
    method = "Diagnostic participatif"


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    diagnostic = factory.SubFactory(DiagnosticFactory)
    thematic = factory.LazyFunction(lambda: thematic("petite-enfance"))
    kind = Finding.Kind.NEED
    text = "Manque de places d'accueil du jeune enfant"


class TerritoryStatisticFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TerritoryStatistic

    collectivity = factory.SubFactory(CollectivityFactory)
    statistic = factory.LazyFunction(lambda: statistic_definition("allocataires"))
    year = 2023
    value = 1200
