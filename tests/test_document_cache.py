"""The convention document is built once per content by a task, then served from the
stored copy (issue #19: building it took 38 s inside the request on a loaded machine).

Celery runs eagerly in the tests: the build runs when the request's transaction
commits. In a test wrapped in a transaction that never commits, the commit callbacks
run at the end of ``django_capture_on_commit_callbacks(execute=True)``: the first
download answers the page « en préparation » and the build runs right after it, as a
worker would. The PDFs are real (WeasyPrint); the render function is only wrapped to
count its calls.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.models import ActionSheet
from conventions.factories import CommitteeMemberFactory
from conventions.models import Amendment, Side, Signatory
from conventions.services import signatory as signatory_services
from diagnostics.factories import thematic
from evaluation.factories import IndicatorFactory, MeasurementFactory
from portal import document, services, tasks
from portal.models import ConventionDocument
from tests.conftest import skip_or_fail

PREPARING = "Le document est en cours de préparation…"
FAILED = "La préparation du document a échoué"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def renders(monkeypatch):
    """The conventions whose PDF was rendered, one entry per rendering."""
    calls: list[int] = []
    original = document.render_convention_pdf

    def counting(**kwargs):
        calls.append(kwargs["data"].convention.pk)
        return original(**kwargs)

    monkeypatch.setattr(document, "render_convention_pdf", counting)
    return calls


@pytest.fixture
def queued(monkeypatch):
    """The builds handed to the broker, without building them."""
    sent: list[int] = []
    monkeypatch.setattr(
        tasks.build_convention_document,
        "apply_async",
        lambda args, **kwargs: sent.append(args[0]),
    )
    return sent


def url(convention) -> str:
    return reverse("portal:document", args=[convention.pk])


def pdf_text(response) -> str:
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text)


def download(client, convention, capture):
    """A download as a person makes it: the first request asks for the document (built
    when it commits), the page reloads and gets the PDF."""
    with capture(execute=True):
        response = client.get(url(convention))
    if response["Content-Type"].startswith("text/html"):
        response = client.get(url(convention))
    assert response["Content-Type"] == "application/pdf", response.content.decode()[:2000]
    return response


# --------------------------------------------------------------------------- built once


def test_the_first_download_prepares_the_document_the_next_ones_are_served_from_the_copy(
    world, login, renders, django_capture_on_commit_callbacks
):
    client = login(world.elected)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(url(world.convention))
    assert first.status_code == 200
    assert first["Content-Type"].startswith("text/html")
    body = first.content.decode()
    assert PREPARING in body
    assert "(version initiale)" in body
    assert f'href="{url(world.convention)}"' in body  # a link, besides the reload
    assert first["Refresh"] == f"5; url={url(world.convention)}?attente=1"
    assert renders == [world.convention.pk]  # built once the request committed

    copy = ConventionDocument.objects.get(convention=world.convention)
    assert copy.status == ConventionDocument.Status.READY
    assert copy.built_at is not None and copy.requested_by == world.elected
    for _ in range(2):
        response = client.get(url(world.convention))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            'attachment; filename="convention-ctg-des-deux-rives.pdf"'
        )
        assert "CTG des Deux Rives" in pdf_text(response)
    assert renders == [world.convention.pk]  # served from the copy, not rendered again
    assert ConventionDocument.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_with_an_eager_celery_the_first_download_is_the_pdf(world, login, renders):
    """Without a worker (eager tasks), the build runs when the request commits: the
    same request then serves the PDF."""
    response = login(world.coordinator).get(url(world.convention))
    assert response["Content-Type"] == "application/pdf"
    assert "CTG des Deux Rives" in pdf_text(response)
    assert renders == [world.convention.pk]


# --------------------------------------------------------------------------- what invalidates


def _new_amendment(world):
    Amendment.objects.create(
        convention=world.convention,
        number=1,
        date=datetime.date(2023, 5, 2),
        purpose="Adhésion d'une commune",
    )


def _signatory_edited(world):
    signatory = Signatory.objects.get(convention=world.convention, collectivity=world.commune)
    signatory_services.signatory_update(
        signatory=signatory,
        data={"representative_name": "Jeanne Martin", "representative_title": "Maire"},
        by=world.caf_staff,
    )


def _fiche_validated(world):
    sheet = ActionSheet.objects.get(convention=world.convention, number="FA-09")
    sheet.status = ActionSheet.Status.VALIDATED
    sheet.approved_version = sheet.version
    sheet.save()


def _member_added(world):
    CommitteeMemberFactory(committee=world.committee, side=Side.CAF, name="Nouvelle Venue")


def _thematic_added(world):
    world.convention.thematics.add(thematic("jeunesse"))


@pytest.mark.parametrize(
    "change",
    [_new_amendment, _signatory_edited, _fiche_validated, _member_added, _thematic_added],
)
def test_a_change_of_what_the_document_says_builds_it_again(
    world, login, renders, change, django_capture_on_commit_callbacks
):
    ActionSheetFactory(
        convention=world.convention,
        number="FA-09",
        title="Relais petite enfance itinérant",
        status=ActionSheet.Status.SUBMITTED,
    )
    client = login(world.caf_staff)
    download(client, world.convention, django_capture_on_commit_callbacks)
    old = ConventionDocument.objects.get()
    change(world)
    with django_capture_on_commit_callbacks(execute=True):
        assert PREPARING in client.get(url(world.convention)).content.decode()
    response = client.get(url(world.convention))
    assert response["Content-Type"] == "application/pdf"
    assert renders == [world.convention.pk] * 2
    # The superseded copy and its file are gone.
    new = ConventionDocument.objects.get()
    assert new.pk != old.pk and new.fingerprint != old.fingerprint
    assert not old.pdf.storage.exists(old.pdf.name)
    text = pdf_text(response)
    if change is _new_amendment:
        assert new.amendment_number == 1
        assert "Intégrant l'avenant n° 1 du 2 mai 2023" in text
        assert new.filename.endswith("-avenant-1.pdf")
    if change is _signatory_edited:
        assert "représentée par Jeanne Martin, Maire" in text


def test_follow_up_figures_do_not_rebuild_the_document(
    world, login, renders, django_capture_on_commit_callbacks
):
    """Spending, measurements and a draft's wording are not in the contract."""
    sheet = ActionSheetFactory(
        convention=world.convention, status=ActionSheet.Status.IN_PROGRESS, approved_version=1
    )
    line = FundingLineFactory(sheet=sheet, spent_amount=0)
    indicator = IndicatorFactory(action_sheet=sheet)
    draft = ActionSheetFactory(convention=world.convention, title="Brouillon")
    client = login(world.caf_staff)
    download(client, world.convention, django_capture_on_commit_callbacks)

    line.spent_amount = 9999
    line.save()
    MeasurementFactory(indicator=indicator, date=datetime.date(2024, 6, 30), value=15)
    draft.title = "Brouillon retravaillé"
    draft.save()
    response = client.get(url(world.convention))
    assert response["Content-Type"] == "application/pdf"
    assert renders == [world.convention.pk]


