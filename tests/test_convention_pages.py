import pytest
from django.urls import reverse

TAB_PAGES = [
    "portal:detail",
    "conventions:governance",
    "portal:history",
    "diagnostics:detail",
    "actions:plan",
    "evaluation:overview",
    "reports:reports",
]


@pytest.mark.parametrize("name", TAB_PAGES)
@pytest.mark.parametrize(
    "role", ["caf_staff", "coordinator", "elected", "member_caf", "member_territory", "superuser"]
)
def test_convention_tabs_open_for_every_role_in_scope(world, login, name, role):
    response = login(getattr(world, role)).get(reverse(name, args=[world.convention.pk]))
    assert response.status_code == 200
    assert world.convention.name in response.content.decode()


@pytest.mark.parametrize("name", TAB_PAGES)
@pytest.mark.parametrize("role", ["other_caf_staff", "other_elected", "outsider"])
def test_convention_tabs_are_404_out_of_scope(world, login, name, role):
    response = login(getattr(world, role)).get(reverse(name, args=[world.convention.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", TAB_PAGES)
def test_convention_tabs_send_anonymous_to_login(world, client, name):
    url = reverse(name, args=[world.convention.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
