"""« Reprendre une convention existante »: a CTG signed before the tool is created in its real
phase with its real dates and signatories, its plan imported, its history saying « Reprise de
l'existant »."""

from __future__ import annotations

import datetime
import html
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from actions import exports
from actions.models import ActionSheet
from conventions.models import Convention

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TODAY = datetime.date(2026, 11, 28)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


def takeover_data(world, **overrides):
    data = {
        "name": "CTG des Deux Rives 2021-2025",
        "phase": Convention.Phase.IMPLEMENTATION,
        "start_date": "2021-12-15",
        "end_date": "2025-12-31",
        "signed_on": "2021-12-15",
        "caf_signs": "on",
        "signatories": [world.epci.pk, world.commune.pk],
        "territories": [world.epci.pk],
        "reporting_frequency": "yearly",
        "meeting_pack_days": "10",
    }
    data.update(overrides)
    return data


def test_a_signed_convention_is_taken_over_in_its_real_phase_then_its_plan_imported(world, login):
    client = login(world.caf_staff)
    assert "Reprenez-la dans sa phase réelle" in html.unescape(
        client.get(reverse("conventions:create")).content.decode()
    )
    response = client.post(reverse("conventions:takeover"), takeover_data(world))
    convention = Convention.objects.get(name="CTG des Deux Rives 2021-2025")
    assert response.status_code == 302
    assert response.url == reverse("actions:plan", args=[convention.pk])
    assert convention.phase == Convention.Phase.IMPLEMENTATION and convention.is_takeover
    assert convention.signed_on == datetime.date(2021, 12, 15)
    assert convention.caf == world.caf
    signatories = {str(s): s.signed_on for s in convention.signatories.all()}
    assert signatories == {
        world.caf.name: datetime.date(2021, 12, 15),
        world.epci.name: datetime.date(2021, 12, 15),
        world.commune.name: datetime.date(2021, 12, 15),
    }
    record = convention.history.earliest("history_date")
    assert record.history_change_reason.startswith("Reprise de l'existant")
    assert "signée le 15 décembre 2021" in record.history_change_reason

    # Its plan imports although the convention is in implementation, validated fiches too.
    wb = load_workbook(
        io.BytesIO(client.get(reverse("plans:template", args=[convention.pk])).content)
    )
    ws = wb[exports.FICHES_SHEET]
    ws.append(["FA-01", "Relais petite enfance", "Validée", None, None, "Petite enfance"])
    data = io.BytesIO()
    wb.save(data)
    response = client.post(
        reverse("plans:import", args=[convention.pk]),
        {"file": SimpleUploadedFile("ctg.xlsx", data.getvalue(), content_type=XLSX)},
    )
    assert response.context["preview"].ok, response.context["preview"].errors
    client.post(
        reverse("plans:import_confirm", args=[convention.pk]),
        {"token": response.context["token"]},
    )
    assert ActionSheet.objects.get(convention=convention).status == ActionSheet.Status.VALIDATED


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"signed_on": ""}, "signed_on", "indiquez la date de signature"),
        (
            {"phase": Convention.Phase.DIAGNOSTIC},
            "signed_on",
            "laissez la date de signature vide",
        ),
        ({"signed_on": "2027-01-01"}, "signed_on", "ne peut pas être dans le futur"),
    ],
)
def test_a_takeover_with_an_inconsistent_signature_is_refused_in_french(
    world, login, overrides, field, message
):
    response = login(world.caf_staff).post(
        reverse("conventions:takeover"), takeover_data(world, **overrides)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Convention.objects.filter(name="CTG des Deux Rives 2021-2025").exists()


def test_a_takeover_refuses_another_cafs_collectivities_and_non_caf_staff(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:takeover"),
        takeover_data(world, signatories=[world.other_commune.pk]),
    )
    assert response.status_code == 200 and "signatories" in response.context["form"].errors
    for user in (world.coordinator, world.elected):
        assert login(user).get(reverse("conventions:takeover")).status_code == 403
