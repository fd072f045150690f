"""The scale data generator at a tiny size: consistent data, reuse, reset."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from actions.models import ActionSheet, Approval, FundingLine
from bench import scale, scale_data
from conventions.models import (
    Caf,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Side,
    Signatory,
    User,
    siren_is_valid,
)
from diagnostics.models import StatisticDefinition, TerritoryStatistic
from evaluation.models import Indicator, Measurement


def _scale_conventions():
    return Convention.objects.filter(caf__in=scale.scale_cafs())


@pytest.fixture
def small_scale(db):
    out = StringIO()
    call_command("generate_scale_data", "--conventions", "3", "--seed", "7", stdout=out)
    return out.getvalue()


def test_it_prints_what_it_created_and_how_long_it_took(small_scale):
    assert "Jeu d'échelle créé en" in small_scale
    assert "evaluation.Measurement" in small_scale
    assert "conventions.Convention " in small_scale


def test_it_creates_the_requested_conventions_with_proportional_contents(small_scale):
    conventions = _scale_conventions()
    assert conventions.count() == 3
    cafs = scale.scale_cafs()
    assert cafs.count() == 1
    assert all(c.name.startswith("Caf ") and c.name.endswith("(jeu d'échelle)") for c in cafs)
    sheets = dict(conventions.annotate(n=Count("action_sheets")).values_list("pk", "n"))
    counts = sorted(sheets.values())
    assert counts[-1] == 40  # the largest convention
    assert all(10 <= n <= 30 for n in counts[:-1])
    n_sheets = sum(counts)
    n_indicators = Indicator.objects.filter(action_sheet__convention__in=conventions).count()
    assert 3 * n_sheets <= n_indicators <= 5 * n_sheets
    # Every convention has signatories, a COPIL and a technical committee with both sides.
    for convention in conventions:
        assert convention.signatories.filter(caf__isnull=False).count() == 1
        assert convention.signatories.filter(role=Signatory.Role.LEAD).count() == 1
        kinds = set(convention.committees.values_list("kind", flat=True))
        assert kinds == {Committee.Kind.COPIL, Committee.Kind.TECHNICAL}
        for committee in convention.committees.all():
            sides = set(committee.members.values_list("side", flat=True))
            assert sides == {Side.CAF, Side.TERRITORY}
        assert 4 <= convention.duration_years <= 5.1
    measured = Measurement.objects.filter(indicator__action_sheet__convention__in=conventions)
    assert measured.count() > n_indicators  # several measurements per indicator
    assert FundingLine.objects.filter(sheet__convention__in=conventions).exists()
    assert Approval.objects.filter(sheet__convention__in=conventions).exists()
    definitions = StatisticDefinition.objects.count()
    assert definitions >= 5  # from the data migration
    epci = Collectivity.objects.filter(caf__in=cafs, kind=Collectivity.Kind.EPCI).first()
    assert TerritoryStatistic.objects.filter(collectivity=epci).count() == definitions * 3


def test_its_data_satisfies_the_model_rules(small_scale):
    cafs = scale.scale_cafs()
    connection.check_constraints()  # no dangling foreign key
    for caf in cafs:
        caf.full_clean()
        for collectivity in caf.collectivities.all():
            collectivity.full_clean()
            if collectivity.kind == Collectivity.Kind.EPCI:
                assert siren_is_valid(collectivity.code)
            else:
                assert collectivity.code.startswith(caf.department_code)
    for convention in _scale_conventions():
        convention.full_clean()
        for signatory in convention.signatories.all():
            signatory.full_clean()
    sheets = ActionSheet.objects.filter(convention__caf__in=cafs)
    for sheet in sheets.select_related("objective")[:200]:
        sheet.full_clean()
    for indicator in Indicator.objects.filter(action_sheet__in=sheets)[:300]:
        indicator.full_clean()
    # One measurement per indicator and date; each within the convention's period.
    duplicates = (
        Measurement.objects.values("indicator_id", "date").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert not duplicates.exists()
    today = datetime.date.today()
    measurements = Measurement.objects.select_related(
        "indicator__action_sheet__convention", "indicator__objective__convention"
    ).order_by("pk")[:500]
    for m in measurements:
        holder = m.indicator.action_sheet or m.indicator.objective
        convention = holder.convention
        assert convention.start_date <= m.date <= min(convention.end_date, today)
    # Validated fiches carry favourable opinions from both sides.
    for sheet in sheets.filter(status=ActionSheet.Status.VALIDATED)[:20]:
        sides = set(sheet.approvals.values_list("member__side", flat=True))
        assert sides == {Side.CAF, Side.TERRITORY}


def test_it_creates_the_bench_users_around_the_largest_convention(small_scale):
    users = {key: User.objects.get(email=email) for key, email in scale_data.BENCH_EMAILS.items()}
    largest = _scale_conventions().annotate(n=Count("action_sheets")).order_by("-n").first()
    assert users["caf_staff"].caf_id == largest.caf_id
    assert largest.signatories.filter(collectivity=users["coordinator"].collectivity).exists()
    assert users["elected"].role == User.Role.ELECTED
    assert CommitteeMember.objects.filter(
        user=users["member"], committee__convention=largest
    ).exists()


def test_it_is_deterministic_with_the_seed(db):
    scale.generate(conventions=2, seed=11)
    first = list(
        ActionSheet.objects.order_by("convention__name", "number").values_list(
            "number", "title", "status"
        )
    )
    scale.reset()
    scale.generate(conventions=2, seed=11)
    again = list(
        ActionSheet.objects.order_by("convention__name", "number").values_list(
            "number", "title", "status"
        )
    )
    assert first == again


def test_a_second_run_reuses_the_existing_data(small_scale):
    before = Measurement.objects.count()
    out = StringIO()
    call_command("generate_scale_data", "--conventions", "3", stdout=out)
    assert "réutilisé" in out.getvalue()
    assert Measurement.objects.count() == before
    assert _scale_conventions().count() == 3


def test_reset_removes_only_the_scale_data(world, small_scale):
    world_conventions = set(Convention.objects.exclude(caf__in=scale.scale_cafs()))
    world_users = set(User.objects.exclude(email__endswith=scale.EMAIL_DOMAIN))
    world_cafs = set(Caf.objects.exclude(name__endswith=scale.SUFFIX))
    assert world_conventions and world_cafs
    out = StringIO()
    call_command("generate_scale_data", "--conventions", "2", "--reset", stdout=out)
    assert "Jeu d'échelle supprimé" in out.getvalue()
    assert _scale_conventions().count() == 2  # rebuilt at the new size
    scale.reset()
    assert not scale.scale_cafs().exists()
    assert not Measurement.objects.exists()
    assert not User.objects.filter(email__endswith=scale.EMAIL_DOMAIN).exists()
    assert set(Convention.objects.all()) == world_conventions
    assert set(User.objects.all()) == world_users
    assert set(Caf.objects.all()) == world_cafs
    assert world.convention.signatories.count() == 3
    connection.check_constraints()


def test_it_skips_departements_and_codes_already_used(world):
    scale.generate(conventions=2, seed=3)
    codes = list(Caf.objects.values_list("department_code", flat=True))
    assert len(codes) == len(set(codes))
    assert Caf.objects.get(department_code="82").name == "Caf de Tarn-et-Garonne"
