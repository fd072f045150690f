"""The collectivity referential: list, add/edit, and the CSV import in the INSEE layout."""

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conventions.factories import CollectivityFactory
from conventions.imports import parse_collectivities_csv
from conventions.models import Collectivity, siren_is_valid
from conventions.services import collectivity as collectivity_services


def text(response) -> str:
    return unescape(response.content.decode())


def siren(prefix: str) -> str:
    """A valid SIREN starting with 8 given digits."""
    return next(f"{prefix}{d}" for d in range(10) if siren_is_valid(f"{prefix}{d}"))


EPCI = siren("24820031")
GOOD_FILE = (
    "code;nom;type;code_epci;population\n"
    f"{EPCI};CC Quercy Rouergue et Gorges de l'Aveyron;EPCI;;12 345\n"
    f"82137;Parisot;commune;{EPCI};580\n"
    f"82155;Saint-Antonin-Noble-Val;COM;{EPCI};1 900\n"
    "82090;Laguépie;commune;200041614;700\n"
)


# --- pages and roles ------------------------------------------------------------------------


def referential_pages(world):
    return [
        reverse("conventions:collectivities"),
        reverse("conventions:collectivity_create"),
        reverse("conventions:collectivity_import"),
        reverse("conventions:collectivity_edit", args=[world.commune.pk]),
    ]


@pytest.mark.parametrize("role", ["caf_staff", "superuser"])
def test_caf_staff_open_every_referential_page(world, login, role):
    client = login(getattr(world, role))
    for url in referential_pages(world):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "role", ["coordinator", "elected", "member_caf", "member_territory", "outsider"]
)
def test_referential_pages_are_forbidden_to_other_roles(world, login, role):
    client = login(getattr(world, role))
    for url in referential_pages(world):
        assert client.get(url).status_code == 403, url


def test_a_collectivity_of_another_caf_is_404_for_caf_staff(world, login):
    url = reverse("conventions:collectivity_edit", args=[world.commune.pk])
    assert login(world.other_caf_staff).get(url).status_code == 404


def test_referential_pages_send_anonymous_to_login(world, client):
    for url in referential_pages(world):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_list_shows_the_collectivities_of_the_user_caf_only(world, login):
    html = login(world.caf_staff).get(reverse("conventions:collectivities")).content.decode()
    assert "Laguépie" in html and "CC des Deux Rives" in html
    assert "Sorbiers" not in html


def test_the_list_searches_and_filters_by_kind(world, login):
    client = login(world.caf_staff)
    url = reverse("conventions:collectivities")

    def names(**params):
        return [c.name for c in client.get(url, params).context["page"].object_list]

    assert names(q="lagu") == ["Laguépie"]
    assert names(q="82090") == ["Laguépie"]
    assert names(q="zzz") == []
    assert "Aucune collectivité ne correspond" in client.get(url, {"q": "zzz"}).content.decode()
    page = client.get(url, {"kind": "epci"}).context["page"]
    assert [c.name for c in page.object_list] == ["CC des Deux Rives"]


def test_the_list_is_paginated(world, login):
    CollectivityFactory.create_batch(60, caf=world.caf)
    page = login(world.caf_staff).get(reverse("conventions:collectivities")).context["page"]
    assert page.paginator.count == 62
    assert len(page.object_list) == 50


@pytest.mark.parametrize("extra", [5, 40])
def test_the_list_runs_a_constant_number_of_queries(
    world, login, extra, django_assert_max_num_queries
):
    epci = world.epci
    CollectivityFactory.create_batch(extra, caf=world.caf, parent_epci=epci)
    client = login(world.caf_staff)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("conventions:collectivities"))
    assert response.status_code == 200


# --- add and edit ---------------------------------------------------------------------------


def test_caf_staff_add_a_commune_attached_to_an_epci(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:collectivity_create"),
        {
            "kind": "commune",
            "name": "Parisot",
            "code": "82137",
            "population": "580",
            "parent_epci": world.epci.pk,
        },
    )
    assert response.status_code == 302
    parisot = Collectivity.objects.get(code="82137")
    assert (parisot.caf, parisot.parent_epci) == (world.caf, world.epci)


def test_it_refuses_a_bad_insee_code(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:collectivity_create"),
        {"kind": "commune", "name": "Parisot", "code": "8213"},
    )
    assert "Le code INSEE d'une commune compte 5 caractères" in text(response)
    assert not Collectivity.objects.filter(name="Parisot").exists()


def test_it_refuses_a_siren_with_a_wrong_check_digit(world, login):
    bad = EPCI[:-1] + str((int(EPCI[-1]) + 1) % 10)
    response = login(world.caf_staff).post(
        reverse("conventions:collectivity_create"),
        {"kind": "epci", "name": "CC X", "code": bad},
    )
    assert "clé de contrôle" in response.content.decode()


def test_it_refuses_a_code_that_already_exists(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:collectivity_create"),
        {"kind": "commune", "name": "Doublon", "code": "82090"},
    )
    assert response.status_code == 200
    assert not Collectivity.objects.filter(name="Doublon").exists()


def test_caf_staff_edit_a_collectivity(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:collectivity_edit", args=[world.commune.pk]),
        {"kind": "commune", "name": "Laguépie", "code": "82090", "population": "712"},
    )
    assert response.status_code == 302
    world.commune.refresh_from_db()
    assert world.commune.population == 712
    assert world.commune.parent_epci is None


# --- parsing (pure) -------------------------------------------------------------------------


