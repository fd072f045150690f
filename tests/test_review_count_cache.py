"""The menu's « À examiner » count is kept in the cache under the member's seats and the
versions of the conventions where they sit: each write that changes it shows on the next
page, with the cache on."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import services as action_services
from actions.factories import ActionSheetFactory
from actions.models import Approval
from conventions.factories import CommitteeMemberFactory
from conventions.models import Side
from conventions.services import governance


@pytest.fixture
def cached(settings, world):
    settings.FRAGMENT_CACHE_SECONDS = 3600
    cache.clear()
    world.sheet = ActionSheetFactory(ready=True, convention=world.convention, number="FA-01")
    return world


def review_count(client) -> int:
    response = client.get(reverse("conventions:list"))
    assert response.status_code == 200
    return response.context["nav_review_count"]


def test_a_fiche_submitted_then_given_an_opinion_changes_the_count(cached, login):
    client = login(cached.member_caf)
    assert review_count(client) == 0
    action_services.action_sheet_submit(sheet=cached.sheet, by=cached.coordinator)
    assert review_count(client) == 1
    with CaptureQueriesContext(connection) as warm:
        assert review_count(client) == 1
    assert not any("actions_approval" in q["sql"] for q in warm.captured_queries)
    action_services.approval_give(
        sheet=cached.sheet, member=cached.caf_seat, decision=Approval.Decision.FAVORABLE
    )
    assert review_count(client) == 0


def test_a_seat_taken_or_left_changes_the_count(cached, login):
    action_services.action_sheet_submit(sheet=cached.sheet, by=cached.coordinator)
    client = login(cached.member_territory)
    assert review_count(client) == 1
    governance.committee_member_remove(member=cached.territory_seat)
    assert review_count(client) == 0
    # A seat given outside the services (the admin): the seats are part of the key.
    CommitteeMemberFactory(
        committee=cached.committee, side=Side.TERRITORY, user=cached.member_territory
    )
    assert review_count(client) == 1
