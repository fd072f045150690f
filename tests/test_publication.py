"""The opt-in public page of a convention and its settings: published or 404, nothing
personal, only validated fiches, the address modes, the noindex switch, the confirmations."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from actions.factories import ActionSheetFactory, FundingLineFactory, ObjectiveFactory
from actions.models import ActionSheet, Approval
from conventions.models import Signatory
from evaluation.factories import IndicatorFactory, MeasurementFactory
from portal.demo import QRGA_NAME
from publication import services
from publication.demo import DEMO_SLUG
from publication.models import Publication
from publication.opendata import TABLES

VALIDATED = ActionSheet.Status.IN_PROGRESS


@pytest.fixture
def plan(world):
    """A validated fiche (its pilot an organisation, its account a person), a draft fiche,
    each with an indicator; a measurement with a comment; an opinion with a comment."""
    convention = world.convention
    convention.vision = "Des services pour chaque famille du territoire."
    convention.save()
    objective = ObjectiveFactory(convention=convention, title="Accueillir les tout-petits")
    shown = ActionSheetFactory(
        convention=convention,
        number="FA-01",
        title="Ouvrir une micro-crèche",
        status=VALIDATED,
        objective=objective,
        lead="Communauté de communes — service petite enfance",
        lead_user=world.coordinator,
    )
    hidden = ActionSheetFactory(
        convention=convention, number="FA-02", title="Projet encore en brouillon"
    )
    FundingLineFactory(sheet=shown, funder="Caf", year=2023, planned_amount=Decimal("12500.50"))
    indicator = IndicatorFactory(action_sheet=shown, name="Places en micro-crèche")
    MeasurementFactory(indicator=indicator, comment="Mesure saisie par Corinne Secret")
    IndicatorFactory(action_sheet=hidden, name="Indicateur du brouillon")
    IndicatorFactory(action_sheet=None, objective=objective, name="Taux de couverture")
    Approval.objects.create(
        sheet=shown,
        member=world.caf_seat,
        version=shown.version,
        decision=Approval.Decision.FAVORABLE,
        comment="Avis très personnel de Marc",
    )
    Signatory.objects.filter(convention=convention).update(representative_name="Jeanne Maire")
    return world


def publish(world, **settings) -> Publication:
    options = {"mode": "token", "slug": "", "noindex": True, "share_report_pdf": False}
    options.update(settings)
    services.publication_update(convention=world.convention, by=world.caf_staff, **options)
    publication, _ = services.publication_publish(convention=world.convention, by=world.caf_staff)
    return publication


def public_urls(address: str) -> list[str]:
    urls = [reverse("publication:page", args=[address])]
    for table in TABLES:
        urls.append(reverse("publication:data_csv", args=[address, table]))
        urls.append(reverse("publication:data_json", args=[address, table]))
    urls.append(reverse("publication:report_pdf", args=[address]))
    return urls


# --------------------------------------------------------------------------- who sees what


def test_an_unpublished_convention_answers_404_at_every_public_address(plan, client):
    # Saved settings (so that its addresses exist), never published.
    services.publication_update(
        convention=plan.convention,
        by=None,
        mode="token",
        slug="",
        noindex=True,
        share_report_pdf=True,
    )
    publication = Publication.objects.get(convention=plan.convention)
    assert not publication.published
    for role in ("anonymous", "outsider", "other_caf_staff", "other_elected"):
        client.logout()
        if role != "anonymous":
            client.force_login(getattr(plan, role))
        for url in public_urls(publication.address):
            assert client.get(url).status_code == 404, (role, url)


def test_a_convention_never_published_has_no_public_address(plan, client):
    assert not Publication.objects.exists()
    assert client.get(reverse("publication:page", args=["ctg-des-deux-rives"])).status_code == 404


def test_published_it_answers_everyone_and_withdrawn_it_answers_404_again(plan, client):
    publication = publish(plan)
    page = reverse("publication:page", args=[publication.address])
    response = client.get(page)
    assert response.status_code == 200
    assert plan.convention.name in response.content.decode()
    client.force_login(plan.other_caf_staff)
    assert client.get(page).status_code == 200
    services.publication_unpublish(convention=plan.convention, by=plan.caf_staff)
    assert client.get(page).status_code == 404
    client.logout()
    assert client.get(page).status_code == 404


def test_people_who_see_the_convention_get_a_preview_before_it_is_published(plan, client):
    services.publication_update(
        convention=plan.convention,
        by=plan.caf_staff,
        mode="token",
        slug="",
        noindex=False,
        share_report_pdf=False,
    )
    address = Publication.objects.get().address
    for role in ("caf_staff", "coordinator", "elected", "member_caf"):
        client.force_login(getattr(plan, role))
        response = client.get(reverse("publication:page", args=[address]))
        assert response.status_code == 200, role
        html = response.content.decode()
        assert "Aperçu." in html
        # Never indexed, whatever the switch says.
        assert '<meta name="robots" content="noindex, nofollow">' in html
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "Access-Control-Allow-Origin" not in response
        csv = client.get(reverse("publication:data_csv", args=[address, "fiches"]))
        assert csv.status_code == 200 and csv["X-Robots-Tag"] == "noindex, nofollow"


def test_an_address_is_the_one_of_the_chosen_mode_only(plan, client):
    publication = publish(plan, mode="slug", slug="ctg-deux-rives")
    token = publication.token
    assert client.get("/public/ctg-deux-rives/").status_code == 200
    assert client.get(f"/public/{token}/").status_code == 404
    services.publication_update(
        convention=plan.convention,
        by=plan.caf_staff,
        mode="token",
        slug="ctg-deux-rives",
        noindex=True,
        share_report_pdf=False,
    )
    assert client.get("/public/ctg-deux-rives/").status_code == 404
    assert client.get(f"/public/{token}/").status_code == 200


def test_a_new_secret_address_retires_the_former_one(plan, client):
    old = publish(plan).token
    services.publication_update(
        convention=plan.convention,
        by=plan.caf_staff,
        mode="token",
        slug="",
        noindex=True,
        share_report_pdf=False,
        new_address=True,
    )
    new = Publication.objects.get().token
    assert new != old and len(new) >= 32
    assert client.get(f"/public/{old}/").status_code == 404
    assert client.get(f"/public/{new}/").status_code == 200


def test_the_public_addresses_take_no_database_id(plan, client):
    """Nothing to enumerate: the convention's id, a fiche's, a report's are not addresses."""
    publish(plan)
    for guess in (plan.convention.pk, 1, 2, "1", "00000001"):
        assert client.get(f"/public/{guess}/").status_code == 404
        assert client.get(f"/public/{guess}/donnees/fiches.csv").status_code == 404
    assert client.get("/public/schemas/inconnu.json").status_code == 404


