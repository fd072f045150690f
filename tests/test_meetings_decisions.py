"""Decisions recorded in a meeting and the relevé de décisions (issue #15, item 3, second
half): each side's vote on a fiche goes through the fiche's one validation rule
(``actions.services.approval_give``), the history says « validée en comité de pilotage du … »,
and the relevé (PDF and DOCX) lists attendees, decisions, votes and follow-ups."""

from __future__ import annotations

import datetime
import html
import io

import docx
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from actions import services as action_services
from actions.factories import ActionSheetFactory
from actions.models import ActionSheet, ActionSheetTransition, Approval
from conventions.factories import CommitteeMemberFactory, MeetingFactory
from conventions.models import Side
from meetings import services
from meetings.models import AgendaItem, Attendance, MeetingDecision, ReleveSending

UTC = datetime.UTC
Status = ActionSheet.Status
FAVORABLE, TO_REVIEW = "favorable", "a_revoir"


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def meeting_url(meeting) -> str:
    return reverse(
        "conventions:meeting_detail",
        args=[meeting.committee.convention_id, meeting.committee_id, meeting.pk],
    )


def action_url(name: str, meeting) -> str:
    return reverse(
        f"meetings:{name}", args=[meeting.committee.convention_id, meeting.committee_id, meeting.pk]
    )


@pytest.fixture
def held(world):
    """The COPIL meeting of 12 March 2027 (13:30 UTC, 14:30 in Paris): Marc (Caf) and Maud
    (territory) present, Paul (territory) excused, Anne (Caf) absent; two fiches
    submitted to the committee and a free point."""
    committee = world.committee
    meeting = MeetingFactory(
        committee=committee, date=at(2027, 3, 12, 13, 30), location="Mairie de Laguépie"
    )
    excused = CommitteeMemberFactory(committee=committee, side=Side.TERRITORY, name="Paul Excusé")
    absent = CommitteeMemberFactory(committee=committee, side=Side.CAF, name="Anne Absente")
    good = ActionSheetFactory(
        convention=world.convention,
        number="FA-01",
        title="Relais petite enfance",
        status=Status.SUBMITTED,
    )
    weak = ActionSheetFactory(
        convention=world.convention,
        number="FA-02",
        title="Accueil de loisirs",
        status=Status.SUBMITTED,
    )
    services.attendance_record(
        meeting=meeting,
        statuses={
            world.caf_seat.pk: Attendance.Status.PRESENT,
            world.territory_seat.pk: Attendance.Status.PRESENT,
            excused.pk: Attendance.Status.EXCUSED,
            absent.pk: Attendance.Status.ABSENT,
        },
        by=world.caf_staff,
    )
    free = services.agenda_item_add(meeting=meeting, title="Calendrier 2027", by=world.caf_staff)
    return type("Held", (), dict(world=world, meeting=meeting, good=good, weak=weak, free=free))


def decide(held, sheet, caf=FAVORABLE, territory=FAVORABLE, **extra):
    return services.decision_record(
        meeting=held.meeting,
        key=f"fiche:{sheet.pk}",
        caf_vote=caf,
        territory_vote=territory,
        by=held.world.caf_staff,
        **extra,
    )


# --------------------------------------------------------------------------- the rule


def test_both_sides_favourable_validate_the_fiche_in_the_name_of_the_present_members(held):
    decision = decide(held, held.good, follow_up="Lancer l'appel à projets")

    held.good.refresh_from_db()
    assert held.good.status == Status.VALIDATED
    assert held.good.approved_version == held.good.version
    assert decision.outcome == MeetingDecision.Outcome.VALIDATED
    voters = {(a.member.name, a.decision) for a in Approval.objects.filter(sheet=held.good)}
    assert voters == {("Marc Caf", FAVORABLE), ("Maud Territoire", FAVORABLE)}
    last = held.good.history.order_by("-history_date", "-history_id").first()
    assert last.history_change_reason.startswith("Validée en comité de pilotage du 12 mars 2027")
    assert last.history_user == held.world.caf_staff
    transition = ActionSheetTransition.objects.filter(sheet=held.good).latest("pk")
    assert transition.to_status == Status.VALIDATED
    assert "en comité de pilotage du 12 mars 2027" in transition.reason


