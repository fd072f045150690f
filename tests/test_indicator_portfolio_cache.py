"""A cache that cannot lie: the indicator page and the Caf portfolio (bench/, issue #20).

- the indicator page of those who do not edit it is drawn once per version of the
  convention's data (its indicator, targets, reference sheet, fiche, measurements) and of its
  activity (the communes of the table by commune), day, person and rights
  (``evaluation.indicator_views``);
- the portfolio's table is drawn once per day, Caf, filters, sort, page and state of the
  Caf's conventions (``evaluation.portfolio.portfolio_state``: their versions, phases and
  renewal flags).

Each kind of write goes through its service; the next view must be the page drawn from
scratch at that moment (the cache switched off), and differ from the page before the write.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import services as action_services
from actions.factories import ActionSheetFactory
from conventions.factories import CafFactory, CollectivityFactory, ConventionFactory
from conventions.models import Convention, Side
from conventions.services import convention as convention_services
from conventions.services import governance
from conventions.services.signatory import signatory_create
from evaluation import reference
from evaluation import services as evaluation_services
from evaluation.factories import IndicatorFactory
from evaluation.models import Breakdown, Indicator
from tests import test_fragment_cache

PORTFOLIO = reverse("evaluation:portfolio")

# The day (28 November 2026, moved by ``today``), the cache switched on (``cached``) and
# ``plan``: the world's convention running from 2025 to 2027 with one fiche, its indicator
# (0 → 100 places by the end of 2027) and a funding line.
today = test_fragment_cache.today
cached = test_fragment_cache.cached
plan = test_fragment_cache.plan


def indicator_of(world) -> Indicator:
    return Indicator.objects.get(action_sheet=world.sheet, name="Places ouvertes")


def same_drawing(html: str) -> str:
    """What changes at each request without any write: chart ids (each chart takes the
    next id of its process) and the masked CSRF tokens."""
    return re.sub(r'chart\d+|name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def served(client, url, params=None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200
    return same_drawing(response.content.decode())


def from_scratch(client, settings, url, params=None) -> str:
    """The same page drawn with the cache switched off."""
    timeout = settings.FRAGMENT_CACHE_SECONDS
    settings.FRAGMENT_CACHE_SECONDS = 0
    try:
        return served(client, url, params)
    finally:
        settings.FRAGMENT_CACHE_SECONDS = timeout


def check_the_next_view(client, settings, url, write, world, params=None):
    """The page before the write (the second view from the cache) and after it: each is
    the page drawn from scratch, and the write changed it."""
    before = from_scratch(client, settings, url, params)
    assert served(client, url, params) == before
    assert served(client, url, params) == before  # now from the cache
    write(world)
    after = from_scratch(client, settings, url, params)
    assert after != before
    assert served(client, url, params) == after
    return after


# ------------------------------------------------------------------------------ writes


# Writes shared with the Synthèse's tests: a measurement (60 in mid-2026, ahead of the
# expected line), one typed by the territory then validated, a fiche submitted then
# validated, a new fiche, the convention's end moved.
measurement = test_fragment_cache.measurement
measurement_typed_by_the_territory = test_fragment_cache.measurement_typed_by_the_territory
measurement_validated = test_fragment_cache.measurement_validated
fiche_submitted = test_fragment_cache.fiche_submitted
fiche_validated = test_fragment_cache.fiche_validated
new_fiche = test_fragment_cache.new_fiche
convention_dates = test_fragment_cache.convention_dates


def late_measurement(world, user=None):
    """20 places in mid-2026, half-way: late (the portfolio counts late indicators)."""
    evaluation_services.record_measurement(
        indicator=indicator_of(world),
        date=datetime.date(2026, 6, 30),
        value=Decimal("20"),
        user=user or world.caf_staff,
    )


def late_measurement_typed_by_the_territory(world):
    late_measurement(world, user=world.coordinator)  # waits for the Caf's validation


def period_locked(world):
    evaluation_services.period_lock_create(
        convention=world.convention,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 12, 31),
        label="Bilan 2026",
        reference="rapport:2026",
        by=world.caf_staff,
    )


def yearly_targets(world):
    # The expected line at 70 then 95 by the end of 2026: 60 in mid-2026 is late.
    reference.indicator_targets_save(
        indicator=indicator_of(world),
        targets=[(2025, Decimal(70)), (2026, Decimal(95))],
        user=world.caf_staff,
    )


def reference_sheet(world):
    reference.indicator_reference_update(
        indicator=indicator_of(world),
        data={"definition": "Places d'accueil agréées au 31 décembre."},
        user=world.caf_staff,
    )


def indicator_renamed_and_retargeted(world):
    # 60 of 200: late.
    test_fragment_cache._save_sheet(
        world, indicator={"name": "Places ouvertes", "target_value": Decimal("200")}
    )


def fiche_renamed(world):
    sheet = world.sheet
    sheet.refresh_from_db()
    action_services.action_sheet_save(
        convention=world.convention,
        by=world.caf_staff,
        sheet=sheet,
        revision=sheet.revision,
        data={"title": "Relais petite enfance"},
    )


def convention_renamed(world):
    convention = Convention.objects.get(pk=world.convention.pk)
    convention_services.convention_update(
        convention=convention,
        data={"name": "CTG des Deux Rives et du Viaur"},
        expected_version=convention.version,
        by=world.caf_staff,
    )


def phase_change(world):
    convention_services.convention_advance(
        convention=Convention.objects.get(pk=world.convention.pk),
        to_phase=Convention.Phase.EVALUATION,
        by=world.caf_staff,
        reason="Bilan à mi-parcours",
    )


def new_convention(world):
    convention_services.convention_create(
        data={
            "caf": world.caf,
            "name": "CTG du Quercy vert",
            "start_date": datetime.date(2026, 1, 1),
            "end_date": datetime.date(2029, 12, 31),
        },
        by=world.caf_staff,
    )


def renewal_prepared(world):
    convention_services.convention_prepare_renewal(
        convention=Convention.objects.get(pk=world.convention.pk), by=world.caf_staff
    )


def committee_member_added(world):
    governance.committee_member_add(
        committee=world.committee, side=Side.CAF, name="Nadia Caf", function="Conseillère"
    )


def committee_member_moved(world):
    governance.committee_member_update(
        member=world.territory_seat, side=Side.CAF, name="Maud Territoire"
    )


def committee_member_removed(world):
    governance.committee_member_remove(member=world.territory_seat)


# ------------------------------------------------------------------------ indicator page


def indicator_url(world, indicator=None) -> str:
    return reverse(
        "evaluation:indicator", args=[world.convention.pk, (indicator or indicator_of(world)).pk]
    )


INDICATOR_WRITES = {
    "measurement": (None, measurement),
    "measurement_validated": (measurement_typed_by_the_territory, measurement_validated),
    "period_locked": (measurement, period_locked),
    "yearly_targets": (measurement, yearly_targets),
    "reference_sheet": (None, reference_sheet),
    "indicator_renamed_and_retargeted": (measurement, indicator_renamed_and_retargeted),
    "fiche_renamed": (None, fiche_renamed),
    "convention_renamed": (None, convention_renamed),
    "convention_dates": (None, convention_dates),
}


@pytest.mark.parametrize("kind", INDICATOR_WRITES)
@pytest.mark.parametrize("reader", ["elected", "member_caf"])
def test_each_kind_of_write_changes_the_indicator_page_on_the_next_view(
    plan, login, settings, kind, reader
):
    setup, write = INDICATOR_WRITES[kind]
    if setup:
        setup(plan)
    client = login(getattr(plan, reader))
    check_the_next_view(client, settings, indicator_url(plan), write, plan)


def test_the_indicator_page_follows_the_day(plan, login, settings, today):
    """The expected share of an indicator without measurement moves with time alone."""
    client = login(plan.elected)
    url = indicator_url(plan)
    before = served(client, url)
    today["today"] = datetime.date(2027, 3, 31)
    after = from_scratch(client, settings, url)
    assert after != before
    assert served(client, url) == after


def test_the_table_by_commune_follows_a_new_signatory_commune(plan, login, settings):
    indicator = IndicatorFactory(
        action_sheet=plan.sheet,
        name="Places par commune",
        breakdown=Breakdown.COMMUNE,
        aggregation="somme",
    )
    varen = CollectivityFactory(name="Varen", code="82190", caf=plan.caf)

    def commune_signs(world):
        signatory_create(
            convention=world.convention, data={"collectivity": varen}, by=world.caf_staff
        )

    client = login(plan.elected)
    html = check_the_next_view(
        client, settings, indicator_url(plan, indicator), commune_signs, plan
    )
    assert "pour les 2 communes du territoire" in html  # Laguépie and Varen


def warm_and_drawn(client, url) -> tuple[str, list, list]:
    """The page, the queries of its view from the cache and of its view drawn again."""
    first = served(client, url)
    with CaptureQueriesContext(connection) as warm:
        assert served(client, url) == first
    cache.clear()
    with CaptureQueriesContext(connection) as drawn:
        served(client, url)
    return first, [q["sql"] for q in warm.captured_queries], drawn.captured_queries


def test_the_indicator_page_is_read_from_the_cache_without_the_indicator(plan, login):
    measurement(plan)
    html, warm, drawn = warm_and_drawn(login(plan.elected), indicator_url(plan))
    assert "Places ouvertes" in html
    # Neither the read model, the indicator, its measurements, locks nor targets are read.
    assert len(warm) <= len(drawn) - 5
    assert not any("evaluation_" in sql for sql in warm)


def test_each_person_and_right_gets_their_own_rendering(plan, login, settings):
    measurement(plan)
    url = indicator_url(plan)
    for user in (plan.elected, plan.member_caf, plan.coordinator, plan.caf_staff):
        client = login(user)
        served(client, url)  # drawn, then cached under its own key
    for user in (plan.elected, plan.member_caf, plan.coordinator, plan.caf_staff):
        client = login(user)
        assert served(client, url) == from_scratch(client, settings, url)
    assert "Enregistrer la mesure" in served(login(plan.coordinator), url)
    assert "Enregistrer la mesure" not in served(login(plan.elected), url)


def test_an_indicator_of_another_convention_stays_a_404(plan, login):
    other_sheet = ActionSheetFactory(ready=True, indicator=None, convention=plan.other_convention)
    other = IndicatorFactory(action_sheet=other_sheet, name="Ailleurs")
    client = login(plan.elected)
    served(client, indicator_url(plan))
    for _ in range(2):
        assert client.get(indicator_url(plan, other)).status_code == 404
    assert client.post(indicator_url(plan), {}).status_code == 403


# ---------------------------------------------------------------------------- portfolio


PORTFOLIO_WRITES = {
    "measurement": (None, late_measurement),
    "measurement_validated": (late_measurement_typed_by_the_territory, measurement_validated),
    "yearly_targets": (measurement, yearly_targets),
    "indicator_retargeted": (measurement, indicator_renamed_and_retargeted),
    "fiche_validated": (fiche_submitted, fiche_validated),
    "new_fiche": (None, new_fiche),
    "convention_renamed": (None, convention_renamed),
    "convention_dates": (None, convention_dates),
    "phase_change": (None, phase_change),
    "new_convention": (None, new_convention),
    "renewal_prepared": (None, renewal_prepared),
    "committee_member_added": (None, committee_member_added),
    "committee_member_moved": (None, committee_member_moved),
    "committee_member_removed": (None, committee_member_removed),
}


@pytest.mark.parametrize("kind", PORTFOLIO_WRITES)
def test_each_kind_of_write_changes_the_portfolio_on_the_next_view(plan, login, settings, kind):
    setup, write = PORTFOLIO_WRITES[kind]
    if setup:
        setup(plan)
    check_the_next_view(login(plan.caf_staff), settings, PORTFOLIO, write, plan)


@pytest.mark.parametrize(
    "params",
    [{}, {"tri": "retard"}, {"tri": "validees"}, {"renouvellement": "1"}, {"phase": "evaluation"}],
)
def test_the_filtered_and_sorted_portfolio_follows_a_write(plan, login, settings, params):
    measurement(plan)
    check_the_next_view(login(plan.caf_staff), settings, PORTFOLIO, phase_change, plan, params)


def test_the_portfolio_follows_the_day(plan, login, settings, today):
    """A convention ends with time alone (its badge), nothing else changing: due for
    renewal before and after."""
    Convention.objects.filter(pk=plan.convention.pk).update(end_date=datetime.date(2027, 6, 30))
    measurement(plan)
    client = login(plan.caf_staff)
    before = served(client, PORTFOLIO)
    today["today"] = datetime.date(2027, 7, 15)
    after = from_scratch(client, settings, PORTFOLIO)
    assert after != before
    assert served(client, PORTFOLIO) == after


def test_filters_sorts_pages_and_cafs_do_not_share_a_rendering(plan, login, settings):
    for n in range(30):
        ConventionFactory(
            caf=plan.caf,
            name=f"CTG n° {n:02d}",
            start_date=datetime.date(2024, 1, 1),
            end_date=datetime.date(2028, 1, 1) + datetime.timedelta(days=n),
        )
    measurement(plan)
    views = [
        (plan.caf_staff, {}),
        (plan.caf_staff, {"page": "2"}),
        (plan.caf_staff, {"page": "99"}),  # the last page
        (plan.caf_staff, {"tri": "nom"}),
        (plan.caf_staff, {"tri": "-fin"}),
        (plan.caf_staff, {"tri": "retard"}),
        (plan.caf_staff, {"tri": "validees", "page": "2"}),
        (plan.caf_staff, {"renouvellement": "1"}),
        (plan.caf_staff, {"phase": "diagnostic"}),
        (plan.other_caf_staff, {}),
        (plan.superuser, {}),
        (plan.superuser, {"page": "2"}),
    ]
    for user, params in views:
        served(login(user), PORTFOLIO, params)
    pages = set()
    for user, params in views:
        client = login(user)
        html = served(client, PORTFOLIO, params)
        assert html == from_scratch(client, settings, PORTFOLIO, params)
        pages.add(html)
    assert len(pages) == len(views) - 1  # page 99 is page 2
    other = served(login(plan.other_caf_staff), PORTFOLIO)
    assert "CTG de Sorbiers" in other and "CTG des Deux Rives" not in other


def test_a_superuser_sees_a_caf_renamed(plan, login, settings):
    def caf_renamed(world):
        world.caf.name = "Caf du Tarn-et-Garonne (82)"
        world.caf.save()

    html = check_the_next_view(login(plan.superuser), settings, PORTFOLIO, caf_renamed, plan)
    assert "Caf du Tarn-et-Garonne (82)" in html


def test_the_portfolio_is_read_from_the_cache_without_its_rows(plan, login):
    measurement(plan)
    CafFactory()  # a Caf without convention: nothing changes
    html, warm, drawn = warm_and_drawn(login(plan.caf_staff), PORTFOLIO)
    assert "CTG des Deux Rives" in html
    # The rows (with their fiches and committees) and their read model are not read.
    assert len(warm) <= len(drawn) - 2
    assert not any("actions_actionsheet" in sql or "evaluation_" in sql for sql in warm)
