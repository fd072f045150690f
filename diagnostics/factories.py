import importlib

import factory

from conventions.factories import CollectivityFactory, ConventionFactory
from conventions.models import Thematic

from .models import Diagnostic, Finding, StatisticDefinition, TerritoryStatistic


def ensure_reference_data() -> None:
    """Reload the thematics and statistic definitions of the data migration if they are
    missing (a transactional test, e.g. one with a live server, flushes the database)."""
    if Thematic.objects.exists() and StatisticDefinition.objects.exists():
        return
    from django.apps import apps

    migration = importlib.import_module("diagnostics.migrations.0002_reference_thematics")
    migration.load(apps, None)


def thematic(code: str) -> Thematic:
    """A thematic of the reference list loaded by the data migration."""
    ensure_reference_data()
    return Thematic.objects.get(code=code)


def statistic_definition(code: str) -> StatisticDefinition:
    ensure_reference_data()
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