def test_the_parser_reads_a_semicolon_file_with_a_bom():
    result = parse_collectivities_csv(("\ufeff" + GOOD_FILE).encode("utf-8"))
    assert result.errors == []
    assert [(r.line, r.kind, r.code) for r in result.rows] == [
        (2, "epci", EPCI),
        (3, "commune", "82137"),
        (4, "commune", "82155"),
        (5, "commune", "82090"),
    ]
    assert result.rows[0].population == 12345
    assert result.rows[1].epci_code == EPCI


def test_the_parser_reads_a_comma_file_with_english_headers():
    content = f"code,name,kind,epci,population\n82137,Parisot,commune,{EPCI},580\n"
    result = parse_collectivities_csv(content.encode())
    assert result.errors == []
    assert result.rows[0].name == "Parisot"


def test_the_parser_lists_every_bad_row_with_its_line_and_reason():
    content = (
        "code;nom;type;code_epci;population\n"
        "82137;Parisot;commune;;580\n"
        "8213;Mauvais code;commune;;\n"
        "123456789;CC fausse;EPCI;;\n"
        "82155;;commune;;beaucoup\n"
        "82160;Quelque part;région;;\n"
        "82137;Parisot bis;commune;;\n"
    )
    result = parse_collectivities_csv(content.encode())
    messages = {e.line: e.message for e in result.errors}
    assert set(messages) == {3, 4, 5, 6, 7}
    assert "code INSEE « 8213 » invalide" in messages[3]
    assert "SIREN « 123456789 » invalide" in messages[4]
    assert "le nom est vide" in messages[5] and "« beaucoup » n'est pas un nombre" in messages[5]
    assert "type « région » inconnu" in messages[6]
    assert "figure déjà à la ligne 2" in messages[7]
    assert str(result.errors[0]).startswith("Ligne 3 : ")


def test_the_parser_refuses_missing_columns_and_other_encodings():
    result = parse_collectivities_csv(b"code;population\n82137;580\n")
    assert "colonnes obligatoires absentes : nom, type" in result.errors[0].message
    result = parse_collectivities_csv("code;nom;type\n82090;Laguépie;commune\n".encode("cp1252"))
    assert "UTF-8" in result.errors[0].message


# --- import (service and page) --------------------------------------------------------------


def upload(content: str, name: str = "communes.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")


def test_a_good_file_imports_everything_and_attaches_communes_to_their_epci(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:collectivity_import"), {"file": upload(GOOD_FILE)}, follow=True
    )
    assert "Import terminé : 3 créée(s), 1 mise(s) à jour, 0 inchangée(s)." in (
        response.content.decode()
    )
    epci = Collectivity.objects.get(kind="epci", code=EPCI)
    assert epci.caf == world.caf and epci.population == 12345
    assert set(epci.member_communes.values_list("code", flat=True)) == {"82137", "82155"}
    world.commune.refresh_from_db()
    assert world.commune.population == 700 and world.commune.parent_epci == world.epci


def test_re_importing_the_same_file_updates_instead_of_duplicating(world):
    rows = parse_collectivities_csv(GOOD_FILE.encode()).rows
    collectivity_services.collectivities_import(caf=world.caf, rows=rows, by=world.caf_staff)
    count = Collectivity.objects.count()
    outcome = collectivity_services.collectivities_import(
        caf=world.caf, rows=rows, by=world.caf_staff
    )
    assert Collectivity.objects.count() == count
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 4)
    changed = parse_collectivities_csv(GOOD_FILE.replace(";580", ";600").encode()).rows
    outcome = collectivity_services.collectivities_import(
        caf=world.caf, rows=changed, by=world.caf_staff
    )
    assert (outcome.created, outcome.updated) == (0, 1)
    assert Collectivity.objects.get(code="82137").population == 600
    assert Collectivity.objects.count() == count


def test_a_bad_file_imports_nothing_and_lists_each_bad_row(world, login):
    content = GOOD_FILE + "8213;Mauvais;commune;;\n82160;Inconnue;commune;999999999;\n"
    before = Collectivity.objects.count()
    response = login(world.caf_staff).post(
        reverse("conventions:collectivity_import"), {"file": upload(content)}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rien n'a été importé" in unescape(html)
    assert "Ligne 6 : code INSEE « 8213 » invalide" in html
    assert "Ligne 7 : code EPCI « 999999999 » invalide" in html
    assert Collectivity.objects.count() == before


def test_rows_that_fail_against_the_referential_import_nothing(world):
    other_epci = CollectivityFactory(kind="epci", code=siren("20004251"), caf=world.other_caf)
    content = (
        GOOD_FILE
        + f"82161;Rattachée ailleurs;commune;{other_epci.code};\n"
        + "42302;Sorbiers;commune;;\n"
        + f"82162;Orpheline;commune;{siren('20009999')};\n"
    )
    rows = parse_collectivities_csv(content.encode()).rows
    before = Collectivity.objects.count()
    with pytest.raises(collectivity_services.ImportRejected) as rejected:
        collectivity_services.collectivities_import(caf=world.caf, rows=rows, by=world.caf_staff)
    reasons = {e.line: e.message for e in rejected.value.errors}
    assert "relève d'une autre Caf" in reasons[6]
    assert "déjà enregistré pour la Caf de la Loire" in reasons[7]
    assert "ne figure ni dans le fichier ni dans le référentiel" in reasons[8]
    assert Collectivity.objects.count() == before
    assert not Collectivity.objects.filter(code="82137").exists()


def test_the_import_refuses_a_non_csv_file(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:collectivity_import"), {"file": upload("x", name="communes.xlsx")}
    )
    page = response.content.decode()
    assert "Type de fichier non accepté : seuls les fichiers CSV sont acceptés." in page