def test_one_side_a_revoir_sends_the_fiche_back_with_its_comment(held):
    decision = decide(
        held, held.weak, territory=TO_REVIEW, territory_comment="Préciser le public visé"
    )

    held.weak.refresh_from_db()
    assert held.weak.status == Status.TO_REVIEW
    assert decision.outcome == MeetingDecision.Outcome.SENT_BACK
    assert decision.territory_comment == "Préciser le public visé"
    last = held.weak.history.order_by("-history_date", "-history_id").first()
    assert last.history_change_reason == (
        "À revoir en comité de pilotage du 12 mars 2027 : Préciser le public visé"
    )


def test_a_revoir_without_comment_is_refused_under_its_field_and_nothing_is_saved(held):
    with pytest.raises(ValidationError) as refused:
        decide(held, held.weak, caf=TO_REVIEW)

    assert refused.value.message_dict == {
        "caf_comment": ["Un avis « à revoir » doit être motivé par un commentaire."]
    }
    held.weak.refresh_from_db()
    assert held.weak.status == Status.SUBMITTED
    assert not Approval.objects.exists()
    assert not MeetingDecision.objects.exists()
    assert not held.meeting.record.agenda_frozen_at  # the freeze was rolled back too


def test_recording_twice_does_not_apply_twice(held):
    decide(held, held.good)
    with pytest.raises(ValidationError, match="déjà enregistrée"):
        decide(held, held.good)
    assert MeetingDecision.objects.count() == 1
    assert Approval.objects.filter(sheet=held.good).count() == 2


def test_a_fiche_no_longer_submitted_gets_a_french_refusal(held):
    services.agenda_freeze(meeting=held.meeting, by=held.world.caf_staff)
    action_services.approval_give(
        sheet=held.good, member=held.world.caf_seat, decision=TO_REVIEW, comment="Trop flou"
    )
    with pytest.raises(ValidationError, match="n'est plus soumise à l'avis du comité"):
        decide(held, held.good)
    assert not MeetingDecision.objects.exists()


def test_a_side_without_a_present_member_who_may_vote_is_refused(held):
    services.attendance_record(
        meeting=held.meeting,
        statuses={held.world.territory_seat.pk: Attendance.Status.EXCUSED},
        by=held.world.caf_staff,
    )
    with pytest.raises(ValidationError, match="collège territoire ne compte pas assez"):
        decide(held, held.good)
    held.good.refresh_from_db()
    assert held.good.status == Status.SUBMITTED
    assert not Approval.objects.exists()


def test_the_submitter_does_not_vote_for_their_own_fiche(held):
    held.good.submitted_by = held.world.member_caf
    held.good.save()
    with pytest.raises(ValidationError, match="collège Caf ne compte pas assez"):
        decide(held, held.good)


def test_opinions_already_given_count_towards_the_side(held):
    held.world.committee.approvals_required_per_side = 2
    held.world.committee.save()
    second = CommitteeMemberFactory(committee=held.world.committee, side=Side.CAF, name="Bruno Caf")
    action_services.approval_give(sheet=held.good, member=second, decision=FAVORABLE)
    # Caf: Bruno (given before) + Marc (present); territory: only Maud present, 2 required.
    with pytest.raises(ValidationError, match="territoire ne compte pas assez"):
        decide(held, held.good)


def test_a_free_point_gets_its_follow_up_and_an_empty_one_is_refused(held):
    key = held.free.key
    with pytest.raises(ValidationError) as refused:
        services.decision_record(meeting=held.meeting, key=key, by=held.world.caf_staff)
    assert "follow_up" in refused.value.message_dict
    decision = services.decision_record(
        meeting=held.meeting, key=key, follow_up="Envoyer le calendrier", by=held.world.caf_staff
    )
    assert decision.outcome == MeetingDecision.Outcome.NOTED
    assert decision.fiche is None


def test_the_decided_point_stays_on_the_agenda_after_the_fiche_leaves_the_proposals(held):
    decide(held, held.good)
    services.agenda_propose(meeting=held.meeting)
    item = AgendaItem.objects.get(meeting=held.meeting, key=f"fiche:{held.good.pk}")
    assert item.decision.outcome == MeetingDecision.Outcome.VALIDATED


# --------------------------------------------------------------------------- the page


