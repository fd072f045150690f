"""The committee cycle (meetings app): attendees, the agenda built by the tool and arranged
by the Caf, the convocation with its ``.ics``."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.factories import ActionSheetFactory
from actions.models import ActionSheet
from conventions.factories import CommitteeFactory, CommitteeMemberFactory, MeetingFactory
from conventions.models import Side, Thematic
from evaluation.factories import IndicatorFactory, MeasurementFactory
from meetings import ical, selectors, services
from meetings.models import AgendaItem, Attendance, Convocation
from reports.models import ProgressReport

UTC = datetime.UTC
TODAY = datetime.date(2026, 11, 28)
Status = ActionSheet.Status


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def meeting_url(meeting) -> str:
    return reverse(
        "conventions:meeting_detail",
        args=[meeting.committee.convention_id, meeting.committee_id, meeting.pk],
    )


def action_url(name: str, meeting) -> str:
    return reverse(
        f"meetings:{name}",
        args=[meeting.committee.convention_id, meeting.committee_id, meeting.pk],
    )


def report(convention, generated_at, *, kind=ProgressReport.Kind.PERIODIC, **extra):
    day = generated_at.date()
    return ProgressReport.objects.create(
        convention=convention,
        kind=kind,
        period_start=day - datetime.timedelta(days=90),
        period_end=day,
        status=ProgressReport.Status.READY,
        generated_at=generated_at,
        **extra,
    )


@pytest.fixture
def cycle(world):
    """A COPIL meeting on 12 March 2025 after one on 5 November 2024, with a fiche of each
    kind, a late and an on-track indicator, and reports before and after the last meeting."""
    convention, committee = world.convention, world.committee
    previous = MeetingFactory(committee=committee, date=at(2024, 11, 5, 9, 0))
    meeting = MeetingFactory(
        committee=committee,
        date=at(2025, 3, 12, 13, 30),
        location="Salle du conseil, 1er étage; mairie de Laguépie",
    )
    submitted = ActionSheetFactory(
        convention=convention,
        number="FA-01",
        title="Relais petite enfance",
        status=Status.SUBMITTED,
    )
    changed = ActionSheetFactory(
        convention=convention,
        number="FA-02",
        title="Accueil de loisirs",
        status=Status.SUBMITTED,
        version=2,
        approved_version=1,
    )
    validated = ActionSheetFactory(
        convention=convention, number="FA-03", title="Lieu d'accueil", status=Status.IN_PROGRESS
    )
    ActionSheetFactory(convention=convention, number="FA-04", title="Brouillon")
    late = IndicatorFactory(action_sheet=validated, name="Places d'accueil")
    MeasurementFactory(indicator=late, date=datetime.date(2025, 1, 31), value=10.5)
    on_track = IndicatorFactory(action_sheet=validated, name="Familles accompagnées")
    MeasurementFactory(indicator=on_track, date=datetime.date(2023, 1, 31), value=13)
    IndicatorFactory(action_sheet=validated, name="Sans mesure")
    old = report(convention, at(2024, 10, 1, 8, 0))
    recent = report(convention, at(2025, 1, 15, 8, 0))
    report(convention, at(2025, 4, 1, 8, 0))  # after the meeting
    return type(
        "Cycle",
        (),
        dict(
            world=world,
            meeting=meeting,
            previous=previous,
            submitted=submitted,
            changed=changed,
            validated=validated,
            late=late,
            on_track=on_track,
            old=old,
            recent=recent,
        ),
    )


def shown(meeting, today=TODAY):
    panel = selectors.meeting_panel(
        meeting=meeting, convention=meeting.committee.convention, today=today
    )
    return panel["agenda"]


def keys(agenda) -> list[str]:
    return [item.key for item in agenda.rows]


EXPECTED_KEYS = lambda c: [  # noqa: E731
    "parity",
    f"report:{c.recent.pk}",
    f"fiche:{c.submitted.pk}",
    f"fiche:{c.changed.pk}",
    f"indicator:{c.late.pk}",
]


# --------------------------------------------------------------------------- the agenda


def test_the_proposed_agenda_holds_exactly_the_committee_s_business(cycle):
    agenda = shown(cycle.meeting)
    assert keys(agenda) == EXPECTED_KEYS(cycle)
    kinds = [item.kind for item in agenda.rows]
    assert kinds == [
        AgendaItem.Kind.PARITY,
        AgendaItem.Kind.REPORT,
        AgendaItem.Kind.FICHE_SUBMITTED,
        AgendaItem.Kind.FICHE_CHANGED,
        AgendaItem.Kind.LATE_INDICATOR,
    ]
    titles = [item.title for item in agenda.rows]
    assert titles[0] == "Composition de l'instance — Parité respectée : 1 membre de chaque côté"
    assert "FA-02" in titles[3] and "version validée 1" in titles[3]
    assert titles[4] == "Indicateur en retard : Places d'accueil (FA-03)"
    assert not AgendaItem.objects.exists()  # reading writes nothing


def test_a_committee_that_does_not_approve_gets_no_fiche_and_a_group_only_its_thematic(cycle):
    group = CommitteeFactory(
        convention=cycle.world.convention,
        kind="thematic",
        name="Groupe jeunesse",
        thematic=cycle.validated.thematic,
    )
    CommitteeMemberFactory(committee=group, side=Side.CAF, name="Jeanne")
    meeting = MeetingFactory(committee=group, date=at(2025, 3, 20, 9, 0))
    assert keys(shown(meeting)) == [
        "parity",
        f"report:{cycle.old.pk}",
        f"report:{cycle.recent.pk}",
        f"indicator:{cycle.late.pk}",
    ]
    other = CommitteeFactory(
        convention=cycle.world.convention,
        kind="thematic",
        name="Groupe logement",
        thematic=Thematic.objects.exclude(pk=cycle.validated.thematic_id).first(),
    )
    assert f"indicator:{cycle.late.pk}" not in keys(shown(MeetingFactory(committee=other)))


def test_the_agenda_follows_the_data_until_it_is_frozen(cycle):
    meeting, staff = cycle.meeting, cycle.world.caf_staff
    cycle.submitted.status = Status.VALIDATED
    cycle.submitted.save()
    new = ActionSheetFactory(
        convention=cycle.world.convention, number="FA-09", status=Status.SUBMITTED
    )
    following = keys(shown(meeting))
    assert f"fiche:{cycle.submitted.pk}" not in following
    assert following.index(f"fiche:{new.pk}") == following.index(f"fiche:{cycle.changed.pk}") - 1

    services.agenda_freeze(meeting=meeting, by=staff)
    frozen = keys(shown(meeting))
    later = ActionSheetFactory(
        convention=cycle.world.convention, number="FA-10", status=Status.SUBMITTED
    )
    new.status = Status.VALIDATED
    new.save()
    assert keys(shown(meeting)) == frozen  # no longer follows
    assert f"fiche:{later.pk}" not in frozen

    services.agenda_unfreeze(meeting=meeting, by=staff)
    following = keys(shown(meeting))
    assert f"fiche:{later.pk}" in following and f"fiche:{new.pk}" not in following


def test_the_caf_reorders_adds_removes_and_restores_points(cycle):
    meeting, staff = cycle.meeting, cycle.world.caf_staff
    late_key = f"indicator:{cycle.late.pk}"
    services.agenda_item_move(meeting=meeting, key=late_key, direction="up", by=staff)
    services.agenda_item_move(meeting=meeting, key="parity", direction="up", by=staff)  # first
    expected = EXPECTED_KEYS(cycle)
    expected[3], expected[4] = expected[4], expected[3]
    assert keys(shown(meeting)) == expected

    free = services.agenda_item_add(
        meeting=meeting, title="Calendrier 2026", note="Dates des prochaines réunions", by=staff
    )
    services.agenda_item_move(meeting=meeting, key=free.key, direction="up", by=staff)
    assert keys(shown(meeting))[-2] == free.key

    services.agenda_item_remove(meeting=meeting, key=f"fiche:{cycle.submitted.pk}", by=staff)
    agenda = shown(meeting)
    assert f"fiche:{cycle.submitted.pk}" not in keys(agenda)
    assert [item.key for item in agenda.removed] == [f"fiche:{cycle.submitted.pk}"]

    services.agenda_item_restore(meeting=meeting, key=f"fiche:{cycle.submitted.pk}", by=staff)
    assert keys(shown(meeting))[-1] == f"fiche:{cycle.submitted.pk}"

    services.agenda_item_remove(meeting=meeting, key=free.key, by=staff)
    assert not AgendaItem.objects.filter(key=free.key).exists()
    with pytest.raises(ValidationError):
        services.agenda_item_move(meeting=meeting, key=free.key, direction="down", by=staff)
    with pytest.raises(ValidationError):
        services.agenda_item_add(meeting=meeting, title="   ", by=staff)
    with pytest.raises(ValidationError):
        services.agenda_item_add(meeting=meeting, title="x" * 301, by=staff)


def test_the_agenda_page_actions_move_add_and_freeze(cycle, login):
    client, meeting = login(cycle.world.caf_staff), cycle.meeting
    url = action_url("agenda", meeting)
    response = client.post(url, {"action": "down", "item": "parity"})
    assert response.status_code == 302 and response["Location"].endswith("#ordre-du-jour")
    assert keys(shown(meeting))[:2] == [f"report:{cycle.recent.pk}", "parity"]
    client.post(url, {"action": "add", "title": "Questions diverses", "note": ""})
    client.post(url, {"action": "freeze"})
    page = client.get(meeting_url(meeting)).content.decode()
    assert "Questions diverses" in page and "Figé le" in page
    response = client.post(url, {"action": "add", "title": "", "note": "x"}, follow=True)
    assert "Point non ajouté" in response.content.decode()
    response = client.post(url, {"action": "up", "item": "inconnu"}, follow=True)
    assert "ne figure plus" in response.content.decode()
    response = client.post(url, {"action": "detruire"}, follow=True)
    assert "non reconnue" in response.content.decode()


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    "role,status",
    [
        ("caf_staff", 302),
        ("coordinator", 403),
        ("member_caf", 403),
        ("elected", 403),
        ("other_caf_staff", 404),
        ("outsider", 404),
    ],
)
def test_only_the_caf_staff_change_the_agenda_attendance_and_convocation(
    cycle, login, role, status, mailoutbox
):
    client = login(getattr(cycle.world, role))
    for name, data in (
        ("agenda", {"action": "add", "title": "Point"}),
        ("attendance", {f"presence-{cycle.world.caf_seat.pk}": "present"}),
        ("convocation_send", {}),
    ):
        assert client.post(action_url(name, cycle.meeting), data).status_code == status
    changed = AgendaItem.objects.exists() or Attendance.objects.exists()
    assert changed == (status == 302)


def test_members_see_the_agenda_and_attendees_without_the_buttons(cycle, login):
    page = login(cycle.world.member_caf).get(meeting_url(cycle.meeting)).content.decode()
    assert "Avis sur la fiche FA-01" in page and "Maud Territoire" in page
    assert "Figer l'ordre du jour" not in page and "Envoyer la convocation" not in page
    assert 'name="presence-' not in page
    response = login(cycle.world.member_caf).get(action_url("calendar", cycle.meeting))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert "METHOD:PUBLISH" in response.content.decode()


# --------------------------------------------------------------------------- attendees


def test_attendance_is_recorded_per_member_with_guests(cycle, login):
    world, meeting = cycle.world, cycle.meeting
    client = login(world.caf_staff)
    client.post(
        action_url("attendance", meeting),
        {
            f"presence-{world.caf_seat.pk}": "present",
            f"presence-{world.territory_seat.pk}": "excused",
            "guests": "Mme Dupont, directrice du centre social",
        },
    )
    assert dict(Attendance.objects.values_list("member_id", "status")) == {
        world.caf_seat.pk: "present",
        world.territory_seat.pk: "excused",
    }
    page = login(world.member_caf).get(meeting_url(meeting)).content.decode()
    assert "1 présent, 1 excusé, 0 absent" in page and "Mme Dupont" in page

    foreign = CommitteeMemberFactory(committee=world.other_committee, side=Side.CAF, name="X")
    client = login(world.caf_staff)
    response = client.post(
        action_url("attendance", meeting), {f"presence-{foreign.pk}": "absent"}, follow=True
    )
    assert "pas membre de cette instance" in response.content.decode()
    response = client.post(
        action_url("attendance", meeting), {f"presence-{world.caf_seat.pk}": "venu"}, follow=True
    )
    assert "Présence inconnue" in response.content.decode()
    client.post(action_url("attendance", meeting), {f"presence-{world.caf_seat.pk}": ""})
    assert not Attendance.objects.filter(member=world.caf_seat).exists()


# --------------------------------------------------------------------------- convocation


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def calendar_of(message) -> str:
    parts = [a for a in message.attachments if not isinstance(a, tuple)]
    assert len(parts) == 1
    part = parts[0]
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "convocation.ics"
    return part.get_payload(decode=True).decode("utf-8")


def send(client, meeting, capture):
    with capture(execute=True):
        return client.post(action_url("convocation_send", meeting), follow=True)


def test_the_convocation_carries_the_agenda_the_links_and_a_valid_ics(
    cycle, login, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://ctg.exemple.fr"
    meeting = cycle.meeting
    services.agenda_item_add(
        meeting=meeting,
        title="Questions diverses",
        note="Ligne 1\nLigne 2",
        by=cycle.world.caf_staff,
    )
    response = send(login(cycle.world.caf_staff), meeting, django_capture_on_commit_callbacks)
    assert "La convocation est envoyée à 2 membres." in response.content.decode()
    assert sorted(m.to[0] for m in mailoutbox) == ["marc@caf82.fr", "maud@ccdr.fr"]
    message = mailoutbox[0]
    assert message.subject.startswith("Convocation — Comité de pilotage du 12 mars 2025 à 14:30")
    page = "https://ctg.exemple.fr" + meeting_url(meeting)
    pack_link = "https://ctg.exemple.fr" + action_url("pack_pdf", meeting)
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert page in body and pack_link in body
        assert "12 mars 2025 à 14:30" in body
        assert "Salle du conseil, 1er étage; mairie de Laguépie" in body
        for item in shown(meeting).rows:
            assert item.title.replace("'", "&#x27;") in body or item.title in body

    text = calendar_of(message)
    assert text.endswith("\r\n")
    for line in text.split("\r\n")[:-1]:
        assert len(line.encode("utf-8")) <= 75
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
    assert "METHOD:REQUEST" in lines and "SEQUENCE:0" in lines
    assert "DTSTART:20250312T133000Z" in lines and "DTEND:20250312T153000Z" in lines
    assert f"UID:reunion-{meeting.pk}@ctg.exemple.fr" in lines
    assert "LOCATION:Salle du conseil\\, 1er étage\\; mairie de Laguépie" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "\\n1. Composition de l" in description and "\n" not in description.replace("\\n", "")
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in lines)
    convocation = Convocation.objects.get()
    assert (convocation.status, convocation.recipient_count) == ("sent", 2)
    assert convocation.requested_by == cycle.world.caf_staff


def test_a_double_click_sends_once_and_a_change_resends_with_a_new_sequence(
    cycle, login, mailoutbox, django_capture_on_commit_callbacks
):
    client, meeting = login(cycle.world.caf_staff), cycle.meeting
    send(client, meeting, django_capture_on_commit_callbacks)
    response = send(client, meeting, django_capture_on_commit_callbacks)
    assert "a déjà été envoyée" in response.content.decode()
    assert len(mailoutbox) == 2 and Convocation.objects.count() == 1

    meeting.location = "Mairie de Parisot"
    meeting.save()
    response = send(client, meeting, django_capture_on_commit_callbacks)
    assert "La convocation modifiée (lieu) est renvoyée à 2 membres" in response.content.decode()
    assert len(mailoutbox) == 4
    resent = mailoutbox[-1]
    assert resent.subject.startswith("Convocation modifiée")
    assert "remplace la précédente (modifié : lieu)" in resent.body
    lines = unfold(calendar_of(resent))
    assert "SEQUENCE:1" in lines and f"UID:reunion-{meeting.pk}@127.0.0.1" in lines
    page = client.get(meeting_url(meeting)).content.decode()
    assert "Envoi n° 2" in page and "Renvoyer la convocation" in page


def test_the_same_convocation_may_be_sent_again_after_the_window(cycle, mailoutbox):
    staff, meeting = cycle.world.caf_staff, cycle.meeting
    first, outcome = services.convocation_send(meeting=meeting, by=staff)
    assert outcome == services.FIRST
    _, outcome = services.convocation_send(
        meeting=meeting, by=staff, now=first.requested_at + datetime.timedelta(minutes=5)
    )
    assert outcome == services.DUPLICATE
    again, outcome = services.convocation_send(
        meeting=meeting, by=staff, now=first.requested_at + services.RESEND_WINDOW
    )
    assert (outcome, again.sequence, again.changes) == (services.RESENT, 2, "")


def test_a_delivery_run_twice_sends_each_address_once(cycle, mailoutbox):
    convocation, _ = services.convocation_send(meeting=cycle.meeting, by=cycle.world.caf_staff)
    assert services.convocation_deliver(convocation_id=convocation.pk) == 2
    assert services.convocation_deliver(convocation_id=convocation.pk) == 0
    assert len(mailoutbox) == 2


def test_no_convocation_without_a_member_to_reach(world, login, mailoutbox):
    committee = CommitteeFactory(convention=world.convention, name="Comité technique")
    CommitteeMemberFactory(committee=committee, side=Side.CAF, name="Sans compte")
    meeting = MeetingFactory(committee=committee)
    response = login(world.caf_staff).post(action_url("convocation_send", meeting), follow=True)
    assert "personne à convoquer" in response.content.decode()
    assert not Convocation.objects.exists() and not mailoutbox


# --------------------------------------------------------------------------- iCalendar


def test_ical_text_is_escaped_and_folded_without_cutting_a_character():
    assert ical.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "DESCRIPTION:" + "é" * 100
    folded = ical.fold(line)
    physical = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert folded.replace("\r\n ", "") == line


# --------------------------------------------------------------------------- query count


def _grow(cycle, start: int, n: int) -> None:
    convention = cycle.world.convention
    for i in range(start, start + n):
        sheet = ActionSheetFactory(
            convention=convention, number=f"FB-{i:02d}", status=Status.SUBMITTED
        )
        indicator = IndicatorFactory(action_sheet=sheet)
        MeasurementFactory(indicator=indicator, date=datetime.date(2025, 1, 31), value=10.5)
        CommitteeMemberFactory(committee=cycle.world.committee, side=Side.TERRITORY, name=f"M{i}")
        report(convention, at(2025, 2, 1 + i, 8, 0))  # one a day
    services.agenda_item_add(meeting=cycle.meeting, title="Point libre", by=cycle.world.caf_staff)


@pytest.mark.parametrize("frozen", [False, True], ids=["following", "frozen"])
def test_the_meeting_page_costs_the_same_queries_at_two_sizes(cycle, login, frozen):
    client = login(cycle.world.caf_staff)
    url = meeting_url(cycle.meeting)
    client.get(url)
    counts = []
    for start, n in ((0, 1), (1, 6)):
        _grow(cycle, start, n)
        if frozen:
            services.agenda_unfreeze(meeting=cycle.meeting, by=cycle.world.caf_staff)
            services.agenda_freeze(meeting=cycle.meeting, by=cycle.world.caf_staff)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count("data-agenda-key") == len(shown(cycle.meeting).rows)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 40


def test_a_mail_server_away_marks_the_convocation_failed_and_a_new_click_sends_it(
    cycle, login, mailoutbox, django_capture_on_commit_callbacks, settings
):
    client, meeting = login(cycle.world.caf_staff), cycle.meeting
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    response = send(client, meeting, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    convocation = Convocation.objects.get()
    assert convocation.status == Convocation.Status.FAILED and convocation.error
    assert "En échec" in client.get(meeting_url(meeting)).content.decode()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send(client, meeting, django_capture_on_commit_callbacks)
    assert Convocation.objects.filter(status=Convocation.Status.SENT, sequence=2).exists()
    assert len(mailoutbox) == 2
