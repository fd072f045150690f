"""A cache that cannot lie: the plan's objectives and list of fiches are drawn once per key.

The key (``actions.views._plan_list_key``) holds the convention's versions, the thematics'
labels, the access flags that change the buttons and the query string. Each kind of write
shown on the list goes through its service, which bumps the convention's data version in
its transaction: the next view draws the list again. Every test compares the list served
with one drawn from scratch (cache emptied) at that moment.
"""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import services as action_services
from actions.factories import ActionSheetFactory, ObjectiveFactory
from actions.models import ActionSheet, Approval, Objective
from conventions.services.data_version import convention_data_changed
from diagnostics import services as diagnostic_services
from diagnostics.factories import DiagnosticFactory, FindingFactory, thematic

START = '<section class="card shadow-sm mb-3" aria-labelledby="h-objectifs">'
END = "</section>"


@pytest.fixture
def cached(settings):
    settings.FRAGMENT_CACHE_SECONDS = 3600
    cache.clear()


@pytest.fixture
def plan(world, cached):
    """One objective supported by a finding, a fiche ready to be submitted under it and a
    draft fiche of another thematic."""
    finding = FindingFactory(
        diagnostic=DiagnosticFactory(convention=world.convention), text="Peu de places"
    )
    objective = ObjectiveFactory(convention=world.convention, title="Accueillir les tout-petits")
    objective.findings.add(finding)
    world.finding = finding
    world.objective = objective
    world.sheet = ActionSheetFactory(
        ready=True,
        convention=world.convention,
        number="FA-01",
        title="Relais itinérant",
        objective=objective,
        lead="Pilote A",
    )
    world.draft = ActionSheetFactory(
        convention=world.convention,
        number="FA-02",
        title="Ludothèque",
        thematic=thematic("jeunesse"),
        lead="Pilote B",
    )
    return world


def list_served(client, convention, params=None) -> str:
    """The objectives and the fiches of the plan page (the cached part)."""
    response = client.get(reverse("actions:plan", args=[convention.pk]), params or {})
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index(START) : html.rindex(END) + len(END)]


def list_from_scratch(client, convention, params=None) -> str:
    cache.clear()
    return list_served(client, convention, params)


# --------------------------------------------------------------------------- the cache is used


def test_the_second_view_takes_the_list_from_the_cache(plan, login):
    client = login(plan.coordinator)
    with CaptureQueriesContext(connection) as first:
        drawn = list_served(client, plan.convention)
    # A write around the services (no version bumped) is not seen: the list is the cached one.
    ActionSheet.objects.filter(pk=plan.sheet.pk).update(title="Écrit en douce")
    with CaptureQueriesContext(connection) as second:
        served = list_served(client, plan.convention)
    assert served == drawn
    assert "Relais itinérant" in served
    # Sheets, their count, objectives, findings, leads and thematics are not read again.
    assert len(second.captured_queries) <= len(first.captured_queries) - 6


def test_a_view_from_the_cache_costs_the_same_queries_whatever_the_number_of_fiches(
    world, cached, login
):
    client = login(world.coordinator)
    warm = []
    for first, count in ((1, 3), (4, 30)):
        for i in range(first, first + count):
            ActionSheetFactory(convention=world.convention, number=f"FA-{i:02d}")
        convention_data_changed(convention_id=world.convention.pk)  # the factories do not
        with CaptureQueriesContext(connection) as cold:
            drawn = list_served(client, world.convention)
        with CaptureQueriesContext(connection) as queries:
            assert list_served(client, world.convention) == drawn
        # Sheets, their count, objectives, leads and thematics are not read again.
        assert len(queries.captured_queries) <= len(cold.captured_queries) - 5
        warm.append(len(queries.captured_queries))
    assert f"({first + count - 1})" in drawn
    assert warm[0] == warm[1]


# --------------------------------------------------------------------------- each kind of write


def new_fiche(world):
    action_services.action_sheet_save(
        convention=world.convention,
        by=world.coordinator,
        data={"title": "Point info familles", "thematic": thematic("parentalite")},
    )


def _save_sheet(world, data, **rows):
    sheet = ActionSheet.objects.get(pk=world.sheet.pk)
    action_services.action_sheet_save(
        convention=world.convention,
        by=world.caf_staff,
        sheet=sheet,
        revision=sheet.revision,
        data=data,
        **rows,
    )


def fiche_title(world):
    _save_sheet(world, {"title": "Relais petite enfance itinérant"})


def fiche_thematic(world):
    _save_sheet(world, {"thematic": thematic("jeunesse")})


def fiche_lead(world):
    _save_sheet(world, {"lead": "Pilote C"})


def fiche_funding(world):
    _save_sheet(
        world,
        {"no_funding": False},
        funding_lines=[
            {
                "funder": "Caf",
                "year": 2024,
                "planned_amount": Decimal("12345"),
                "spent_amount": Decimal("0"),
            }
        ],
    )


def fiche_submitted(world):
    action_services.action_sheet_submit(sheet=world.sheet, by=world.coordinator)


def opinions_validate(world):
    for seat in (world.caf_seat, world.territory_seat):
        action_services.approval_give(
            sheet=world.sheet, member=seat, decision=Approval.Decision.FAVORABLE
        )


def opinion_sends_back(world):
    action_services.approval_give(
        sheet=world.sheet,
        member=world.caf_seat,
        decision=Approval.Decision.TO_REVIEW,
        comment="Préciser le public visé.",
    )


