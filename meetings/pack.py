"""The dossier de séance of a meeting: one HTML (``templates/meetings/pack.html``) from
:func:`meetings.selectors.pack`, as a PDF rendered by WeasyPrint the way the relevé is
(:mod:`meetings.releve`).

A PDF costs seconds; it is built once per content: the digest of the HTML (which says the
day it was produced, not the time) is kept with the PDF
(:func:`meetings.services.pack_document`), and the PDF is built again only when what it
says has changed."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from conventions.models import Convention, Meeting
from ctg import formatting

from . import selectors

PDF_CONTENT_TYPE = "application/pdf"


def render_html(*, meeting: Meeting, convention: Convention, today=None) -> str:
    context = selectors.pack(meeting=meeting, convention=convention, today=today)
    with translation.override("fr"):
        return render_to_string("meetings/pack.html", context)


def digest(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy import, only when a document is built

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def filename(meeting: Meeting) -> str:
    day = formatting.date_short(meeting.date).replace("/", "-")
    return f"dossier-de-seance-{day}.pdf"
