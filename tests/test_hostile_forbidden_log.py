"""A 403 is one warning line in the log, not a stack trace (issue 19, item 7).

A permission sweep wrote 2,353 tracebacks, drowning the real errors. A refusal is expected
behaviour: the log keeps one line (path and reason); a real error keeps its traceback.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings
from django.urls import reverse

FORMAT = logging.Formatter("%(levelname)s %(name)s %(message)s")


def _request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_forbidden_page_is_logged_as_one_warning_line_without_traceback(world, login, caplog):
    url = reverse("evaluation:portfolio")
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = login(world.elected).get(url)
    assert response.status_code == 403
    [record] = _request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and not record.exc_text
    line = FORMAT.format(record)
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"WARNING django.request Forbidden (Permission denied): {url}")


def test_a_refused_action_logs_its_reason_on_the_same_line(world, login, caplog):
    from actions.factories import ActionSheetFactory

    sheet = ActionSheetFactory(convention=world.convention)
    url = reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, "inconnue"])
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = login(world.caf_staff).post(url)
    assert response.status_code == 403
    [record] = _request_records(caplog)
    line = FORMAT.format(record)
    assert "\n" not in line
    assert line.endswith("Changement de statut inconnu.")


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.error_urls")
def test_a_real_error_keeps_its_traceback(world, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(world.caf_staff)
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/essai/erreur/").status_code == 500
    [record] = _request_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert "Traceback" in FORMAT.format(record)
