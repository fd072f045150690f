"""Double submits never answer 500 (issue 19, item 2).

- A new fiche without a number takes the next free one; when another request takes that number
  between the pick and the insert, the creation retries with the following one.
- Confirming the same measurement import twice (double click, two tabs, a replayed request)
  imports once, and the second confirmation lands on the same result.

The deterministic tests simulate the race on any database; the thread tests run real concurrent
requests and need PostgreSQL (SQLite serialises its writers).
"""

from __future__ import annotations

import datetime
import io
import threading

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from actions import selectors as action_selectors
from actions import services as action_services
from actions.factories import ActionSheetFactory
from actions.models import ActionSheet
from diagnostics.factories import thematic
from evaluation import imports as measurement_imports
from evaluation import services as evaluation_services
from evaluation.factories import IndicatorFactory
from evaluation.indicator_views import SESSION_KEY
from evaluation.models import Measurement
from tests.conftest import skip_or_fail
from tests.test_actions_pages import form_data

START, END = datetime.date(2022, 1, 1), datetime.date(2025, 12, 31)
PARALLEL = 6


def postgresql_only():
    # Skipped with the embedded SQLite (it serialises writes); fails in CI, which runs on
    # PostgreSQL with CTG_REQUIRE_SERVICES=1.
    if connection.vendor != "postgresql":
        skip_or_fail("concurrence réelle : PostgreSQL seulement (SQLite sérialise les écritures)")


def _messages(response) -> list[str]:
    """The messages this request added (earlier ones wait in the storage)."""
    return [m.message for m in get_messages(response.wsgi_request)._queued_messages]


def _run_in_parallel(work, count: int) -> list:
    """Run ``work(i)`` in ``count`` threads; return what each returned or raised."""
    results: list = [None] * count

    def run(i):
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _meet(barrier: threading.Barrier) -> None:
    """Wait for the other requests; a request held by a lock never comes, so not forever."""
    try:
        barrier.wait(timeout=2)
    except threading.BrokenBarrierError:
        pass


# --------------------------------------------------------------------------- fiches


def test_a_new_fiche_whose_number_is_taken_meanwhile_gets_the_next_one(world, login, monkeypatch):
    """Another request creates FA-01 between the pick of the number and the insert."""
    original = action_selectors.next_sheet_number
    picked = []

    def taken_meanwhile(*, convention):
        number = original(convention=convention)
        if not picked:
            ActionSheetFactory(convention=convention, number=number, title="L'autre onglet")
        picked.append(number)
        return number

    monkeypatch.setattr(action_selectors, "next_sheet_number", taken_meanwhile)
    response = login(world.coordinator).post(
        reverse("actions:sheet_create", args=[world.convention.pk]), form_data(world)
    )
    assert response.status_code == 302, response.context["form"].errors
    created = ActionSheet.objects.get(title="Accueil de loisirs du mercredi")
    assert created.number == "FA-02"
    assert picked[0] == "FA-01"


