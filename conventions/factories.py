import datetime

import factory

from .models import (
    Caf,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Meeting,
    Side,
    Signatory,
    User,
)


class CafFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Caf
        django_get_or_create = ("department_code",)

    name = factory.Sequence(lambda n: f"Caf n°{n}")
    department_code = factory.Sequence(lambda n: f"{(n % 89) + 1:02d}")


class CollectivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collectivity

    kind = Collectivity.Kind.COMMUNE
    name = factory.Sequence(lambda n: f"Commune {n}")
    code = factory.Sequence(lambda n: f"{10000 + n:05d}")
    population = 2500
    caf = factory.SubFactory(CafFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    role = User.Role.OTHER
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-test")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class ConventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Convention

    caf = factory.SubFactory(CafFactory)
    name = factory.Sequence(lambda n: f"CTG du territoire {n}")
    start_date = datetime.date(2022, 1, 1)
    end_date = datetime.date(2025, 12, 31)
    phase = Convention.Phase.IMPLEMENTATION


class SignatoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signatory

    convention = factory.SubFactory(ConventionFactory)
    collectivity = factory.SubFactory(
        CollectivityFactory, caf=factory.SelfAttribute("..convention.caf")
    )
    representative_name = "Dominique Durand"
    representative_title = "Maire"


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    convention = factory.SubFactory(ConventionFactory)
    kind = Committee.Kind.COPIL
    name = "Comité de pilotage"


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMember

    committee = factory.SubFactory(CommitteeFactory)
    side = Side.CAF
    name = factory.Sequence(lambda n: f"Membre {n}")
    function = "Chargé·e de mission"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    committee = factory.SubFactory(CommitteeFactory)
    date = factory.LazyFunction(lambda: datetime.datetime(2024, 6, 15, 14, 0, tzinfo=datetime.UTC))
    agenda = "Bilan annuel"
