"""The convention document, built once per content: request, then build by a task.

- :func:`convention_document_request` returns the copy of what the document shows
  now (:class:`~portal.models.ConventionDocument`, one per convention and content
  fingerprint, a unique constraint): the ready copy when there is one, else a copy
  *en préparation* whose build is handed to the broker once the transaction commits.
  Safe to call twice at the same moment (a double click, two people): one row and
  one message (a compare-and-set on ``enqueued_at``, as for the progress reports).
- :func:`convention_document_build` (the task's service) renders the PDF and stores
  it; safe to run twice. A copy whose content changed before it was built is
  dropped: nobody will ask for it again, the next download asks for the new one.
"""

from __future__ import annotations

import datetime
import logging
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from conventions.models import Convention, User

# Module imports, looked up at call time: the task calls these services back.
from . import document, tasks
from .models import ConventionDocument

logger = logging.getLogger(__name__)

Status = ConventionDocument.Status

# A copy handed to the broker this long ago and still waiting is handed over again
# by the next download (its message was lost, e.g. Redis restarted).
REQUEUE_AFTER = getattr(
    settings, "CONVENTION_DOCUMENT_REQUEUE_AFTER", datetime.timedelta(minutes=10)
)


def _not_in_queue(now: datetime.datetime) -> Q:
    return Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REQUEUE_AFTER)


def _enqueue_build(document_id: int) -> bool:
    """Hand the build of a copy in preparation to the broker; True when it was sent.

    Only the caller whose UPDATE claimed the row sends the message. If the broker is
    away, the mark is taken back and the next download tries again.
    """
    now = timezone.now()
    claimed = (
        ConventionDocument.objects.filter(pk=document_id, status=Status.PENDING)
        .filter(_not_in_queue(now))
        .update(enqueued_at=now)
    )
    if not claimed:
        return False
    try:
        tasks.build_convention_document.apply_async((document_id,), ignore_result=True)
    except Exception:  # noqa: BLE001 - the broker may be down; the row is the source of truth
        # (Eager mode: the build ran here and already marked the copy failed and logged why.)
        logger.warning(
            "Could not build convention document %s: it stays in preparation",
            document_id,
            exc_info=True,
        )
        ConventionDocument.objects.filter(
            pk=document_id, status=Status.PENDING, enqueued_at=now
        ).update(enqueued_at=None)
        return False
    return True


def _copy_for(
    *, convention: Convention, fingerprint: str, amendment_number: int, user: User | None
) -> ConventionDocument:
    """The copy of this content, created when missing (a concurrent request may create
    it at the same moment: the unique constraint decides, the loser reads it)."""
    lookup = {"convention": convention, "fingerprint": fingerprint}
    existing = ConventionDocument.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    copy = ConventionDocument(
        **lookup,
        amendment_number=amendment_number,
        requested_by=user if user is not None and user.is_authenticated else None,
    )
    copy.full_clean(validate_constraints=False)  # the constraint is checked by the insert
    try:
        with transaction.atomic():
            copy.save()
    except IntegrityError:
        return ConventionDocument.objects.get(**lookup)
    return copy


@transaction.atomic
def convention_document_request(
    *, convention: Convention, user: User | None = None, retry: bool = False
) -> ConventionDocument:
    """The copy of the convention document as it reads now; its build is queued when
    it is not ready (``retry``: a failed copy is tried again)."""
    data = document.convention_document_data(convention=convention)
    fingerprint = document.document_fingerprint(data)
    copy = _copy_for(
        convention=convention,
        fingerprint=fingerprint,
        amendment_number=data.amendment.number if data.amendment else 0,
        user=user,
    )
    if copy.status == Status.READY and not (copy.pdf and copy.pdf.storage.exists(copy.pdf.name)):
        # The file is gone (media restored without it): build it again.
        logger.warning("Convention document %s lost its file: built again", copy.pk)
        ConventionDocument.objects.filter(pk=copy.pk, status=Status.READY).update(
            status=Status.PENDING, pdf="", enqueued_at=None
        )
        copy.refresh_from_db()
    if retry and copy.status == Status.FAILED:
        ConventionDocument.objects.filter(pk=copy.pk, status=Status.FAILED).update(
            status=Status.PENDING, error="", enqueued_at=None
        )
        copy.refresh_from_db()
    if copy.status == Status.PENDING:
        transaction.on_commit(partial(_enqueue_build, copy.pk))
    return copy


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            ConventionDocument._meta.get_field("pdf").storage.delete(name)
        except OSError:
            logger.warning("Could not delete the superseded file %s", name, exc_info=True)


def convention_document_build(*, document_id: int) -> ConventionDocument | None:
    """Render and store a copy (a ready copy is returned as it is); ``None`` when the
    copy no longer exists or its content changed before it could be built."""
    copy = (
        ConventionDocument.objects.select_related("convention__caf").filter(pk=document_id).first()
    )
    if copy is None or copy.status == Status.READY:
        return copy
    ConventionDocument.objects.filter(pk=copy.pk).update(attempts=F("attempts") + 1)
    try:
        data = document.convention_document_data(convention=copy.convention)
        if document.document_fingerprint(data) != copy.fingerprint:
            ConventionDocument.objects.filter(pk=copy.pk).exclude(status=Status.READY).delete()
            logger.info("Convention document %s changed before it was built: dropped", copy.pk)
            return None
        pdf = document.render_convention_pdf(data=data)
        with transaction.atomic():
            locked = ConventionDocument.objects.select_for_update().filter(pk=copy.pk).first()
            if locked is None or locked.status == Status.READY:
                return locked
            name = f"convention-{locked.convention_id}-{locked.fingerprint[:16]}.pdf"
            # The file is written under a new name; the row points at it only on commit.
            locked.pdf.save(name, ContentFile(pdf), save=False)
            locked.status = Status.READY
            locked.error = ""
            locked.built_at = timezone.now()
            locked.save()
            # The copies asked for before this one show an older content: dropped.
            older = ConventionDocument.objects.filter(
                convention_id=locked.convention_id, pk__lt=locked.pk
            )
            names = [file for file in older.values_list("pdf", flat=True) if file]
            older.delete()
            transaction.on_commit(partial(_delete_files, names))
        return locked
    except Exception as exc:
        logger.exception("Convention document %s could not be built", copy.pk)
        ConventionDocument.objects.filter(pk=copy.pk).exclude(status=Status.READY).update(
            status=Status.FAILED, error=f"{type(exc).__name__} : {exc}"
        )
        raise
