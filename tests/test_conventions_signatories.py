"""Signatories: add, edit and remove them from the Gouvernance tab."""

import pytest
from django.urls import reverse

from conventions.factories import CollectivityFactory
from conventions.models import Signatory


@pytest.fixture
def signatory(world):
    return world.convention.signatories.get(collectivity=world.commune)


def pages(world, signatory):
    pk = world.convention.pk
    return [
        reverse("conventions:signatory_create", args=[pk]),
        reverse("conventions:signatory_edit", args=[pk, signatory.pk]),
        reverse("conventions:signatory_delete", args=[pk, signatory.pk]),
    ]


def test_caf_staff_open_every_signatory_page(world, login, signatory):
    client = login(world.caf_staff)
    for url in pages(world, signatory):
        response = client.get(url)
        assert response.status_code == 200, url
        assert world.convention.name in response.content.decode()


@pytest.mark.parametrize("role", ["coordinator", "elected", "member_caf", "member_territory"])
def test_signatory_pages_are_forbidden_to_roles_that_do_not_edit(world, login, signatory, role):
    client = login(getattr(world, role))
    for url in pages(world, signatory):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url
    assert Signatory.objects.filter(pk=signatory.pk).exists()


@pytest.mark.parametrize("role", ["other_caf_staff", "outsider"])
def test_signatory_pages_are_404_out_of_scope(world, login, signatory, role):
    client = login(getattr(world, role))
    for url in pages(world, signatory):
        assert client.get(url).status_code == 404, url


def test_signatory_pages_send_anonymous_to_login(world, client, signatory):
    for url in pages(world, signatory):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_signatory_of_another_convention_is_404(world, login):
    foreign = world.other_convention.signatories.first()
    url = reverse("conventions:signatory_edit", args=[world.convention.pk, foreign.pk])
    assert login(world.caf_staff).get(url).status_code == 404


def test_the_governance_tab_offers_the_signatory_buttons_to_editors_only(world, login, signatory):
    url = reverse("conventions:governance", args=[world.convention.pk])
    add = reverse("conventions:signatory_create", args=[world.convention.pk])
    remove = reverse("conventions:signatory_delete", args=[world.convention.pk, signatory.pk])
    html = login(world.caf_staff).get(url).content.decode()
    assert add in html and remove in html
    html = login(world.coordinator).get(url).content.decode()
    assert add not in html and remove not in html


def test_the_organisation_list_offers_the_referential_of_the_convention_caf_only(world, login):
    other = CollectivityFactory(name="Saint-Antonin-Noble-Val", code="82155", caf=world.caf)
    response = login(world.caf_staff).get(
        reverse("conventions:signatory_create", args=[world.convention.pk])
    )
    html = response.content.decode()
    assert other.name in html
    assert world.other_commune.name not in html
    assert "MSA" in html and "Carsat" in html


def test_caf_staff_add_a_collectivity_signatory(world, login):
    commune = CollectivityFactory(name="Parisot", code="82137", caf=world.caf)
    response = login(world.caf_staff).post(
        reverse("conventions:signatory_create", args=[world.convention.pk]),
        {
            "organisation": f"collectivity:{commune.pk}",
            "role": "signataire",
            "representative_name": "Jean Dupont",
            "representative_title": "Maire",
            "resolution_reference": "DEL-2021-45",
            "resolution_date": "2021-11-30",
            "signed_on": "2021-12-15",
        },
    )
    assert response.status_code == 302
    signatory = world.convention.signatories.get(collectivity=commune)
    assert signatory.representative_name == "Jean Dupont"
    assert signatory.resolution_reference == "DEL-2021-45"
    assert str(signatory.signed_on) == "2021-12-15"
    assert signatory.history.first().history_user == world.caf_staff
    html = login(world.caf_staff).get(response["Location"]).content.decode()
    assert "Parisot" in html and "DEL-2021-45" in html and "15 décembre 2021" in html


def test_a_named_partner_takes_the_kind_as_default_name(world, login):
    login(world.caf_staff).post(
        reverse("conventions:signatory_create", args=[world.convention.pk]),
        {"organisation": "partner:msa", "role": "signataire", "representative_name": "A. B."},
    )
    signatory = world.convention.signatories.get(partner_kind="msa")
    assert signatory.partner_name == "MSA"
    assert signatory.collectivity is None and signatory.caf is None


def test_another_partner_needs_a_name(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:signatory_create", args=[world.convention.pk]),
        {"organisation": "partner:other", "role": "signataire"},
    )
    assert response.status_code == 200
    assert "Indiquez le nom du partenaire." in response.content.decode()
    assert not world.convention.signatories.filter(partner_kind="other").exists()


def test_it_refuses_a_collectivity_that_already_signs(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:signatory_create", args=[world.convention.pk]),
        {"organisation": f"collectivity:{world.commune.pk}", "role": "signataire"},
    )
    assert response.status_code == 200
    assert "Cette collectivité est déjà signataire de la convention." in (response.content.decode())
    assert world.convention.signatories.filter(collectivity=world.commune).count() == 1


def test_it_refuses_a_collectivity_of_another_caf(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:signatory_create", args=[world.convention.pk]),
        {"organisation": f"collectivity:{world.other_commune.pk}", "role": "signataire"},
    )
    assert response.status_code == 200
    assert not world.convention.signatories.filter(collectivity=world.other_commune).exists()


def test_it_refuses_a_signature_before_the_resolution(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:signatory_create", args=[world.convention.pk]),
        {
            "organisation": "partner:etat",
            "role": "signataire",
            "resolution_date": "2021-12-15",
            "signed_on": "2021-12-01",
        },
    )
    assert "La signature ne peut pas précéder la délibération." in response.content.decode()
    assert not world.convention.signatories.filter(partner_kind="etat").exists()


def test_caf_staff_edit_a_signatory(world, login, signatory):
    response = login(world.caf_staff).post(
        reverse("conventions:signatory_edit", args=[world.convention.pk, signatory.pk]),
        {
            "organisation": f"collectivity:{world.commune.pk}",
            "role": "porteur",
            "representative_name": "Marie Curie",
            "representative_title": "Maire",
        },
    )
    assert response.status_code == 302
    signatory.refresh_from_db()
    assert (signatory.role, signatory.representative_name) == ("porteur", "Marie Curie")


def test_the_edit_form_shows_the_current_organisation(world, login, signatory):
    response = login(world.caf_staff).get(
        reverse("conventions:signatory_edit", args=[world.convention.pk, signatory.pk])
    )
    assert response.context["form"]["organisation"].value() == f"collectivity:{world.commune.pk}"


def test_removing_a_signatory_asks_for_confirmation_first(world, login, signatory):
    client = login(world.caf_staff)
    url = reverse("conventions:signatory_delete", args=[world.convention.pk, signatory.pk])
    html = client.get(url).content.decode()
    assert "Retirer Laguépie des signataires ?" in html
    assert Signatory.objects.filter(pk=signatory.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not Signatory.objects.filter(pk=signatory.pk).exists()
    deletion = Signatory.history.filter(id=signatory.pk, history_type="-").get()
    assert deletion.history_user == world.caf_staff
