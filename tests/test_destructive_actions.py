"""Destructive actions ask first, only the right role may confirm, and the audit history
cannot be changed from any screen.

Conventions and fiches action are never deleted: a convention ends through its lifecycle,
a fiche is « abandonnée » (with a reason); the admin refuses to delete either.
"""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from actions.factories import ActionSheetFactory, ObjectiveFactory
from actions.models import ActionSheet, Objective
from conventions.factories import MeetingFactory, SignatoryFactory
from conventions.models import Committee, CommitteeMember, Convention, Meeting, Signatory
from diagnostics.factories import DiagnosticFactory, FindingFactory, TerritoryStatisticFactory
from diagnostics.models import Finding, TerritoryStatistic
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Indicator, Measurement
from tests.form_data import initial_data


def _committee_delete(world):
    committee = Committee.objects.create(convention=world.convention, name="Comité technique")
    url = reverse("conventions:committee_delete", args=[world.convention.pk, committee.pk])
    return url, committee


def _member_delete(world):
    seat = world.territory_seat
    args = [world.convention.pk, world.committee.pk, seat.pk]
    return reverse("conventions:member_delete", args=args), seat


def _meeting_delete(world):
    meeting = MeetingFactory(committee=world.committee)
    args = [world.convention.pk, world.committee.pk, meeting.pk]
    return reverse("conventions:meeting_delete", args=args), meeting


def _signatory_delete(world):
    signatory = SignatoryFactory(convention=world.convention, collectivity=world.other_commune)
    args = [world.convention.pk, signatory.pk]
    return reverse("conventions:signatory_delete", args=args), signatory


def _objective_delete(world):
    objective = ObjectiveFactory(convention=world.convention)
    args = [world.convention.pk, objective.pk]
    return reverse("actions:objective_delete", args=args), objective


def _finding_delete(world):
    finding = FindingFactory(diagnostic=DiagnosticFactory(convention=world.convention))
    args = [world.convention.pk, finding.pk]
    return reverse("diagnostics:finding_delete", args=args), finding


def _statistic_delete(world):
    statistic = TerritoryStatisticFactory(collectivity=world.commune)
    args = [world.convention.pk, statistic.pk]
    return reverse("diagnostics:statistic_delete", args=args), statistic


def _measurement_delete(world):
    sheet = ActionSheetFactory(convention=world.convention)
    measurement = MeasurementFactory(indicator=IndicatorFactory(action_sheet=sheet))
    args = [world.convention.pk, measurement.pk]
    return reverse("evaluation:measurement_delete", args=args), measurement


# (builder, model, the role that may delete, a role of the convention that may not)
DESTRUCTIVE = [
    (_committee_delete, Committee, "caf_staff", "coordinator"),
    (_member_delete, CommitteeMember, "caf_staff", "member_caf"),
    (_meeting_delete, Meeting, "caf_staff", "elected"),
    (_signatory_delete, Signatory, "caf_staff", "coordinator"),
    (_objective_delete, Objective, "coordinator", "elected"),
    (_finding_delete, Finding, "caf_staff", "coordinator"),
    (_statistic_delete, TerritoryStatistic, "caf_staff", "member_territory"),
    (_measurement_delete, Measurement, "coordinator", "elected"),
]
IDS = [builder.__name__.strip("_") for builder, *_ in DESTRUCTIVE]


@pytest.mark.parametrize("builder, model, allowed, refused", DESTRUCTIVE, ids=IDS)
def test_a_get_only_asks_for_confirmation(world, login, builder, model, allowed, refused):
    url, obj = builder(world)
    response = login(getattr(world, allowed)).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'method="post"' in html and "Annuler" in html
    assert model.objects.filter(pk=obj.pk).exists(), "a GET deleted"


@pytest.mark.parametrize("builder, model, allowed, refused", DESTRUCTIVE, ids=IDS)
def test_the_wrong_role_cannot_delete(world, login, builder, model, allowed, refused):
    url, obj = builder(world)
    assert login(getattr(world, refused)).post(url).status_code == 403
    assert login(world.other_caf_staff).post(url).status_code == 404
    assert login(world.outsider).post(url).status_code == 404
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("builder, model, allowed, refused", DESTRUCTIVE, ids=IDS)
def test_the_right_role_confirms_with_a_post(world, login, builder, model, allowed, refused):
    url, obj = builder(world)
    response = login(getattr(world, allowed)).post(url)
    assert response.status_code == 302
    assert not model.objects.filter(pk=obj.pk).exists()


