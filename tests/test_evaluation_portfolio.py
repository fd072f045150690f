"""The Caf portfolio: every convention of the Caf, filters, sort, query counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from conventions.factories import CommitteeFactory, CommitteeMemberFactory, ConventionFactory
from conventions.models import Convention, Side
from evaluation import readmodel
from tests.evaluation_data import populate

URL = reverse("evaluation:portfolio")


def test_caf_staff_see_every_convention_of_their_caf_only(world, login):
    response = login(world.caf_staff).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "CTG des Deux Rives" in html
    assert "CTG de Sorbiers" not in html
    assert "Portefeuille" in html


@pytest.mark.parametrize(
    "role", ["coordinator", "elected", "member_caf", "member_territory", "outsider"]
)
def test_the_portfolio_is_forbidden_to_everyone_but_caf_staff(world, login, role):
    assert login(getattr(world, role)).get(URL).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_menu_shows_the_portfolio_to_caf_staff_only(world, login):
    assert (
        'href="/portefeuille/"'
        in login(world.caf_staff).get(reverse("conventions:list")).content.decode()
    )
    assert (
        'href="/portefeuille/"'
        not in login(world.elected).get(reverse("conventions:list")).content.decode()
    )


def test_each_row_has_validated_fiches_late_indicators_renewal_and_parity(world, login):
    populate(world.convention, sheets=5)
    today = timezone.localdate()
    ending = ConventionFactory(
        caf=world.caf,
        name="CTG qui s'achève",
        start_date=today - datetime.timedelta(days=1000),
        end_date=today + datetime.timedelta(days=100),
    )
    committee = CommitteeFactory(convention=ending)
    CommitteeMemberFactory(committee=committee, side=Side.CAF)
    CommitteeMemberFactory(committee=committee, side=Side.CAF)
    CommitteeMemberFactory(committee=committee, side=Side.TERRITORY)

    client = login(world.caf_staff)
    page = client.get(URL).context["page"]
    rows = {c.name: c for c in page.object_list}
    main = rows["CTG des Deux Rives"]
    assert main.sheet_count == 5 and main.validated_count == 3
    assert main.validated_pct == pytest.approx(60.0)
    assert main.indicator_count == 6
    assert main.late_count >= 1 and main.late_pct == pytest.approx(main.late_count * 100 / 6)
    assert main.unbalanced_committees == 0  # one seat per side in the world's COPIL
    assert rows["CTG qui s'achève"].renewal_due is True
    assert rows["CTG qui s'achève"].unbalanced_committees == 1
    assert rows["CTG qui s'achève"].validated_pct is None

    html = client.get(URL).content.decode()
    assert "À renouveler" in html  # the renewal badge of the list and the header
    assert "60\xa0%" in html


def test_filters_by_phase_and_renewal_and_sorts(world, login):
    today = timezone.localdate()
    ConventionFactory(
        caf=world.caf,
        name="CTG en diagnostic",
        phase=Convention.Phase.DIAGNOSTIC,
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=1500),
    )
    ConventionFactory(
        caf=world.caf,
        name="CTG à renouveler",
        start_date=today - datetime.timedelta(days=1400),
        end_date=today + datetime.timedelta(days=60),
    )
    client = login(world.caf_staff)

    def names(**params):
        return [c.name for c in client.get(URL, params).context["page"].object_list]

    assert names(phase="diagnostic") == ["CTG en diagnostic"]
    # The world's convention ended in 2025 and is still in mise en œuvre: ended first.
    assert names(renouvellement="1") == ["CTG des Deux Rives", "CTG à renouveler"]
    assert names(tri="nom")[1:] == sorted(names(tri="nom")[1:])
    assert names(tri="fin")[0] == "CTG des Deux Rives"  # ends 2025, before the others
    assert names(tri="-fin")[:2] == ["CTG des Deux Rives", "CTG en diagnostic"]
    assert names(phase="inconnue") == names()  # an unknown phase is ignored


def test_a_superuser_sees_every_caf(world, login):
    html = login(world.superuser).get(URL).content.decode()
    assert "CTG des Deux Rives" in html and "CTG de Sorbiers" in html


def test_the_phase_chart_is_an_svg_image_with_its_table(world, login):
    html = login(world.caf_staff).get(URL).content.decode()
    assert 'role="img"' in html and "Conventions de la Caf par phase" in html
    assert '<details class="chart-data' in html


@pytest.mark.parametrize("size", [5, 200])
def test_the_portfolio_runs_a_fixed_number_of_queries(
    world, login, size, django_assert_max_num_queries
):
    # Many conventions, each with fiches and indicators.
    conventions = Convention.objects.bulk_create(
        Convention(
            caf=world.caf,
            name=f"CTG n° {n}",
            start_date=datetime.date(2022, 1, 1),
            end_date=datetime.date(2026, 6, 30),
        )
        for n in range(size // 5)
    )
    for n, convention in enumerate(conventions[:3]):
        populate(convention, sheets=size // 3 + 1, prefix=f"C{n}")
    # The conventions above bypass the services: their progress read model is built as the
    # daily task leaves it (a stale one costs a fixed refresh: test_progress_read_model).
    readmodel.progress_rebuild()
    client = login(world.caf_staff)
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"tri": "retard"})
    assert response.status_code == 200


def test_it_sorts_by_share_of_fiches_validated_and_of_indicators_late(world, login):
    populate(world.convention, sheets=5)  # 3 of 5 fiches validated, some indicators late
    today = timezone.localdate()
    ConventionFactory(
        caf=world.caf,
        name="CTG sans fiche",
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=1500),
    )
    client = login(world.caf_staff)

    def rows(tri):
        return client.get(URL, {"tri": tri}).context["page"].object_list

    by_validated = rows("validees")
    # Ascending, conventions without fiche (no share) last.
    assert [c.name for c in by_validated] == ["CTG des Deux Rives", "CTG sans fiche"]
    assert by_validated[0].validated_pct == pytest.approx(60.0)
    by_late = rows("retard")
    assert by_late[0].name == "CTG des Deux Rives" and by_late[0].late_pct > 0
    assert by_late[-1].late_pct is None