# --------------------------------------------------------------------------- one build per content


def test_double_clicks_queue_one_build(world, login, queued, django_capture_on_commit_callbacks):
    client = login(world.caf_staff)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(url(world.convention))
        second = client.get(url(world.convention))
    assert PREPARING in first.content.decode() and PREPARING in second.content.decode()
    copy = ConventionDocument.objects.get()
    assert queued == [copy.pk]
    assert copy.enqueued_at is not None
    # Still waiting for the worker: the reload does not queue it again…
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url(world.convention))
    assert queued == [copy.pk]
    # …unless the message must have been lost (the broker restarted without it).
    ConventionDocument.objects.filter(pk=copy.pk).update(
        enqueued_at=copy.enqueued_at - datetime.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url(world.convention))
    assert queued == [copy.pk, copy.pk]


def test_a_copy_created_meanwhile_by_another_request_is_reused(world, queued, monkeypatch):
    """Another request creates the same copy between the lookup and the insert: the
    unique constraint refuses the second row and the request reads the first one."""
    original = ConventionDocument.full_clean

    def created_meanwhile(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.pk is None:
            ConventionDocument.objects.create(
                convention=self.convention, fingerprint=self.fingerprint
            )

    monkeypatch.setattr(ConventionDocument, "full_clean", created_meanwhile)
    copy = services.convention_document_request(convention=world.convention, user=world.caf_staff)
    assert ConventionDocument.objects.get().pk == copy.pk
    assert copy.status == ConventionDocument.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_parallel_downloads_make_one_copy_and_queue_one_build(world, queued, monkeypatch):
    """Real concurrent requests (PostgreSQL: SQLite serialises its writers)."""
    if connection.vendor != "postgresql":
        skip_or_fail("concurrence réelle : PostgreSQL seulement (SQLite sérialise les écritures)")
    parallel = 6
    barrier = threading.Barrier(parallel)
    original = services._copy_for

    def racing(**kwargs):
        try:
            barrier.wait(timeout=5)  # every request computed the content, none created it
        except threading.BrokenBarrierError:
            pass
        return original(**kwargs)

    monkeypatch.setattr(services, "_copy_for", racing)
    results: list = [None] * parallel

    def run(index):
        try:
            client = Client()
            client.force_login(world.caf_staff)
            response = client.get(url(world.convention))
            results[index] = (response.status_code, PREPARING in response.content.decode())
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [(200, True)] * parallel
    copy = ConventionDocument.objects.get()
    assert queued == [copy.pk]


# --------------------------------------------------------------------------- failures


def test_a_failed_build_says_so_and_offers_to_try_again(
    world, login, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    original = document.render_convention_pdf

    def broken(**kwargs):
        raise RuntimeError("mise en page impossible")

    monkeypatch.setattr(document, "render_convention_pdf", broken)
    client = login(world.coordinator)
    with caplog.at_level(logging.ERROR, logger="portal.services"):
        with django_capture_on_commit_callbacks(execute=True):
            client.get(url(world.convention))
    assert "could not be built" in caplog.text
    assert "mise en page impossible" in caplog.text
    copy = ConventionDocument.objects.get()
    assert copy.status == ConventionDocument.Status.FAILED
    assert copy.error == "RuntimeError : mise en page impossible"

    page = client.get(url(world.convention))
    assert page.status_code == 200
    body = page.content.decode()
    assert FAILED in body
    assert 'method="post"' in body and "Réessayer" in body
    assert "Refresh" not in page  # a failure does not reload itself
    assert "mise en page impossible" not in body  # the error is for the technical team

    monkeypatch.setattr(document, "render_convention_pdf", original)
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(url(world.convention))
    assert retried.status_code == 302 and retried["Location"] == url(world.convention)
    response = client.get(url(world.convention))
    assert response["Content-Type"] == "application/pdf"
    copy.refresh_from_db()
    assert (copy.status, copy.error, copy.attempts) == ("ready", "", 2)


def test_a_copy_whose_file_is_lost_is_built_again(
    world, login, renders, django_capture_on_commit_callbacks
):
    client = login(world.caf_staff)
    download(client, world.convention, django_capture_on_commit_callbacks)
    copy = ConventionDocument.objects.get()
    copy.pdf.storage.delete(copy.pdf.name)
    response = download(client, world.convention, django_capture_on_commit_callbacks)
    assert "CTG des Deux Rives" in pdf_text(response)
    assert renders == [world.convention.pk] * 2


def test_a_copy_whose_content_changed_before_its_build_is_dropped(world, queued, renders):
    copy = services.convention_document_request(convention=world.convention)
    _new_amendment(world)
    assert services.convention_document_build(document_id=copy.pk) is None
    assert not ConventionDocument.objects.exists()
    assert renders == []


def test_the_task_takes_an_id_and_builds_the_copy(world, queued, renders):
    copy = services.convention_document_request(convention=world.convention)
    assert tasks.build_convention_document(copy.pk) == copy.pk
    copy.refresh_from_db()
    assert copy.status == ConventionDocument.Status.READY
    with copy.pdf.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")
    # Safe to run twice; a copy deleted meanwhile is nothing to build.
    assert tasks.build_convention_document(copy.pk) == copy.pk
    assert tasks.build_convention_document(copy.pk + 1000) is None
    assert renders == [world.convention.pk]


def test_the_page_that_waited_says_the_document_is_ready_and_starts_the_download(
    world, login, renders, django_capture_on_commit_callbacks
):
    """The reloading page must not keep saying « en préparation » once the PDF has left."""
    client = login(world.elected)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(url(world.convention))
    waiting = f"{url(world.convention)}?attente=1"
    assert first["Refresh"] == f"5; url={waiting}"
    ready = client.get(waiting)
    assert ready.status_code == 200 and ready["Content-Type"].startswith("text/html")
    body = ready.content.decode()
    assert "Le document est prêt" in body and PREPARING not in body
    assert f'href="{url(world.convention)}"' in body
    assert ready["Refresh"] == f"0; url={url(world.convention)}"
    # The download itself is the plain address.
    assert client.get(url(world.convention))["Content-Type"] == "application/pdf"
