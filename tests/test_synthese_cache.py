"""The whole Synthèse tab is drawn once per version of what it shows (portal.views).

Besides its figures (data version, see test_fragment_cache), it shows the next meeting, the
fiches awaiting opinions, the latest reports, the signatories, thematics and territories.
Each write on those goes through its service, which bumps the convention's activity version
(or its data version, or its own version) in the same transaction: the next view shows it.
The next meeting also changes by time alone: a meeting that has started is no longer the
next one, so the rendering lives until then at most.
"""

import datetime
import re
import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions import services as action_services
from actions.factories import ActionSheetFactory
from conventions.models import Collectivity, Convention, Signatory
from conventions.services import collectivity as collectivity_services
from conventions.services import governance
from conventions.services import signatory as signatory_services
from conventions.services.data_version import (
    convention_activity_changed,
    convention_data_changed,
)

NOW = datetime.datetime(2026, 11, 28, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def cached(settings, world, monkeypatch):
    settings.FRAGMENT_CACHE_SECONDS = 3600
    cache.clear()
    clock = {"now": NOW}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    # The cache's own clock (entries expire by it) moves with the app's.
    start = time.time()
    clock_time = SimpleNamespace(time=lambda: start + (clock["now"] - NOW).total_seconds())
    monkeypatch.setattr("django.core.cache.backends.base.time", clock_time)
    monkeypatch.setattr("django.core.cache.backends.locmem.time", clock_time)
    world.clock = clock
    return world


def served(client, convention) -> str:
    response = client.get(reverse("portal:detail", args=[convention.pk]))
    assert response.status_code == 200
    # The form tokens differ on every response, each chart takes the next id of its process.
    html = re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())
    return re.sub(r"chart\d+", "chart", html)


def meeting_in(world, hours: int, location: str):
    return governance.meeting_create(
        committee=world.committee,
        date=NOW + datetime.timedelta(hours=hours),
        location=location,
    )


def test_the_second_view_reads_no_part_of_the_synthese(cached, login):
    client = login(cached.elected)
    served(client, cached.convention)
    with CaptureQueriesContext(connection) as warm:
        page = served(client, cached.convention)
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        assert served(client, cached.convention) == page
    # Signatories, thematics, territories, next meeting, pending fiches, reports, the
    # figures' queries: none is read from a warm cache.
    assert len(warm) <= len(cold) - 8


def test_a_new_meeting_shows_on_the_next_view(cached, login):
    client = login(cached.elected)
    assert "Aucune réunion n'est programmée." in served(client, cached.convention)
    meeting_in(cached, 48, "Salle du conseil de Laguépie")
    assert "Salle du conseil de Laguépie" in served(client, cached.convention)


def test_a_meeting_moved_or_deleted_shows_on_the_next_view(cached, login):
    meeting = meeting_in(cached, 48, "Salle du conseil")
    client = login(cached.elected)
    assert "Salle du conseil" in served(client, cached.convention)
    governance.meeting_update(
        meeting=meeting, date=meeting.date, location="Mairie annexe", agenda="", minutes=""
    )
    page = served(client, cached.convention)
    assert "Mairie annexe" in page and "Salle du conseil" not in page
    governance.meeting_delete(meeting=meeting)
    assert "Aucune réunion n'est programmée." in served(client, cached.convention)


def test_a_committee_renamed_shows_on_the_next_view(cached, login):
    meeting_in(cached, 48, "Mairie")
    client = login(cached.elected)
    served(client, cached.convention)
    committee = cached.committee
    governance.committee_update(
        committee=committee, kind=committee.kind, name="Comité de pilotage élargi"
    )
    assert "Comité de pilotage élargi" in served(client, cached.convention)