# --------------------------------------------------------------------------- what is shown


def test_the_page_shows_the_plan_and_nothing_personal(plan, client):
    publication = publish(plan)
    response = client.get(reverse("publication:page", args=[publication.address]))
    html = response.content.decode()
    for shown in (
        plan.convention.name,
        "Des services pour chaque famille du territoire.",
        "FA-01 — Ouvrir une micro-crèche",
        "Communauté de communes — service petite enfance",
        "Places en micro-crèche",
        "Taux de couverture",
        plan.epci.name,
        "Petite enfance",
    ):
        assert shown in html, shown
    for hidden in (
        "Projet encore en brouillon",
        "Indicateur du brouillon",
        "Corinne",  # the pilot's account, the author of a measurement's comment
        plan.coordinator.email,
        "Avis très personnel",
        "Marc Caf",  # committee members
        "Maud Territoire",
        "Jeanne Maire",  # a signatory's representative
        "@",
        "/conventions/",  # no link into the application
        "/connexion/",
    ):
        assert hidden not in html, hidden


def test_the_noindex_switch_sets_the_meta_and_the_header(plan, client):
    publication = publish(plan, noindex=True)
    page = reverse("publication:page", args=[publication.address])
    response = client.get(page)
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    publish(plan, noindex=False)
    response = client.get(page)
    assert "X-Robots-Tag" not in response
    assert 'name="robots"' not in response.content.decode()


def test_the_report_pdf_is_public_only_when_the_caf_shares_it(plan, client, settings, tmp_path):
    from reports import services as reporting

    settings.MEDIA_ROOT = tmp_path
    report, _ = reporting.report_request(
        convention=plan.convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 12, 31),
    )
    reporting.report_build(report_id=report.pk)
    publication = publish(plan, share_report_pdf=False)
    page = reverse("publication:page", args=[publication.address])
    pdf = reverse("publication:report_pdf", args=[publication.address])
    html = client.get(page).content.decode()
    assert "du 1er janvier 2023 au 31 décembre 2023" in html
    assert pdf not in html
    assert client.get(pdf).status_code == 404
    publish(plan, share_report_pdf=True)
    assert pdf in client.get(page).content.decode()
    response = client.get(pdf)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("sheets", [2, 12])
