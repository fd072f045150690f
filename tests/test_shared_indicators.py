"""Shared indicator sets of a Caf (the SDSF framework, issue #16 item 4): defined once by
the Caf, linked (not copied) by the fiches of its conventions, kept identical on every
change, shown across the conventions with a departmental figure, exported as XLSX."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from actions.factories import ActionSheetFactory
from actions.forms import IndicatorFormSet
from actions.models import ActionSheet
from conventions.factories import ConventionFactory
from conventions.models import Convention
from evaluation import services as evaluation_services
from evaluation import shared, shared_portfolio
from evaluation.factories import IndicatorFactory
from evaluation.models import SHARED_FIELDS, Indicator, IndicatorProgress, SharedIndicator

D = datetime.date
LIST_URL = reverse("evaluation:shared_list")
CREATE_URL = reverse("evaluation:shared_create")
VIEW_URL = reverse("evaluation:shared_portfolio")
XLSX_URL = reverse("evaluation:shared_portfolio_xlsx")


def make_shared(world, code="SDSF-PE-02", **data) -> SharedIndicator:
    values = {
        "code": code,
        "name": "Places d'accueil en EAJE",
        "unit": "places",
        "aggregation": "somme",
        "definition": "Places d'accueil collectif agréées au 31 décembre.",
        "open_data_dataset": "nbpla_pe_epci",
        "open_data_column": "pl_eaje_epci",
        **data,
    }
    return shared.shared_indicator_create(caf=world.caf, by=world.caf_staff, data=values)


def link(world, sheet, item, *, baseline=10, target=30, **extra) -> Indicator:
    return shared.shared_indicator_link(
        sheet=sheet,
        shared=item,
        by=world.caf_staff,
        baseline_value=Decimal(baseline),
        baseline_date=D(2022, 1, 1),
        target_value=Decimal(target),
        target_date=D(2025, 12, 31),
        **extra,
    )


MEASURED_ON = D(2024, 12, 31)


def measure(world, indicator, value, day=MEASURED_ON):
    return evaluation_services.record_measurement(
        indicator=indicator, date=day, value=Decimal(value), user=world.caf_staff
    )


def convention_with_sheet(world, name) -> tuple[Convention, ActionSheet]:
    convention = ConventionFactory(caf=world.caf, name=name)
    return convention, ActionSheetFactory(convention=convention)


# ----------------------------------------------------------------- the Caf's set


def test_caf_staff_create_a_shared_indicator_with_its_reference_sheet_and_binding(world, login):
    client = login(world.caf_staff)
    assert client.get(CREATE_URL).status_code == 200
    response = client.post(
        CREATE_URL,
        {
            "code": "SDSF-PE-01",
            "name": "Taux de couverture petite enfance",
            "kind": "resultat",
            "unit": "places pour 100 enfants",
            "direction": "hausse",
            "frequency": "yearly",
            "framework": "Schéma départemental des services aux familles",
            "definition": "Places d'accueil formel pour 100 enfants de moins de 3 ans.",
            "aggregation": "moyenne",
            "breakdown": "aucune",
            "binding": "txcouv_pe_epci:txcouv_epci",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    item = SharedIndicator.objects.get(code="SDSF-PE-01")
    assert item.caf == world.caf
    assert (item.open_data_dataset, item.open_data_column) == ("txcouv_pe_epci", "txcouv_epci")
    assert item.aggregation == "moyenne"
    html = client.get(LIST_URL).content.decode()
    assert "Taux de couverture petite enfance" in html and "aucune" in html


def test_it_refuses_a_code_the_caf_already_uses_and_an_unknown_series(world, login):
    make_shared(world)
    client = login(world.caf_staff)
    response = client.post(
        CREATE_URL,
        {
            "code": "SDSF-PE-02",
            "name": "Doublon",
            "kind": "resultat",
            "direction": "hausse",
            "frequency": "yearly",
            "aggregation": "somme",
            "breakdown": "aucune",
            "binding": "txcouv_pe_epci:colonne_inconnue",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["binding"] == ["Cette série n'existe pas dans les données ouvertes."]
    with pytest.raises(ValidationError, match="déjà utilisé par la Caf"):
        make_shared(world)
    assert SharedIndicator.objects.count() == 1


def test_the_pages_of_the_set_are_for_caf_staff_and_another_cafs_indicator_is_not_found(
    world, login
):
    item = make_shared(world)
    edit = reverse("evaluation:shared_edit", kwargs={"shared_pk": item.pk})
    assert login(world.coordinator).get(LIST_URL).status_code == 403
    assert login(world.coordinator).get(edit).status_code == 403
    assert login(world.other_caf_staff).get(edit).status_code == 404
    assert (
        "Places d'accueil en EAJE"
        not in login(world.other_caf_staff).get(LIST_URL).content.decode()
    )
    with pytest.raises(PermissionDenied):
        shared.shared_indicator_update(shared=item, by=world.other_caf_staff, data={"name": "X"})


def test_the_menu_offers_shared_indicators_to_caf_staff_only(world, login):
    assert f'href="{LIST_URL}"' in login(world.caf_staff).get(LIST_URL).content.decode()
    page = login(world.coordinator).get(reverse("conventions:list")).content.decode()
    assert f'href="{LIST_URL}"' not in page
    portfolio = login(world.caf_staff).get(reverse("evaluation:portfolio")).content.decode()
    assert f'href="{VIEW_URL}"' in portfolio


# ------------------------------------------------------------------------ linking


def test_a_shared_indicator_is_linked_in_two_conventions_each_with_its_own_target(world):
    item = make_shared(world)
    sheet = ActionSheetFactory(convention=world.convention)
    _, other_sheet = convention_with_sheet(world, "CTG du Quercy")
    first = link(world, sheet, item, baseline=10, target=30)
    second = link(world, other_sheet, item, baseline=40, target=60)
    assert first.shared == item and second.shared == item
    for indicator in (first, second):
        for name in SHARED_FIELDS:
            assert getattr(indicator, name) == getattr(item, name), name
        assert indicator.code == "IND-01"
    assert (first.baseline_value, first.target_value) == (10, 30)
    assert (second.baseline_value, second.target_value) == (40, 60)
    assert shared_portfolio.shared_list(user=world.caf_staff).get().convention_count == 2


def test_it_refuses_to_link_the_same_shared_indicator_twice_on_a_fiche(world):
    item = make_shared(world)
    sheet = ActionSheetFactory(convention=world.convention)
    link(world, sheet, item)
    with pytest.raises(ValidationError, match="déjà suivi par cette fiche"):
        link(world, sheet, item)
    assert sheet.indicators.count() == 1


def test_it_refuses_a_shared_indicator_of_another_caf(world):
    theirs = shared.shared_indicator_create(
        caf=world.other_caf, by=world.other_caf_staff, data={"code": "L-01", "name": "Loire"}
    )
    sheet = ActionSheetFactory(convention=world.convention)
    with pytest.raises(ValidationError, match="autre Caf"):
        link(world, sheet, theirs)
    assert not sheet.indicators.exists()


def test_the_coordinator_links_from_the_fiche_and_an_elected_official_may_not(world, login):
    item = make_shared(world)
    sheet = ActionSheetFactory(convention=world.convention)
    url = reverse(
        "evaluation:shared_link", kwargs={"pk": world.convention.pk, "sheet_id": sheet.pk}
    )
    assert login(world.elected).get(url).status_code == 403
    client = login(world.coordinator)
    assert (
        "Suivre un indicateur partagé"
        in client.get(
            reverse("actions:sheet", kwargs={"pk": world.convention.pk, "sheet_id": sheet.pk})
        ).content.decode()
    )
    response = client.post(
        url,
        {
            "shared": item.pk,
            "baseline_value": "12,5",
            "baseline_date": "2022-01-01",
            "target_value": "20",
            "target_date": "2025-12-31",
        },
    )
    assert response.status_code == 302
    indicator = sheet.indicators.get()
    assert indicator.shared == item and indicator.baseline_value == Decimal("12.5")
    # Already linked: no longer offered.
    assert "has_offer" in client.get(url).context and not client.get(url).context["has_offer"]


def test_a_target_against_the_shared_direction_is_refused_in_french(world, login):
    item = make_shared(world)
    sheet = ActionSheetFactory(convention=world.convention)
    url = reverse(
        "evaluation:shared_link", kwargs={"pk": world.convention.pk, "sheet_id": sheet.pk}
    )
    response = login(world.caf_staff).post(
        url,
        {
            "shared": item.pk,
            "baseline_value": "50",
            "baseline_date": "2022-01-01",
            "target_value": "20",
            "target_date": "2025-12-31",
        },
    )
    assert response.status_code == 200
    assert "Pour une hausse, la cible doit dépasser la référence." in response.content.decode()
    assert not sheet.indicators.exists()


def test_linking_on_a_validated_fiche_asks_a_reason_and_opens_a_new_version(world):
    item = make_shared(world)
    sheet = ActionSheetFactory(
        convention=world.convention, status=ActionSheet.Status.VALIDATED, approved_version=1
    )
    with pytest.raises(ValidationError):
        link(world, sheet, item)
    assert not sheet.indicators.exists()
    link(world, sheet, item, change_reason="Indicateur du schéma départemental")
    sheet.refresh_from_db()
    assert sheet.version == 2 and sheet.status == ActionSheet.Status.SUBMITTED


def test_the_fiche_form_shows_the_shared_definition_read_only(world):
    item = make_shared(world)
    sheet = ActionSheetFactory(convention=world.convention)
    indicator = link(world, sheet, item)
    formset = IndicatorFormSet(instance=sheet, prefix="indicateurs")
    linked_form = next(f for f in formset.forms if f.instance.pk == indicator.pk)
    for name in ("name", "kind", "unit", "direction", "source", "frequency"):
        assert linked_form.fields[name].disabled, name
    assert not linked_form.fields["target_value"].disabled
    plain = IndicatorFormSet(instance=ActionSheetFactory(convention=world.convention))
    assert not plain.forms[0].fields["name"].disabled


def test_the_fiche_service_refuses_to_change_the_shared_definition_of_a_linked_indicator(world):
    """Not only the form: a plan import or any caller of the fiche service keeps the shared
    definition (name, unit…) of a linked indicator, and says why in French."""
    from actions import services as action_services

    item = make_shared(world)
    sheet = ActionSheetFactory(convention=world.convention)
    indicator = link(world, sheet, item)
    row = {"id": indicator.pk, "name": "Autre intitulé", "target_value": Decimal(40)}
    with pytest.raises(ValidationError) as refused:
        action_services.action_sheet_save(
            convention=world.convention,
            by=world.caf_staff,
            data={},
            indicators=[row],
            sheet=sheet,
            revision=ActionSheet.objects.get(pk=sheet.pk).revision,
        )
    assert "indicateur partagé" in str(refused.value)
    indicator.refresh_from_db()
    assert indicator.name == item.name
    assert indicator.target_value == Decimal(30)
    # The same values as stored (a form's disabled fields) pass, with a local change.
    row["name"] = item.name
    action_services.action_sheet_save(
        convention=world.convention,
        by=world.caf_staff,
        data={},
        indicators=[row],
        sheet=sheet,
        revision=ActionSheet.objects.get(pk=sheet.pk).revision,
    )
    indicator.refresh_from_db()
    assert indicator.target_value == Decimal(40)


# ------------------------------------------------------------ kept identical


def test_a_change_of_the_shared_indicator_reaches_every_linked_indicator(world):
    item = make_shared(world)
    sheet = ActionSheetFactory(convention=world.convention)
    other, other_sheet = convention_with_sheet(world, "CTG du Quercy")
    first, second = link(world, sheet, item), link(world, other_sheet, item)
    versions = {
        c.pk: c.data_version
        for c in Convention.objects.filter(pk__in=[other.pk, world.convention.pk])
    }
    history_before = Indicator.history.filter(id__in=[first.pk, second.pk]).count()

    shared.shared_indicator_update(
        shared=item,
        by=world.caf_staff,
        data={
            "name": "Places en accueil collectif",
            "unit": "places agréées",
            "definition": "Nouvelle définition",
            "open_data_dataset": "nbpla_pe_com",
            "open_data_column": "pl_eaje_com",
        },
    )
    for indicator in (first, second):
        indicator.refresh_from_db()
        assert indicator.name == "Places en accueil collectif"
        assert indicator.unit == "places agréées"
        assert indicator.definition == "Nouvelle définition"
        assert indicator.open_data_dataset == "nbpla_pe_com"
        assert indicator.baseline_value == 10  # the territory's own values stay
    assert Indicator.history.filter(id__in=[first.pk, second.pk]).count() == history_before + 2
    for convention in Convention.objects.filter(pk__in=versions):
        assert convention.data_version > versions[convention.pk]


def test_a_change_of_direction_refreshes_the_stored_progress(world):
    item = make_shared(world, direction="maintien")
    sheet = ActionSheetFactory(convention=world.convention)
    indicator = link(world, sheet, item, baseline=10, target=30)
    measure(world, indicator, 20)
    assert IndicatorProgress.objects.get(pk=indicator.pk).status == "en_retard"  # maintien off
    shared.shared_indicator_update(shared=item, by=world.caf_staff, data={"direction": "hausse"})
    assert IndicatorProgress.objects.get(pk=indicator.pk).progress_pct == pytest.approx(50.0)


def test_a_change_that_does_not_fit_a_convention_is_refused_and_nothing_is_written(world):
    item = make_shared(world)
    sheet = ActionSheetFactory(convention=world.convention)
    indicator = link(world, sheet, item, baseline=10, target=30)
    with pytest.raises(ValidationError) as refused:
        shared.shared_indicator_update(
            shared=item, by=world.caf_staff, data={"direction": "baisse", "name": "Autre"}
        )
    assert "CTG des Deux Rives" in str(refused.value)
    assert "inférieure à la référence" in str(refused.value)
    item.refresh_from_db()
    indicator.refresh_from_db()
    assert item.direction == "hausse" and item.name == "Places d'accueil en EAJE"
    assert indicator.direction == "hausse" and indicator.name == "Places d'accueil en EAJE"


# ------------------------------------------------------------ delete / retirer


def test_a_shared_indicator_still_linked_cannot_be_deleted_until_it_is_retire(world, login):
    item = make_shared(world)
    sheet = ActionSheetFactory(convention=world.convention)
    indicator = link(world, sheet, item)
    measure(world, indicator, 15)
    client = login(world.caf_staff)
    delete_url = reverse("evaluation:shared_delete", kwargs={"shared_pk": item.pk})
    page = client.get(delete_url).content.decode()
    assert "CTG des Deux Rives" in page and "Retirez-le" in page
    response = client.post(delete_url)
    assert response.status_code == 200
    assert "encore suivi par 1 convention (CTG des Deux Rives)" in response.content.decode()
    assert SharedIndicator.objects.filter(pk=item.pk).exists()

    unlink = reverse(
        "evaluation:shared_unlink", kwargs={"pk": world.convention.pk, "indicator_pk": indicator.pk}
    )
    assert login(world.elected).post(unlink).status_code == 403
    assert login(world.coordinator).post(unlink).status_code == 302
    indicator.refresh_from_db()
    assert indicator.shared is None and indicator.measurements.count() == 1
    assert indicator.name == "Places d'accueil en EAJE"  # its definition is now its own
    assert login(world.caf_staff).post(delete_url).status_code == 302
    assert not SharedIndicator.objects.filter(pk=item.pk).exists()


# ------------------------------------------------------ the cross-convention view


def _linked_world(world, conventions: int):
    """``conventions`` conventions of the Caf, each following two shared indicators (a
    count, « somme », and a rate, « moyenne ») with a measurement."""
    places = make_shared(world)
    rate = make_shared(
        world,
        code="SDSF-PE-01",
        name="Taux de couverture petite enfance",
        unit="places pour 100 enfants",
        aggregation="moyenne",
        open_data_dataset="txcouv_pe_epci",
        open_data_column="txcouv_epci",
    )
    for n in range(conventions):
        convention = (
            world.convention if n == 0 else ConventionFactory(caf=world.caf, name=f"CTG n° {n:02d}")
        )
        sheet = ActionSheetFactory(convention=convention)
        measure(world, link(world, sheet, places, baseline=10, target=30), 10 + 2 * n)
        measure(world, link(world, sheet, rate, baseline=40, target=60), 50 + n)
    return places, rate


def test_the_view_shows_each_convention_with_the_stored_progress_and_a_departmental_figure(
    world,
):
    places, rate = _linked_world(world, 3)
    blocks = {b.shared.code: b for b in shared_portfolio.cross_convention(user=world.caf_staff)}
    rows = blocks["SDSF-PE-02"].rows
    assert [r.convention_name for r in rows] == ["CTG des Deux Rives", "CTG n° 01", "CTG n° 02"]
    for row in rows:
        stored = IndicatorProgress.objects.get(pk=row.pk)
        assert (row.last_value, row.progress_pct, row.status, row.late) == (
            stored.last_value,
            stored.progress_pct,
            stored.status,
            stored.late,
        )
    figure = blocks["SDSF-PE-02"].figure
    assert figure.label == "Total départemental"
    assert figure.value == Decimal(10 + 12 + 14) and figure.target == 90
    assert figure.progress_pct == pytest.approx((0 + 10 + 20) / 3)
    mean = blocks["SDSF-PE-01"].figure
    assert mean.label == "Moyenne départementale" and mean.value == Decimal(51)
    # « aucune »: no total, said so.
    shared.shared_indicator_update(
        shared=places, by=world.caf_staff, data={"aggregation": "aucune"}
    )
    blocks = {b.shared.code: b for b in shared_portfolio.cross_convention(user=world.caf_staff)}
    assert blocks["SDSF-PE-02"].figure.value is None
    assert not blocks["SDSF-PE-02"].figure.combines
    # Another Caf sees none of it.
    assert shared_portfolio.cross_convention(user=world.other_caf_staff) == []


def test_the_rows_sort_by_a_validated_column(world, login):
    _linked_world(world, 3)
    client = login(world.caf_staff)

    def names(sort):
        blocks = client.get(VIEW_URL, {"tri": sort}).context["blocks"]
        return [r.convention_name for r in blocks[1].rows]  # SDSF-PE-02, by code

    assert names("-valeur") == ["CTG n° 02", "CTG n° 01", "CTG des Deux Rives"]
    assert names("valeur") == ["CTG des Deux Rives", "CTG n° 01", "CTG n° 02"]
    assert names("-progression")[0] == "CTG n° 02"
    assert names("'; DROP TABLE--") == names("convention")
    assert client.get(VIEW_URL, {"tri": "--valeur"}).context["sort"] == "convention"
    html = client.get(VIEW_URL, {"tri": "valeur"}).content.decode()
    assert 'aria-sort="ascending"' in html and "Total départemental" in html


@pytest.mark.parametrize("conventions", [2, 6])
def test_the_view_and_its_export_cost_the_same_queries_whatever_the_conventions(
    world, login, django_assert_max_num_queries, conventions
):
    _linked_world(world, conventions)
    client = login(world.caf_staff)
    assert client.get(VIEW_URL).status_code == 200  # the read model made fresh for today
    with django_assert_max_num_queries(12):
        response = client.get(VIEW_URL, {"tri": "-progression"})
    assert response.status_code == 200
    assert sum(len(b.rows) for b in response.context["blocks"]) == 2 * conventions
    with django_assert_max_num_queries(10):
        assert client.get(XLSX_URL).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(LIST_URL).status_code == 200


def test_the_export_has_french_headers_numbers_dates_and_the_departmental_figures(world, login):
    _linked_world(world, 2)
    response = login(world.caf_staff).get(XLSX_URL, {"tri": "valeur"})
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["Par convention"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("Code", "Indicateur partagé", "Unité", "Convention", "Fiche")
    assert "Progression" in header and "En retard" in header
    first = dict(zip(header, rows[1], strict=True))
    assert isinstance(first["Dernière valeur"], int | float)  # a number, not a text
    assert isinstance(first["Progression"], float)
    assert isinstance(first["Date de la dernière valeur"], datetime.datetime)
    assert first["Code"] == "SDSF-PE-01" and first["Dernière valeur"] == 50.0
    assert first["Progression"] == pytest.approx(0.5)
    assert len(rows) == 1 + 4
    figures = list(book["Départemental"].iter_rows(values_only=True))
    by_code = {row[0]: dict(zip(figures[0], row, strict=True)) for row in figures[1:]}
    assert by_code["SDSF-PE-02"]["Valeur départementale"] == 22.0  # 10 + 12
    assert by_code["SDSF-PE-01"]["Valeur départementale"] == 50.5  # (50 + 51) / 2


def test_only_caf_staff_see_the_cross_convention_view(world, login):
    assert login(world.coordinator).get(VIEW_URL).status_code == 403
    assert login(world.elected).get(XLSX_URL).status_code == 403
    page = login(world.caf_staff).get(VIEW_URL).content.decode()
    assert "aucun indicateur partagé" in page


def test_an_indicator_not_linked_is_not_retire(world, login):
    plain = IndicatorFactory(action_sheet=ActionSheetFactory(convention=world.convention))
    url = reverse(
        "evaluation:shared_unlink", kwargs={"pk": world.convention.pk, "indicator_pk": plain.pk}
    )
    response = login(world.caf_staff).post(url, follow=True)
    assert "pas lié à un indicateur partagé" in response.content.decode()


def test_the_demo_caf_has_two_shared_indicators_followed_by_sorbiers_once(db):
    from portal.demo import seed_demo
    from portal.demo.sorbiers import SORBIERS_NAME

    seed_demo()
    sorbiers = Convention.objects.get(name=SORBIERS_NAME)
    items = {s.code: s for s in SharedIndicator.objects.filter(caf=sorbiers.caf)}
    assert set(items) == {"SDSF-PE-01", "SDSF-PE-02"}
    assert items["SDSF-PE-01"].aggregation == "moyenne" and items["SDSF-PE-01"].is_bound
    assert items["SDSF-PE-02"].aggregation == "somme"
    linked = Indicator.objects.filter(shared__in=items.values(), action_sheet__convention=sorbiers)
    assert linked.count() == 2
    for indicator in linked:
        assert all(getattr(indicator, f) == getattr(indicator.shared, f) for f in SHARED_FIELDS)
    assert seed_demo().total_created == 0
