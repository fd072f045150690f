"""The meeting's e-mails are delivered once per address, with what happened to each
(meetings.mailing): the decision notice to a fiche's author and pilot, the convocation and
the relevé. A mail refused for one address does not stop the others, and the retry sends
only the ones still owed."""

from __future__ import annotations

import smtplib

import pytest
from django.core.mail.backends import locmem

from meetings import services, tasks
from meetings.models import Convocation, DecisionDelivery, MeetingDecision
from tests import test_meetings_decisions as decisions
from tests.test_meetings_decisions import FAVORABLE, _authored, decide

held = decisions.held  # the COPIL meeting of 12 March 2027 with two submitted fiches

pytestmark = pytest.mark.django_db


class RefusingBackend(locmem.EmailBackend):
    """The test mail server: it refuses the addresses of :attr:`refused` (each as many times
    as listed: ``None`` for ever) and delivers the others to ``mail.outbox``."""

    refused: dict[str, int | None] = {}

    def send_messages(self, messages):
        for message in messages:
            for address in message.to:
                if address in self.refused:
                    left = self.refused[address]
                    if left is not None:
                        if left <= 1:
                            del self.refused[address]
                        else:
                            self.refused[address] = left - 1
                    raise smtplib.SMTPRecipientsRefused({address: (550, b"Mailbox unavailable")})
        return super().send_messages(messages)


@pytest.fixture
def refusing(settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    RefusingBackend.refused = {}
    yield RefusingBackend.refused
    RefusingBackend.refused = {}


def told(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def _decided(held):
    """FA-01 validated in the meeting; its author is the coordinator, its pilot the élu.
    The notice is not sent yet (the decision's on-commit hook does not run here)."""
    _authored(held, held.good, lead=held.world.elected)
    return decide(held, held.good, caf=FAVORABLE, territory=FAVORABLE)


# --------------------------------------------------------------------------- decisions


def test_a_pilot_whose_mail_failed_is_told_on_the_retry_and_the_author_not_twice(
    held, refusing, mailoutbox
):
    author, pilot = held.world.coordinator.email, held.world.elected.email
    decision = _decided(held)
    refusing[pilot] = None

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        services.decision_notify(decision_id=decision.pk)

    assert told(mailoutbox) == [author]
    deliveries = {d.email: d for d in DecisionDelivery.objects.filter(decision=decision)}
    assert deliveries[author].sent_at is not None and deliveries[author].error == ""
    assert deliveries[pilot].sent_at is None
    assert "SMTPRecipientsRefused" in deliveries[pilot].error
    decision.refresh_from_db()
    assert decision.notified_at is None  # not everybody told yet

    refusing.clear()  # the mail server accepts the pilot again
    assert services.decision_notify(decision_id=decision.pk) == 1
    assert told(mailoutbox) == sorted([author, pilot])
    pilot_delivery = DecisionDelivery.objects.get(decision=decision, email=pilot)
    assert pilot_delivery.sent_at is not None and pilot_delivery.error == ""
    decision.refresh_from_db()
    assert decision.notified_at is not None

    assert services.decision_notify(decision_id=decision.pk) == 0
    assert told(mailoutbox) == sorted([author, pilot])


def test_the_notice_task_retries_until_everyone_is_told_once(held, refusing, mailoutbox):
    author, pilot = held.world.coordinator.email, held.world.elected.email
    decision = _decided(held)
    refusing[pilot] = 1  # the author's mail goes, the pilot's is refused once

    # As a worker runs it: the failure is not raised to the caller, the task retries.
    result = tasks.send_decision_notice.apply((decision.pk,), throw=False)

    assert result.successful()
    assert told(mailoutbox) == sorted([author, pilot])
    assert set(
        DecisionDelivery.objects.filter(decision=decision, sent_at__isnull=False).values_list(
            "email", flat=True
        )
    ) == {author, pilot}
    assert MeetingDecision.objects.get(pk=decision.pk).notified_at is not None


def test_an_author_who_is_also_the_pilot_gets_one_notice_with_one_delivery(
    held, refusing, mailoutbox
):
    _authored(held, held.good)  # the coordinator wrote and steers it
    decision = decide(held, held.good)

    assert services.decision_notify(decision_id=decision.pk) == 1
    assert told(mailoutbox) == [held.world.coordinator.email]
    assert DecisionDelivery.objects.filter(decision=decision).count() == 1


def test_a_decision_without_a_fiche_sends_no_notice(held, refusing, mailoutbox):
    decision = services.decision_record(
        meeting=held.meeting,
        key=held.free.key,
        follow_up="Arrêter le calendrier 2027",
        by=held.world.caf_staff,
    )

    assert services.decision_notify(decision_id=decision.pk) == 0
    assert not mailoutbox and not DecisionDelivery.objects.exists()


# --------------------------------------------------------------------------- the same loop


def test_a_convocation_refused_for_one_member_reaches_the_others_and_the_retry_that_one(
    held, refusing, mailoutbox
):
    first, second = held.world.member_caf.email, held.world.member_territory.email
    refusing[first] = None
    convocation, _ = services.convocation_send(meeting=held.meeting, by=held.world.caf_staff)

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        services.convocation_deliver(convocation_id=convocation.pk)

    assert told(mailoutbox) == [second]  # the first address refused, the second still served
    convocation.refresh_from_db()
    assert convocation.status == Convocation.Status.FAILED
    assert first in convocation.error
    failed = convocation.deliveries.get(email=first)
    assert failed.sent_at is None and "SMTPRecipientsRefused" in failed.error

    refusing.clear()
    assert services.convocation_deliver(convocation_id=convocation.pk) == 1
    assert told(mailoutbox) == sorted([first, second])
    convocation.refresh_from_db()
    assert convocation.status == Convocation.Status.SENT and convocation.error == ""
    assert convocation.recipient_count == 2
    assert convocation.deliveries.get(email=first).error == ""
