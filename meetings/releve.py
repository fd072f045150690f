"""The relevé de décisions of a meeting: one HTML (``templates/meetings/releve.html``),
as a PDF (WeasyPrint) and as an editable Word copy (:func:`ctg.word.html_to_docx`), so
that both say the same thing word for word."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from conventions.models import Convention, Meeting
from ctg import formatting, word

from . import selectors

PDF_CONTENT_TYPE = "application/pdf"
DOCX_CONTENT_TYPE = word.CONTENT_TYPE


def render_html(*, meeting: Meeting, convention: Convention, now=None) -> str:
    context = selectors.releve(meeting=meeting, convention=convention)
    context["generated_at"] = now or timezone.now()
    context["releve"] = context  # the body (_releve_body.html) reads it as ``r``
    with translation.override("fr"):
        return render_to_string("meetings/releve.html", context)


def render_pdf(*, meeting: Meeting, convention: Convention) -> bytes:
    from weasyprint import HTML  # heavy import, only when a document is built

    html = render_html(meeting=meeting, convention=convention)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_docx(*, meeting: Meeting, convention: Convention) -> bytes:
    return word.html_to_docx(
        render_html(meeting=meeting, convention=convention),
        keywords="relevé de décisions; CTG",
        comments="Relevé de décisions exporté depuis CTG.",
    )


def filename(meeting: Meeting, extension: str) -> str:
    day = formatting.date_short(meeting.date).replace("/", "-")
    return f"releve-de-decisions-{day}.{extension}"
