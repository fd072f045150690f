"""The dossier de séance of a meeting (issue #15, item 3): a cover with date, time and place,
the agenda on page 1, one page per fiche to decide (summary, budget, indicators, changes
since the validated version), the figures since the last meeting and the previous meeting's
relevé de décisions; built once per content, downloadable by whoever sees the convention."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.models import ActionSheet
from conventions.factories import MeetingFactory
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Measurement
from meetings import pack, selectors, services
from meetings.models import Attendance, MeetingPack
from reports import services as reporting
from reports.models import ProgressReport

UTC = datetime.UTC
TODAY = datetime.date(2025, 3, 1)
Status = ActionSheet.Status


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def pack_url(meeting) -> str:
    return reverse(
        "meetings:pack_pdf",
        args=[meeting.committee.convention_id, meeting.committee_id, meeting.pk],
    )


@pytest.fixture
def today(monkeypatch):
    """Today is 1 March 2025 for every ``timezone.localdate()`` call."""
    localdate = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, *a, **k: localdate(value) if value else TODAY
    )
    return TODAY


@pytest.fixture
def packed(world):
    """The COPIL of 12 March 2025 (14:30 in Paris, Mairie de Laguépie) after the one of
    5 November 2024, whose relevé holds a follow-up; FA-01 submitted for the first time
    with a funding plan and an indicator; FA-02, validated in version 1, submitted again
    with another description; a measurement entered between the two meetings."""
    convention, committee = world.convention, world.committee
    previous = MeetingFactory(
        committee=committee, date=at(2024, 11, 5, 9, 0), location="Siège de la Caf"
    )
    services.attendance_record(
        meeting=previous,
        statuses={
            world.caf_seat.pk: Attendance.Status.PRESENT,
            world.territory_seat.pk: Attendance.Status.EXCUSED,
        },
        by=world.caf_staff,
    )
    point = services.agenda_item_add(meeting=previous, title="Bilan 2024", by=world.caf_staff)
    services.decision_record(
        meeting=previous,
        key=point.key,
        follow_up="Relancer les communes sans relais",
        by=world.caf_staff,
    )
    meeting = MeetingFactory(
        committee=committee, date=at(2025, 3, 12, 13, 30), location="Mairie de Laguépie"
    )
    services.attendance_record(
        meeting=meeting,
        statuses={world.caf_seat.pk: Attendance.Status.PRESENT},
        by=world.caf_staff,
    )
    first = ActionSheetFactory(
        convention=convention,
        number="FA-01",
        title="Relais petite enfance",
        status=Status.SUBMITTED,
        description="Ouvrir un relais itinérant",
        target_public="Familles du territoire",
    )
    FundingLineFactory(sheet=first, funder="Caf", year=2025, planned_amount=12000, spent_amount=0)
    FundingLineFactory(
        sheet=first, funder="Commune", year=2025, planned_amount=3000, spent_amount=500
    )
    places = IndicatorFactory(action_sheet=first, name="Places en relais")
    MeasurementFactory(indicator=places, date=datetime.date(2024, 12, 31), value=15)
    Measurement.objects.filter(indicator=places).update(entered_at=at(2024, 12, 20, 10, 0))
    changed = ActionSheetFactory(
        convention=convention,
        number="FA-02",
        title="Accueil de loisirs",
        status=Status.VALIDATED,
        description="Accueil le mercredi",
        version=1,
        approved_version=1,
    )
    changed.description = "Accueil le mercredi et pendant les vacances"
    changed.version = 2
    changed.status = Status.SUBMITTED
    changed.save()
    services.agenda_item_add(
        meeting=meeting,
        title="Questions diverses",
        note="Calendrier 2025\nRenouvellement du bureau",
        by=world.caf_staff,
    )
    return type(
        "Packed",
        (),
        dict(world=world, meeting=meeting, previous=previous, first=first, changed=changed),
    )


def pages_of(document: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(document)).pages]


def page_of(pages: list[str], text: str) -> int:
    found = [n for n, page in enumerate(pages, start=1) if text in page]
    assert found, text
    return found[0]


# --------------------------------------------------------------------------- the content


def test_the_pack_reads_each_part_from_its_home(packed, today):
    content = selectors.pack(meeting=packed.meeting, convention=packed.world.convention)
    fiches = {f["sheet"].number: f for f in content["fiches"]}
    assert list(fiches) == ["FA-01", "FA-02"]
    assert fiches["FA-01"]["totals"]["planned"] == 15000
    assert fiches["FA-01"]["totals"]["spent"] == 500
    [indicator] = fiches["FA-01"]["indicators"]
    assert indicator.name == "Places en relais" and indicator.last_value == 15
    assert fiches["FA-01"]["changes"] is None  # never validated
    changes = fiches["FA-02"]["changes"]
    assert changes["approved_version"] == 1
    assert [c["field"] for c in changes["fields"]] == ["description de l'action"]
    figures = content["figures"]
    assert figures["since"] == packed.previous.date
    assert [m.indicator.name for m in figures["measurements"]] == ["Places en relais"]
    assert content["previous"] == packed.previous
    assert [d.follow_up for d in content["previous_releve"]["follow_ups"]] == [
        "Relancer les communes sans relais"
    ]


def test_the_pack_pdf_has_its_cover_agenda_fiche_pages_figures_and_previous_minutes(packed, today):
    built = services.pack_build(meeting=packed.meeting)
    pages = pages_of(bytes(built.document))
    first = pages[0]
    for expected in (
        "Dossier de séance",
        "Comité de pilotage",
        "Réunion du 12 mars 2025, de 14:30 à 16:30",
        "Lieu : Mairie de Laguépie",
        "Ordre du jour",
        "Avis sur la fiche FA-01 — Relais petite enfance",
        "Nouvelle version de la fiche FA-02 — Accueil de loisirs",
        "Questions diverses",
        "Calendrier 2025 Renouvellement du bureau",
        "Membres convoqués",
        "Marc Caf",
        "Maud Territoire",
    ):
        assert expected in first, expected
    # One page per fiche to decide, each with its summary, budget and indicators.
    fa01 = page_of(pages, "Fiche FA-01 — Relais petite enfance")
    fa02 = page_of(pages, "Fiche FA-02 — Accueil de loisirs")
    assert 1 < fa01 < fa02
    for expected in (
        "Ouvrir un relais itinérant",
        "Familles du territoire",
        "Budget total 15 000,00 € 500,00 €",
        "Places en relais",
        "Première soumission",
    ):
        assert expected in pages[fa01 - 1], expected
    assert "Accueil le mercredi → Accueil le mercredi et pendant les vacances" in pages[fa02 - 1]
    figures = page_of(pages, "Les chiffres depuis la dernière réunion")
    assert figures > fa02
    assert "Depuis la réunion du 5 novembre 2024" in pages[figures - 1]
    assert "Mesures saisies depuis la dernière réunion" in pages[figures - 1]
    minutes = page_of(pages, "Relevé de décisions de la réunion précédente")
    assert minutes > figures
    text = " ".join(pages[minutes - 1 :])
    assert "réunion du 5 novembre 2024" in text and "Siège de la Caf" in text
    assert "Relancer les communes sans relais" in text
    assert "1 présent, 1 excusé, 0 absent" in text


def test_a_first_meeting_says_it_has_no_previous_minutes(world, today):
    meeting = MeetingFactory(committee=world.committee, date=at(2025, 3, 12, 13, 30))
    text = " ".join(pages_of(bytes(services.pack_build(meeting=meeting).document)))
    assert "C'est la première réunion de l'instance : il n'y a pas de relevé précédent." in text
    assert "Première réunion de l'instance : depuis le début de la convention" in text
    assert "Aucun point" not in text  # the parity point is always proposed


def test_the_pdf_is_built_once_per_content(packed, today, monkeypatch):
    renders = []
    real = pack.render_pdf
    monkeypatch.setattr(pack, "render_pdf", lambda html: renders.append(html) or real(html))
    first = services.pack_build(meeting=packed.meeting)
    again = services.pack_build(meeting=packed.meeting)
    assert len(renders) == 1 and bytes(again.document) == bytes(first.document)
    services.agenda_item_add(
        meeting=packed.meeting, title="Point ajouté", by=packed.world.caf_staff
    )
    rebuilt = services.pack_build(meeting=packed.meeting)
    assert len(renders) == 2 and rebuilt.digest != first.digest
    assert "Point ajouté" in pages_of(bytes(rebuilt.document))[0]
    assert MeetingPack.objects.filter(meeting=packed.meeting).count() == 1


# --------------------------------------------------------------------------- the page


@pytest.mark.parametrize(
    "role, status",
    [
        ("caf_staff", 200),
        ("coordinator", 200),
        ("elected", 200),
        ("member_territory", 200),
        ("other_caf_staff", 404),
        ("outsider", 404),
    ],
)
def test_the_pack_is_downloaded_by_whoever_sees_the_convention(packed, login, today, role, status):
    response = login(getattr(packed.world, role)).get(pack_url(packed.meeting))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert "dossier-de-seance-12-03-2025.pdf" in response["Content-Disposition"]


def test_the_meeting_page_links_to_its_pack(packed, login, today):
    page = login(packed.world.member_territory).get(
        reverse(
            "conventions:meeting_detail",
            args=[packed.world.convention.pk, packed.world.committee.pk, packed.meeting.pk],
        )
    )
    assert f'href="{pack_url(packed.meeting)}"' in page.content.decode()


def test_a_foreign_meeting_has_no_pack(packed, login):
    url = reverse(
        "meetings:pack_pdf",
        args=[packed.world.convention.pk, packed.world.committee.pk, packed.meeting.pk + 999],
    )
    assert login(packed.world.caf_staff).get(url).status_code == 404
    assert login(packed.world.caf_staff).post(pack_url(packed.meeting)).status_code == 405


def test_the_pack_mailed_before_the_meeting_points_to_the_meeting_page(packed, mailoutbox):
    report = ProgressReport.objects.create(
        convention=packed.world.convention,
        kind=ProgressReport.Kind.MEETING_PACK,
        meeting=packed.meeting,
        period_start=datetime.date(2024, 11, 5),
        period_end=datetime.date(2025, 3, 12),
        status=ProgressReport.Status.READY,
        generated_at=at(2025, 3, 1, 6, 0),
    )
    assert reporting.report_deliver(report_id=report.pk) == 2
    page = reverse(
        "conventions:meeting_detail",
        args=[packed.world.convention.pk, packed.world.committee.pk, packed.meeting.pk],
    )
    for message in mailoutbox:
        assert page in message.body
        assert "Le dossier de séance complet" in message.body
        assert page in message.alternatives[0][0]


def test_the_pack_lists_only_the_measurements_that_count(packed, today):
    """A value still « à valider » counts nowhere, in the pack as in the progress report."""
    places = packed.first.indicators.get()
    MeasurementFactory(
        indicator=places, date=datetime.date(2025, 1, 31), value=99,
        validation_state=Measurement.State.PENDING,
    )  # fmt: skip
    Measurement.objects.filter(indicator=places).update(entered_at=at(2025, 2, 1, 10, 0))
    content = selectors.pack(meeting=packed.meeting, convention=packed.world.convention)
    assert [m.value for m in content["figures"]["measurements"]] == [15]