def fiche_started(world):
    action_services.action_sheet_start(sheet=world.sheet, by=world.coordinator)


def fiche_abandoned(world):
    action_services.action_sheet_abandon(
        sheet=world.draft, by=world.coordinator, reason="Porté par la commune."
    )


def objective_edited(world):
    action_services.objective_save(
        convention=world.convention,
        by=world.coordinator,
        objective=Objective.objects.get(pk=world.objective.pk),
        data={"title": "Accueillir tous les tout-petits", "findings": [world.finding]},
    )


def objective_created(world):
    action_services.objective_save(
        convention=world.convention,
        by=world.coordinator,
        data={
            "title": "Soutenir les parents",
            "thematic": thematic("parentalite"),
            "level": Objective.Level.GENERAL,
        },
    )


def objective_deleted(world):
    action_services.objective_delete(
        objective=Objective.objects.get(pk=world.objective.pk), by=world.coordinator
    )


def finding_edited(world):
    finding = world.finding
    diagnostic_services.finding_update(
        finding=finding,
        thematic=finding.thematic,
        kind=finding.kind,
        text="Trop peu de places d'accueil",
        priority=finding.priority,
    )


def finding_deleted(world):
    diagnostic_services.finding_delete(finding=world.finding)


def thematic_renamed(world):
    # A national list edited in the admin (conventions.admin.ThematicAdmin): a plain save.
    t = thematic("jeunesse")
    t.label = "Jeunesse et citoyenneté"
    t.save()


def thematic_reordered(world):
    t = thematic("jeunesse")
    t.order = 0
    t.save()


# (what comes before, the write whose next view is checked)
WRITES = {
    "new_fiche": (None, new_fiche),
    "fiche_title": (None, fiche_title),
    "fiche_thematic": (None, fiche_thematic),
    "fiche_lead": (None, fiche_lead),
    "fiche_funding": (None, fiche_funding),
    "fiche_submitted": (None, fiche_submitted),
    "opinions_validate": (fiche_submitted, opinions_validate),
    "opinion_sends_back": (fiche_submitted, opinion_sends_back),
    "fiche_started": (opinions_validate, fiche_started),
    "fiche_abandoned": (None, fiche_abandoned),
    "objective_edited": (None, objective_edited),
    "objective_created": (None, objective_created),
    "objective_deleted": (None, objective_deleted),
    "finding_edited": (None, finding_edited),
    "finding_deleted": (None, finding_deleted),
    "thematic_renamed": (None, thematic_renamed),
    "thematic_reordered": (None, thematic_reordered),
}


@pytest.mark.parametrize("kind", list(WRITES))
@pytest.mark.parametrize("params", [{}, {"tri": "-thematic"}], ids=["plain", "sorted_by_thematic"])
def test_each_kind_of_write_changes_the_list_on_the_next_view(plan, login, kind, params):
    before, write = WRITES[kind]
    if before == opinions_validate:
        fiche_submitted(plan)
    if before:
        before(plan)
    client = login(plan.caf_staff)
    old = list_served(client, plan.convention, params)
    assert list_served(client, plan.convention, params) == old  # from the cache

    write(plan)

    served = list_served(client, plan.convention, params)
    assert served != old
    assert served == list_from_scratch(client, plan.convention, params)


# --------------------------------------------------------------------------- who and which list


@pytest.mark.parametrize(
    "first, then",
    [
        ("coordinator", "elected"),
        ("elected", "coordinator"),
        ("caf_staff", "coordinator"),
        ("coordinator", "caf_staff"),
    ],
)
def test_users_with_other_rights_do_not_share_a_rendering(plan, login, first, then):
    list_served(login(getattr(plan, first)), plan.convention)
    client = login(getattr(plan, then))
    served = list_served(client, plan.convention)
    assert served == list_from_scratch(client, plan.convention)
    can_edit = then != "elected"
    assert ("Nouvelle fiche" in served) is can_edit
    assert ("Nouvel objectif" in served) is can_edit
    assert ("Importer un plan" in served) is (then == "caf_staff")


def test_each_filter_sort_and_page_has_its_own_rendering(plan, login):
    for i in range(30):
        ActionSheetFactory(convention=plan.convention, number=f"FA-{i + 10:02d}", lead="Pilote Z")
    client = login(plan.coordinator)
    queries = [
        {},
        {"q": "Ludothèque"},
        {"statut": ActionSheet.Status.DRAFT},
        {"pilote": "Pilote A"},
        {"thematique": str(thematic("jeunesse").pk)},
        {"tri": "-number"},
        {"page": "2"},
        {"page": "2", "tri": "-number"},
        {"q": "Ludothèque", "x": "<script>"},
    ]
    served = {}
    for params in queries:
        served[str(params)] = list_served(client, plan.convention, params)
    assert len(set(served.values())) == len(queries)
    for params in queries:
        assert served[str(params)] == list_from_scratch(client, plan.convention, params)


@pytest.mark.parametrize(
    "params", [{"q": "Relais"}, {"tri": "title", "utm_source": "courriel"}], ids=["search", "other"]
)
def test_a_search_or_an_unknown_parameter_is_drawn_at_each_view(plan, login, params):
    # Free text and unknown parameters make pages seen once: kept, they would fill the cache.
    client = login(plan.coordinator)
    list_served(client, plan.convention, params)
    ActionSheet.objects.filter(pk=plan.sheet.pk).update(title="Relais écrit en douce")
    assert "Relais écrit en douce" in list_served(client, plan.convention, params)