def test_no_route_of_the_application_deletes_a_convention_or_a_fiche():
    routes = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                routes.append((prefix + str(pattern.pattern), pattern.name or ""))

    walk(get_resolver().url_patterns)
    app_routes = [(r, n) for r, n in routes if not r.startswith("admin/")]
    assert app_routes
    for route, name in app_routes:
        if "supprimer" in route or "delete" in name:
            assert "fiches" not in route, route
            assert not route.startswith("conventions/<int:pk>/supprimer"), route


def test_an_abandoned_fiche_is_kept_with_its_reason_and_needs_a_post(world, login):
    sheet = ActionSheetFactory(convention=world.convention)
    client = login(world.coordinator)
    url = reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, "abandon"])
    assert client.get(url).status_code == 405
    client.post(url, {"reason": ""})
    sheet.refresh_from_db()
    assert sheet.status != ActionSheet.Status.ABANDONED, "abandoned without a reason"
    client.post(url, {"reason": "Projet repris par la commune"})
    sheet.refresh_from_db()
    assert sheet.status == ActionSheet.Status.ABANDONED
    assert ActionSheet.objects.filter(pk=sheet.pk).exists()
    assert sheet.status_reason == "Projet repris par la commune"


def test_an_indicator_with_measurements_cannot_be_deleted_from_the_fiche_form(world, login):
    sheet = ActionSheetFactory(convention=world.convention)
    indicator = IndicatorFactory(action_sheet=sheet)
    MeasurementFactory(indicator=indicator, value=Decimal("12"))
    client = login(world.coordinator)
    url = reverse("actions:sheet_update", args=[world.convention.pk, sheet.pk])
    data = initial_data(client.get(url))
    assert data["indicateurs-0-id"] == str(indicator.pk)
    data["indicateurs-0-DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "a déjà des mesures" in response.content.decode()
    assert Indicator.objects.filter(pk=indicator.pk).exists()
    assert Measurement.objects.filter(indicator=indicator).count() == 1

    # Without measurements, the same deletion goes through.
    Measurement.objects.filter(indicator=indicator).delete()
    data = initial_data(client.get(url))
    data["indicateurs-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert not Indicator.objects.filter(pk=indicator.pk).exists()


# --- the admin ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Convention, ActionSheet])
def test_the_admin_cannot_delete_a_convention_or_a_fiche(world, login, model):
    obj = (
        world.convention if model is Convention else ActionSheetFactory(convention=world.convention)
    )
    client = login(world.superuser)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [obj.pk]})
    assert model.objects.filter(pk=obj.pk).exists()


def test_no_historical_model_is_editable_in_the_admin():
    for model, model_admin in admin.site._registry.items():
        assert not model.__name__.startswith("Historical"), model
        if hasattr(model_admin, "history_form_view"):
            assert model_admin.revert_disabled(None)
            assert not model_admin.has_change_history_permission(None)


def test_a_superuser_cannot_revert_an_object_from_its_history(world, login):
    convention = world.convention
    convention.name = "CTG renommée"
    convention.save()
    old = convention.history.order_by("history_date").first()
    history_count = convention.history.count()
    client = login(world.superuser)
    url = reverse(
        "admin:conventions_convention_simple_history", args=[convention.pk, old.history_id]
    )
    page = client.get(url)
    assert page.status_code == 200
    assert "Revert" not in page.content.decode() and "Rétablir" not in page.content.decode()
    response = client.post(url, {"name": old.name, "_continue": "1"})
    assert response.status_code == 403
    convention.refresh_from_db()
    assert convention.name == "CTG renommée"
    assert convention.history.count() == history_count
    history_list = reverse("admin:conventions_convention_history", args=[convention.pk])
    assert client.get(history_list).status_code == 200
    assert client.post(history_list, {}).status_code == 403


def test_the_history_page_of_a_convention_only_reads(world, login):
    client = login(world.caf_staff)
    url = reverse("portal:history", args=[world.convention.pk])
    count = world.convention.history.count()
    assert client.get(url).status_code == 200
    response = client.post(url, {"history_id": "1", "name": "x"})
    assert response.status_code in (200, 405)
    assert world.convention.history.count() == count
