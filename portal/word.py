"""The convention document in Word (DOCX), for the legal services who negotiate its text.

The articles have one home: ``templates/portal/document.html``, the template of the
PDF (:mod:`portal.document`). :func:`render_convention_docx` renders that same HTML
(:func:`~portal.document.render_convention_html`) and walks it into a Word document
with the generic converter :mod:`ctg.word`, so the DOCX says word for word what the PDF says:

- headings become Word headings (``h1`` → *Title*, ``h2`` → *Heading 1*, ``h3`` →
  *Heading 2*, ``h4`` → *Heading 3*), paragraphs *Body Text* (bold and italic kept),
  lists *List Bullet* / *List Number*, tables *Table Grid* (header rows repeated on
  each page, totals in bold, figures right-aligned);
- the page breaks are those of the template's stylesheet (``page-break-before:
  always``); a section with a named page (``page: annex``) starts a new Word section
  whose header names it, as the PDF's running header does;
- the title page keeps its letterhead, titles and facts; its status line
  (« Convention signée le … · document établi le … ») is its footer, and the other
  pages carry the Caf and the convention in the header, the status and « Page X sur
  Y » (fields) in the footer;
- the signature blocks are a two-column table, with room to sign;
- A4, the PDF's margins, French as the proofing language, and the core properties
  (title, author: the Caf).

Everything is real, editable text with named styles (the ``CTG – …`` styles for the
title page and the document's small print): nothing is an image.
"""

from __future__ import annotations

import re

from ctg.word import CONTENT_TYPE, html_to_docx

from .document import DocumentData, render_convention_html

__all__ = ["CONTENT_TYPE", "docx_filename", "html_to_docx", "render_convention_docx"]

KEYWORDS = "convention territoriale globale; CTG"
COMMENTS = "Texte de la convention, exporté depuis CTG pour relecture."


def render_convention_docx(*, data: DocumentData) -> bytes:
    """The DOCX bytes of the convention document: the PDF's articles, editable."""
    return html_to_docx(render_convention_html(data=data), keywords=KEYWORDS, comments=COMMENTS)


def docx_filename(pdf_filename: str) -> str:
    """The Word copy's name: the PDF's with ``.docx``."""
    return re.sub(r"\.pdf$", "", pdf_filename) + ".docx"