def test_the_page_and_the_files_cost_a_constant_number_of_queries(
    plan, client, django_assert_max_num_queries, sheets
):
    for n in range(sheets):
        sheet = ActionSheetFactory(
            convention=plan.convention, number=f"FB-{n:02d}", status=VALIDATED
        )
        FundingLineFactory(sheet=sheet)
        MeasurementFactory(indicator=IndicatorFactory(action_sheet=sheet))
    publication = publish(plan)
    with django_assert_max_num_queries(18):
        assert (
            client.get(reverse("publication:page", args=[publication.address])).status_code == 200
        )
    for table in TABLES:
        with django_assert_max_num_queries(7):
            url = reverse("publication:data_json", args=[publication.address, table])
            assert client.get(url).status_code == 200


# --------------------------------------------------------------------------- the Caf's settings


def test_publishing_asks_for_a_confirmation_and_a_double_click_changes_nothing(plan, client):
    client.force_login(plan.caf_staff)
    url = reverse("publication:publish", args=[plan.convention.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "Tout internaute pourra consulter" in response.content.decode()
    assert not Publication.objects.filter(published=True).exists()
    assert client.post(url).status_code == 302
    publication = Publication.objects.get()
    assert publication.published and publication.published_by == plan.caf_staff
    first = publication.published_at
    response = client.post(url, follow=True)
    assert "déjà publiée" in response.content.decode()
    assert Publication.objects.get().published_at == first
    assert Publication.history.filter(published=True).count() == 1

    url = reverse("publication:unpublish", args=[plan.convention.pk])
    assert "ne seront plus accessibles" in client.get(url).content.decode()
    assert Publication.objects.get().published
    client.post(url)
    assert not Publication.objects.get().published


def test_the_settings_page_saves_the_address_and_refuses_a_bad_slug_in_french(plan, client):
    client.force_login(plan.caf_staff)
    url = reverse("publication:settings", args=[plan.convention.pk])
    form = {"mode": "slug", "slug": "  CTG-Deux-Rives ", "noindex": "on"}
    assert client.post(url, form).status_code == 302
    publication = Publication.objects.get()
    assert (publication.mode, publication.slug, publication.noindex) == (
        "slug",
        "ctg-deux-rives",
        True,
    )
    assert not publication.published
    page = client.get(url).content.decode()
    assert "/public/ctg-deux-rives/" in page
    assert "/public/ctg-deux-rives/donnees/subventions.csv" in page

    other = Publication.objects.create(convention=plan.other_convention, mode="slug", slug="pris")
    for slug, message in [
        ("", "Indiquez l&#x27;adresse lisible choisie."),
        ("crèche", "lettres minuscules sans accent"),
        ("a b", "lettres minuscules sans accent"),
        ("-debut", "pas au début ni à la fin"),
        ("ab", "au moins 3 caractères"),
        ("schemas", "est réservé"),
        (other.slug, "déjà prise"),
        ("x" * 81, "au plus 80 caractères"),
    ]:
        response = client.post(url, {"mode": "slug", "slug": slug})
        assert response.status_code == 200, slug
        assert message in response.content.decode(), slug
    assert Publication.objects.get(pk=publication.pk).slug == "ctg-deux-rives"


def test_the_convention_header_links_the_caf_staff_to_the_publication(plan, client):
    url = reverse("publication:settings", args=[plan.convention.pk])
    client.force_login(plan.caf_staff)
    assert url in client.get(reverse("portal:detail", args=[plan.convention.pk])).content.decode()
    client.force_login(plan.elected)
    assert (
        url not in client.get(reverse("portal:detail", args=[plan.convention.pk])).content.decode()
    )


# --------------------------------------------------------------------------- the demo


def test_the_demo_publishes_the_qrga_convention_at_its_readable_address(db, client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    publication = Publication.objects.get(convention__name=QRGA_NAME)
    assert publication.published and publication.address == DEMO_SLUG
    response = client.get(f"/public/{DEMO_SLUG}/")
    assert response.status_code == 200
    assert "FA-01" in response.content.decode()


@pytest.mark.browser
def test_on_a_phone_the_public_page_fits_the_screen(plan, live_server, page, chromium_available):
    publication = publish(plan)
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 390, "height": 844})
    response = page.goto(f"{live_server.url}/public/{publication.address}/")
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("h1").count() == 1
    assert page.locator("nav, .navbar-toggler, form").count() == 0  # no menu, no login form