def test_a_meeting_that_has_started_is_no_longer_the_next_one(cached, login):
    meeting_in(cached, 2, "Salle A")
    meeting_in(cached, 72, "Salle B")
    client = login(cached.elected)
    page = served(client, cached.convention)
    assert "Salle A" in page and "Salle B" not in page
    cached.clock["now"] = NOW + datetime.timedelta(hours=3)  # nothing written: time alone
    page = served(client, cached.convention)
    assert "Salle B" in page and "Salle A" not in page


def test_a_fiche_submitted_for_opinions_shows_on_the_next_view(cached, login):
    sheet = ActionSheetFactory(
        ready=True, convention=cached.convention, number="FA-07", title="Ludothèque itinérante"
    )
    client = login(cached.elected)
    assert "Aucune fiche n'attend l'avis du comité." in served(client, cached.convention)
    action_services.action_sheet_submit(sheet=sheet, by=cached.coordinator)
    assert "Ludothèque itinérante" in served(client, cached.convention)


def test_signatories_added_changed_or_removed_show_on_the_next_view(cached, login):
    client = login(cached.elected)
    served(client, cached.convention)
    added = signatory_services.signatory_create(
        convention=cached.convention,
        data={
            "partner_kind": "other",
            "partner_name": "Conseil départemental",
            "role": "signataire",
        },
        by=cached.caf_staff,
    )
    assert "Conseil départemental" in served(client, cached.convention)
    signatory_services.signatory_update(
        signatory=Signatory.objects.get(pk=added.pk),
        data={"representative_name": "Mme Dupré"},
        by=cached.caf_staff,
    )
    assert "Mme Dupré" in served(client, cached.convention)
    signatory_services.signatory_delete(signatory=added, by=cached.caf_staff)
    assert "Conseil départemental" not in served(client, cached.convention)


def test_a_commune_renamed_shows_on_the_next_view(cached, login):
    cached.convention.territories.add(cached.commune)
    Convention.objects.filter(pk=cached.convention.pk).update(version=2)  # as the editor does
    client = login(cached.elected)
    assert "Laguépie" in served(client, cached.convention)
    collectivity_services.collectivity_update(
        collectivity=Collectivity.objects.get(pk=cached.commune.pk),
        data={"name": "Laguépie-sur-Viaur"},
        by=cached.caf_staff,
    )
    assert "Laguépie-sur-Viaur" in served(client, cached.convention)


def test_a_write_on_another_convention_keeps_the_rendering(cached, login):
    client = login(cached.elected)
    served(client, cached.convention)
    convention_activity_changed(convention_id=cached.other_convention.pk)
    with CaptureQueriesContext(connection) as warm:
        served(client, cached.convention)
    assert not any('conventions_signatory"."id"' in q["sql"] for q in warm.captured_queries)


def test_a_write_on_the_figures_draws_them_again_but_not_the_details(cached, login):
    client = login(cached.elected)
    served(client, cached.convention)
    with transaction.atomic():
        convention_data_changed(convention_id=cached.convention.pk)
    with CaptureQueriesContext(connection) as view:
        served(client, cached.convention)
    sql = " ".join(q["sql"] for q in view.captured_queries)
    assert "actions_actionsheet" in sql  # the figures and the fiches awaiting opinions
    assert "conventions_convention_thematics" not in sql  # the details, kept
    assert "conventions_meeting" not in sql  # the next meeting, kept


def test_a_report_requested_then_built_shows_on_the_next_view(cached, login):
    from reports import services as reporting
    from reports.models import ProgressReport

    client = login(cached.elected)
    assert "Aucun rapport n'a encore été produit." in served(client, cached.convention)
    with transaction.atomic():  # built once committed (the broker's eager mode here)
        report, _ = reporting.report_request(
            convention=cached.convention,
            period_start=cached.convention.start_date,
            period_end=cached.convention.start_date + datetime.timedelta(days=180),
        )
    page = served(client, cached.convention)
    status = ProgressReport.objects.get(pk=report.pk).get_status_display()
    assert f">{status}</span>" in page