@pytest.mark.parametrize(
    "role, status",
    [
        ("coordinator", 403),
        ("member_caf", 403),
        ("elected", 403),
        ("other_caf_staff", 404),
        ("outsider", 404),
    ],
)
def test_only_the_caf_staff_record_decisions(held, login, role, status):
    response = login(getattr(held.world, role)).post(
        action_url("decision", held.meeting),
        {"item": f"fiche:{held.good.pk}", "caf_vote": FAVORABLE, "territory_vote": FAVORABLE},
    )
    assert response.status_code == status
    assert not MeetingDecision.objects.exists()


def test_the_caf_staff_record_from_the_page_and_see_the_decision(held, login):
    client = login(held.world.caf_staff)
    data = {"item": f"fiche:{held.good.pk}", "caf_vote": FAVORABLE, "territory_vote": FAVORABLE}
    response = client.post(action_url("decision", held.meeting), data, follow=True)
    page = response.content.decode()
    assert "Décision enregistrée sur « Avis sur la fiche FA-01" in page
    assert "Décision : Fiche validée" in page
    # A double click: refused in French, applied once.
    page = client.post(action_url("decision", held.meeting), data, follow=True).content.decode()
    assert "La décision sur ce point est déjà enregistrée" in page
    assert Approval.objects.filter(sheet=held.good).count() == 2


