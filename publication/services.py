"""Writes of the publication app: keyword-only, atomic, validated (``full_clean``).

Only the Caf's staff of the convention call them (the views check
``ConventionAccess.can_edit_convention``). Publishing twice, or unpublishing what is not
published, changes nothing (a double click)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from conventions.models import Convention, User

from .models import Publication, new_token


def _locked(convention: Convention) -> Publication:
    """The convention's publication, created unpublished when missing, locked for the
    transaction (two editors save one after the other)."""
    Convention.objects.select_for_update().filter(pk=convention.pk).first()
    publication = Publication.objects.select_for_update().filter(convention=convention).first()
    return publication or Publication(convention=convention)


def _save(publication: Publication, by: User | None) -> Publication:
    publication.updated_by = by
    publication.full_clean()
    try:
        with transaction.atomic():
            publication.save()
    except IntegrityError:  # another editor created it or took the slug in the meantime
        raise ValidationError(
            "La publication vient d'être modifiée par quelqu'un d'autre : rechargez la page "
            "puis recommencez."
        ) from None
    return publication


@transaction.atomic
def publication_update(
    *,
    convention: Convention,
    by: User | None,
    mode: str,
    slug: str,
    noindex: bool,
    share_report_pdf: bool,
    new_address: bool = False,
) -> Publication:
    """The publication's settings (address, search engines, report PDF); ``new_address``
    draws a new secret address (the former one stops answering)."""
    publication = _locked(convention)
    publication.mode = mode
    publication.slug = (slug or "").strip().lower()
    publication.noindex = noindex
    publication.share_report_pdf = share_report_pdf
    if new_address:
        publication.token = new_token()
    return _save(publication, by)


@transaction.atomic
def publication_publish(*, convention: Convention, by: User | None) -> tuple[Publication, bool]:
    """Publish the page and the open-data files; False when they already were."""
    publication = _locked(convention)
    if publication.published:
        return publication, False
    publication.published = True
    publication.published_at = timezone.now()
    publication.published_by = by
    return _save(publication, by), True


@transaction.atomic
def publication_unpublish(*, convention: Convention, by: User | None) -> tuple[Publication, bool]:
    """Withdraw the page and the files (their addresses answer 404); False when they were
    not published."""
    publication = _locked(convention)
    if publication.pk is None or not publication.published:
        return publication, False
    publication.published = False
    return _save(publication, by), True