def test_a_number_typed_by_hand_and_taken_meanwhile_is_refused_in_french(world, monkeypatch):
    """A number chosen by the user is not changed behind their back: it is refused."""
    original = ActionSheet.full_clean

    def taken_meanwhile(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.pk is None and not ActionSheet.objects.filter(number="FA-07").exists():
            ActionSheetFactory(convention=self.convention, number="FA-07")

    monkeypatch.setattr(ActionSheet, "full_clean", taken_meanwhile)
    with pytest.raises(ValidationError) as refused:
        action_services.action_sheet_save(
            convention=world.convention,
            by=world.coordinator,
            data={"number": "FA-07", "title": "Crèche", "thematic": thematic("enfance")},
        )
    assert refused.value.message_dict == {
        "number": ["Ce numéro de fiche est déjà utilisé dans la convention."]
    }
    assert not ActionSheet.objects.filter(title="Crèche").exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_new_fiches_without_a_number_all_get_their_own(world, monkeypatch):
    postgresql_only()
    barrier = threading.Barrier(PARALLEL)
    original = action_selectors.next_sheet_number
    local = threading.local()

    def racing(*, convention):
        number = original(convention=convention)
        if not getattr(local, "met", False):
            local.met = True
            _meet(barrier)  # every request picked the same number
        return number

    monkeypatch.setattr(action_selectors, "next_sheet_number", racing)
    url = reverse("actions:sheet_create", args=[world.convention.pk])

    def post(i):
        client = Client()
        client.force_login(world.coordinator)
        return client.post(url, form_data(world, title=f"Fiche parallèle {i}")).status_code

    results = _run_in_parallel(post, PARALLEL)
    assert results == [302] * PARALLEL
    numbers = sorted(ActionSheet.objects.values_list("number", flat=True))
    assert numbers == [f"FA-{i:02d}" for i in range(1, PARALLEL + 1)]


# --------------------------------------------------------------------------- measurement import


@pytest.fixture
def measured(world):
    world.convention.start_date, world.convention.end_date = START, END
    world.convention.save()
    sheet = ActionSheetFactory(convention=world.convention, number="FA-01")
    return [IndicatorFactory(action_sheet=sheet), IndicatorFactory(action_sheet=sheet)]


def _preview(client, world) -> str:
    """Download the workbook, type a value for each indicator, upload it: the preview's token."""
    pk = world.convention.pk
    wb = load_workbook(io.BytesIO(client.get(reverse("evaluation:workbook", args=[pk])).content))
    ws = wb[measurement_imports.SHEET_NAME]
    first_period = len(measurement_imports.FIXED_HEADERS) + 1
    ws.cell(row=2, column=first_period, value=12)
    ws.cell(row=3, column=first_period, value="7,5")
    buffer = io.BytesIO()
    wb.save(buffer)
    response = client.post(
        reverse("evaluation:workbook_upload", args=[pk]),
        {"file": SimpleUploadedFile("mesures.xlsx", buffer.getvalue())},
    )
    assert response.status_code == 200
    return response.context["token"]


RESULT = "Import terminé : 2 mesure(s) créée(s), 0 modifiée(s), 0 inchangée(s)."


def test_a_replayed_import_confirmation_lands_on_the_same_result(world, login, measured):
    """The second request of a double click read the session before the first one saved it:
    it still holds the token."""
    client = login(world.coordinator)
    token = _preview(client, world)
    pending = dict(client.session[SESSION_KEY])
    url = reverse("evaluation:workbook_confirm", args=[world.convention.pk])

    first = client.post(url, {"token": token})
    assert first.status_code == 302
    assert _messages(first) == [RESULT]

    session = client.session
    session[SESSION_KEY] = pending
    session.save()
    second = client.post(url, {"token": token})
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert _messages(second) == [RESULT]
    assert Measurement.objects.count() == 2


def test_a_second_confirmation_after_the_first_one_lands_on_the_same_result(world, login, measured):
    client = login(world.coordinator)
    token = _preview(client, world)
    url = reverse("evaluation:workbook_confirm", args=[world.convention.pk])
    first = client.post(url, {"token": token})
    second = client.post(url, {"token": token})
    assert (second.status_code, second["Location"]) == (302, first["Location"])
    assert _messages(second) == [RESULT]
    assert Measurement.objects.count() == 2


def test_another_persons_token_is_not_a_result_to_show(world, login, measured):
    client = login(world.coordinator)
    token = _preview(client, world)
    url = reverse("evaluation:workbook_confirm", args=[world.convention.pk])
    client.post(url, {"token": token})
    other = login(world.caf_staff).post(url, {"token": token})
    assert other["Location"] == reverse("evaluation:workbook_upload", args=[world.convention.pk])
    assert _messages(other) == [
        "Cet aperçu a expiré ou a déjà été importé. Déposez à nouveau le classeur."
    ]


@pytest.mark.django_db(transaction=True)
def test_parallel_confirmations_of_one_import_all_land_on_the_result(world, measured, monkeypatch):
    postgresql_only()
    client = Client()
    client.force_login(world.coordinator)
    token = _preview(client, world)
    cookie = client.cookies["sessionid"].value
    url = reverse("evaluation:workbook_confirm", args=[world.convention.pk])
    barrier = threading.Barrier(PARALLEL)
    original = evaluation_services.bulk_create_with_history

    def racing(*args, **kwargs):
        _meet(barrier)  # every request read the same existing measurements (none)
        return original(*args, **kwargs)

    monkeypatch.setattr(evaluation_services, "bulk_create_with_history", racing)

    def confirm(i):
        same_browser = Client()
        same_browser.cookies["sessionid"] = cookie
        response = same_browser.post(url, {"token": token})
        return response.status_code, response["Location"], _messages(response)

    results = _run_in_parallel(confirm, PARALLEL)
    overview = reverse("evaluation:overview", args=[world.convention.pk])
    assert results == [(302, overview, [RESULT])] * PARALLEL
    assert Measurement.objects.count() == 2
