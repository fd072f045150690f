"""Writes on evidence: add a file or a link to a measurement, an observation or a fiche;
remove one. Keyword-only, atomic, validated, French messages; nothing half-saved (a file
refused by its content, its size or the scan hook never reaches the storage, and the file
of a record that fails to save is removed at once).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from conventions.models import User
from conventions.services.data_version import convention_data_changed

from . import content
from .models import ONE_TARGET, Evidence, target_convention_id

logger = logging.getLogger(__name__)

#: Within this delay, the same piece sent again on the same value is the same piece.
DOUBLE_SUBMIT_WINDOW = datetime.timedelta(seconds=30)
SCAN_FAILED = (
    "L'analyse antivirus du fichier n'a pas pu être faite : réessayez dans quelques minutes."
)


def scan(upload) -> None:
    """Give the file to ``EVIDENCE_SCAN_HOOK`` (a dotted path; none by default). The hook
    raises ``ValidationError`` to refuse the file; any other failure refuses it too (a file
    that could not be scanned is not stored)."""
    path = getattr(settings, "EVIDENCE_SCAN_HOOK", None)
    if not path:
        return
    hook = import_string(path)
    upload.seek(0)
    try:
        hook(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    except Exception as exc:
        logger.exception("EVIDENCE_SCAN_HOOK %s failed on %s", path, getattr(upload, "name", ""))
        raise ValidationError({"file": SCAN_FAILED}) from exc
    finally:
        upload.seek(0)


def _twin(evidence: Evidence, target) -> Evidence | None:
    """The same piece, added by the same person to the same value a moment ago (a double
    click, a replayed request): returned instead of a second copy. The lock on the value's
    row serialises two submits that run at once (PostgreSQL)."""
    type(target).objects.select_for_update().filter(pk=target.pk).exists()
    return (
        Evidence.objects.filter(
            measurement=evidence.measurement,
            observation=evidence.observation,
            action_sheet=evidence.action_sheet,
            uploaded_by=evidence.uploaded_by,
            title=evidence.title,
            url=evidence.url,
            original_name=evidence.original_name,
            size=evidence.size,
            content_type=evidence.content_type,
            uploaded_at__gte=timezone.now() - DOUBLE_SUBMIT_WINDOW,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def evidence_add(
    *,
    title: str,
    user: User | None,
    upload=None,
    url: str = "",
    measurement=None,
    observation=None,
    action_sheet=None,
) -> Evidence:
    """A file (``upload``: a Django ``UploadedFile`` or ``File`` with a name) or a link
    (``url``, http or https), with its title, on exactly one of ``measurement``,
    ``observation`` or ``action_sheet``."""
    url = (url or "").strip()
    if upload is not None and url:
        raise ValidationError({"url": "Déposez un fichier ou indiquez un lien, pas les deux."})
    if upload is None and not url:
        raise ValidationError({"file": "Déposez un fichier ou indiquez un lien."})
    evidence = Evidence(
        title=(title or "").strip(),
        url=url,
        measurement=measurement,
        observation=observation,
        action_sheet=action_sheet,
        uploaded_by=user,
    )
    evidence._history_user = user
    targets = [t for t in (measurement, observation, action_sheet) if t is not None]
    if len(targets) != 1:
        raise ValidationError(ONE_TARGET)
    evidence.convention_id = target_convention_id(evidence)
    convention_data_changed(convention_id=evidence.convention_id)
    if upload is not None:
        kind = content.detect(upload)
        evidence.original_name = content.clean_name(upload.name)
        evidence.content_type = kind.content_type
        evidence.size = upload.size
    # The fields before the file is written: a refused title or link stores nothing.
    evidence.clean_fields(exclude=["file"])
    twin = _twin(evidence, targets[0])
    if twin is not None:
        return twin
    if upload is None:
        evidence.full_clean()
        evidence.save()
        return evidence
    scan(upload)
    evidence.file.save("piece", upload, save=False)
    try:
        evidence.full_clean()
        evidence.save()
    except Exception:
        evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


@transaction.atomic
def evidence_delete(*, evidence: Evidence, by: User | None) -> None:
    """Remove a piece of evidence; its history keeps who added and removed it, and when. The
    stored file is removed once the transaction is committed (``evidence.signals``)."""
    convention_data_changed(convention_id=evidence.convention_id)
    evidence._history_user = by
    evidence.delete()