def test_a_refused_decision_comes_back_with_the_error_under_the_comment(held, login):
    client = login(held.world.caf_staff)
    response = client.post(
        action_url("decision", held.meeting),
        {"item": f"fiche:{held.weak.pk}", "caf_vote": FAVORABLE, "territory_vote": TO_REVIEW},
        follow=True,
    )
    page = response.content.decode()
    field = f"fiche{held.weak.pk}-territory-comment"
    assert f'id="{field}-error">Un avis « à revoir » doit être motivé' in page
    assert f'id="fiche{held.weak.pk}-territory-a_revoir" value="a_revoir" checked' in page
    assert not MeetingDecision.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"caf_comment": "x" * 2001}, "Le commentaire ne peut dépasser 2 000 caractères."),
        ({"follow_up": "y" * 4001}, "Les suites à donner ne peuvent dépasser 4 000 caractères."),
        ({"item": "fiche:999999999"}, "Ce point ne figure plus à l'ordre du jour"),
        ({"item": "x" * 80}, "Ce point ne figure plus à l'ordre du jour"),
        ({"caf_vote": "oui"}, "Choisissez le vote du collège Caf"),
        ({"caf_comment": "a\x00b", "caf_vote": TO_REVIEW}, None),
    ],
    ids=["long-comment", "long-follow-up", "foreign-id", "long-key", "unknown-vote", "nul"],
)
def test_hostile_input_is_refused_in_french_and_nothing_is_half_saved(held, login, data, message):
    payload = {
        "item": f"fiche:{held.good.pk}",
        "caf_vote": FAVORABLE,
        "territory_vote": FAVORABLE,
        **data,
    }
    response = login(held.world.caf_staff).post(
        action_url("decision", held.meeting), payload, follow=True
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    if message is None:  # NUL removed, the decision recorded
        assert MeetingDecision.objects.get().caf_comment == "ab"
        return
    assert "Décision non enregistrée" in page and message in page
    assert not MeetingDecision.objects.exists()
    assert not Approval.objects.exists()


def test_a_foreign_meeting_is_not_found(held, login):
    other = MeetingFactory(committee=held.world.other_committee, date=at(2027, 3, 1, 9, 0))
    url = reverse(
        "meetings:decision",
        args=[held.world.convention.pk, held.world.other_committee.pk, other.pk],
    )
    response = login(held.world.caf_staff).post(url, {"item": "free:x"})
    assert response.status_code == 404


# --------------------------------------------------------------------------- the relevé


def _held_and_decided(held):
    decide(held, held.good, follow_up="Lancer l'appel à projets en avril")
    decide(held, held.weak, caf=TO_REVIEW, caf_comment="Budget à détailler")
    services.decision_record(
        meeting=held.meeting,
        key=held.free.key,
        follow_up="Diffuser le calendrier aux partenaires",
        by=held.world.caf_staff,
    )


def _flat(text: str) -> str:
    return " ".join(text.split())


RELEVE_TEXTS = [
    "Relevé de décisions",
    "Comité de pilotage",
    "12 mars 2027, de 14:30 à 16:30",
    "Lieu : Mairie de Laguépie",
    "Marc Caf",
    "Maud Territoire",
    "Paul Excusé",
    "Anne Absente",
    "2 présents, 1 excusé, 1 absent",
    "Avis sur la fiche FA-01 — Relais petite enfance",
    "Décision : Fiche validée",
    "Avis sur la fiche FA-02 — Accueil de loisirs",
    "Décision : Fiche renvoyée « à revoir »",
    "Budget à détailler",
    "Lancer l'appel à projets en avril",
    "Diffuser le calendrier aux partenaires",
]


def test_the_releve_pdf_lists_attendees_decisions_votes_and_follow_ups(held, login):
    _held_and_decided(held)
    response = login(held.world.coordinator).get(action_url("releve_pdf", held.meeting))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "releve-de-decisions-12-03-2027.pdf" in response["Content-Disposition"]
    text = _flat(
        "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    )
    for expected in RELEVE_TEXTS:
        assert expected in text, expected
    assert "Collège Caf À revoir Budget à détailler" in text
    assert "Collège territoire Favorable" in text


def test_the_releve_docx_opens_and_says_the_same(held, login):
    _held_and_decided(held)
    response = login(held.world.caf_staff).get(action_url("releve_docx", held.meeting))
    assert response.status_code == 200
    assert "releve-de-decisions-12-03-2027.docx" in response["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    text = _flat("\n".join(parts))
    for expected in RELEVE_TEXTS:
        assert expected in text, expected
    assert document.core_properties.author == held.world.caf.name


def test_the_releve_of_a_meeting_without_decisions_says_so(held, login):
    response = login(held.world.member_territory).get(action_url("releve_pdf", held.meeting))
    text = _flat(
        "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    )
    assert "Aucune décision sur une fiche n'a été enregistrée" in text
    assert "Marc Caf" in text


@pytest.mark.parametrize("role", ["other_caf_staff", "outsider"])
def test_the_releve_is_not_found_outside_the_scope(held, login, role):
    client = login(getattr(held.world, role))
    assert client.get(action_url("releve_pdf", held.meeting)).status_code == 404
    assert client.get(action_url("releve_docx", held.meeting)).status_code == 404


def test_the_meeting_page_with_decisions_keeps_a_bounded_query_count(
    held, login, django_assert_max_num_queries
):
    _held_and_decided(held)
    client = login(held.world.caf_staff)
    client.get(meeting_url(held.meeting))
    with django_assert_max_num_queries(60):
        response = client.get(meeting_url(held.meeting))
    assert response.status_code == 200
    assert "Relevé de décisions (PDF)" in response.content.decode()


# --------------------------------------------------------------------------- sending the relevé


def send_releve(client, meeting, capture):
    with capture(execute=True):
        return client.post(action_url("releve_send", meeting), follow=True)


def test_the_releve_is_sent_to_the_members_with_its_pdf_and_archived(
    held, login, mailoutbox, django_capture_on_commit_callbacks
):
    _held_and_decided(held)
    client = login(held.world.caf_staff)
    page = send_releve(client, held.meeting, django_capture_on_commit_callbacks).content.decode()
    assert "Le relevé de décisions est envoyé à 2 membres." in page
    assert sorted(m.to[0] for m in mailoutbox) == [
        held.world.member_caf.email,
        held.world.member_territory.email,
    ]
    message = mailoutbox[0]
    assert message.subject.startswith("Relevé de décisions — Comité de pilotage du 12 mars 2027")
    assert "Avis sur la fiche FA-01 — Relais petite enfance : fiche validée" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("releve-de-decisions-12-03-2027.pdf", "application/pdf")
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split()
    )
    assert "Décision : Fiche renvoyée « à revoir »" in text
    sending = ReleveSending.objects.get()
    assert sending.status == ReleveSending.Status.SENT and sending.recipient_count == 2
    assert bytes(sending.document) == content  # archived as sent
    page = client.get(meeting_url(held.meeting)).content.decode()
    assert "Envoi n° 1 le" in page
    # The archive gives back the PDF as it was sent, to whoever sees the convention.
    archived = reverse(
        "meetings:releve_sent_pdf",
        args=[held.world.convention.pk, held.meeting.committee_id, held.meeting.pk, sending.pk],
    )
    assert f'href="{archived}"' in page
    response = login(held.world.elected).get(archived)
    assert response["Content-Type"] == "application/pdf"
    assert response.content == content
    assert "releve-de-decisions-12-03-2027-envoi-1.pdf" in response["Content-Disposition"]
    other = reverse(
        "meetings:releve_sent_pdf",
        args=[
            held.world.convention.pk,
            held.meeting.committee_id,
            held.meeting.pk + 999,
            sending.pk,
        ],
    )
    assert login(held.world.caf_staff).get(other).status_code == 404

    # A double click: nothing sent again.
    page = send_releve(client, held.meeting, django_capture_on_commit_callbacks).content.decode()
    assert "aucune décision n&#x27;a changé depuis" in page
    assert len(mailoutbox) == 2 and ReleveSending.objects.count() == 1


def test_a_releve_without_decisions_is_not_sent(
    held, login, mailoutbox, django_capture_on_commit_callbacks
):
    page = send_releve(
        login(held.world.caf_staff), held.meeting, django_capture_on_commit_callbacks
    ).content.decode()
    assert "Aucune décision n&#x27;est enregistrée pour cette réunion" in page
    assert not mailoutbox and not ReleveSending.objects.exists()


def test_delivering_the_releve_twice_mails_each_member_once(held, mailoutbox):
    _held_and_decided(held)
    sending, outcome = services.releve_send(meeting=held.meeting, by=held.world.caf_staff)
    assert outcome == services.FIRST
    assert services.releve_deliver(sending_id=sending.pk) == 2
    assert services.releve_deliver(sending_id=sending.pk) == 0
    assert len(mailoutbox) == 2


@pytest.mark.parametrize(
    "role, status",
    [("coordinator", 403), ("member_territory", 403), ("other_caf_staff", 404), ("outsider", 404)],
)
def test_only_the_caf_staff_send_the_releve(held, login, role, status, mailoutbox):
    _held_and_decided(held)
    response = login(getattr(held.world, role)).post(action_url("releve_send", held.meeting))
    assert response.status_code == status
    assert not ReleveSending.objects.exists() and not mailoutbox


# --------------------------------------------------------------------------- the fiche's author


def _authored(held, sheet, *, lead=None):
    sheet.submitted_by = held.world.coordinator
    sheet.lead_user = lead or held.world.coordinator
    sheet.save()


def test_a_fiche_decided_in_a_meeting_mails_its_author_once_naming_the_meeting(
    held, mailoutbox, django_capture_on_commit_callbacks
):
    _authored(held, held.good)
    with django_capture_on_commit_callbacks(execute=True):
        decide(held, held.good)
    to_author = [m for m in mailoutbox if held.world.coordinator.email in m.to]
    assert len(to_author) == 1
    message = to_author[0]
    assert "FA-01" in message.subject and "validée" in message.subject
    for body in (message.body, message.alternatives[0][0]):
        assert "en comité de pilotage du 12 mars 2027" in body
        assert "Relais petite enfance" in body
    # No opinion-by-opinion e-mail « Avis favorable sur la fiche » to anyone.
    assert not [m for m in mailoutbox if m.subject.startswith("[CTG] Avis ")]


def test_a_fiche_sent_back_in_a_meeting_mails_its_author_and_pilot_once_each_with_the_comment(
    held, mailoutbox, django_capture_on_commit_callbacks
):
    _authored(held, held.weak, lead=held.world.elected)
    with django_capture_on_commit_callbacks(execute=True):
        decide(held, held.weak, territory=TO_REVIEW, territory_comment="Préciser le public visé")
    told = sorted(address for m in mailoutbox for address in m.to)
    assert told == sorted([held.world.coordinator.email, held.world.elected.email])
    for message in mailoutbox:
        assert "à revoir" in message.subject
        assert "Préciser le public visé" in message.body
        assert "en comité de pilotage du 12 mars 2027" in message.body


def test_the_meeting_decision_mail_is_sent_once_even_if_its_task_runs_twice(held, mailoutbox):
    _authored(held, held.good)
    decision = decide(held, held.good)
    mailoutbox.clear()
    assert services.decision_notify(decision_id=decision.pk) == 1
    assert services.decision_notify(decision_id=decision.pk) == 0
    assert len(mailoutbox) == 1
