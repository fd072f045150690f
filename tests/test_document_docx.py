"""The convention document in Word (issue #18, item 5): the PDF's articles, word for word,
in a DOCX that the legal services edit, that LibreOffice opens, and that survives hostile
text. (The relevé de décisions is not exported: the committee cycle does not exist yet.)"""

from __future__ import annotations

import datetime
import io
import re
import shutil
import subprocess
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.table import Table
from docx.text.paragraph import Paragraph

from actions.factories import ActionSheetFactory
from actions.models import ActionSheet
from conventions.models import Amendment, Convention
from diagnostics.factories import thematic
from portal.demo import QRGA_NAME
from portal.document import convention_document_data, render_convention_pdf
from portal.word import CONTENT_TYPE, html_to_docx, render_convention_docx
from tests.conftest import skip_or_fail
from tests.test_document_pdf import build_demo, pdf_text

ARTICLES = [
    "Préambule",
    "Article 1 – Objet",
    "Article 2 – Parties signataires",
    "Article 3 – Durée de la convention",
    "Article 4 – Thématiques et vision partagée",
    "Article 5 – Gouvernance",
    "Article 6 – Synthèse du diagnostic partagé",
    "Article 7 – Plan d'actions",
    "Article 8 – Suivi et évaluation",
    "Signatures",
]
ANNEX = "Annexe — Fiches action validées"


# --------------------------------------------------------------------------- helpers


def open_docx(content: bytes):
    return Document(io.BytesIO(content))


def blocks(document) -> list:
    """The body's paragraphs and tables, in order."""
    return list(document.iter_inner_content())


def body_paragraphs(document) -> list[str]:
    """The text of the body's paragraphs outside tables, in order (empty ones left out)."""
    return [b.text for b in blocks(document) if isinstance(b, Paragraph) and b.text.strip()]


def cell_texts(document) -> list[str]:
    texts = []
    for table in (b for b in blocks(document) if isinstance(b, Table)):
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells if cell.text.strip())
    return texts


def headings(document, level: int = 1) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def comparable(text: str) -> str:
    """Text as both PDFs and the DOCX can be compared: no white space, no hyphen (the PDF
    hyphenates at line ends), lower case (the title page is in capitals in the PDF)."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", text).lower()


def assert_in_order(parts: list[str], text: str) -> None:
    haystack, position = comparable(text), 0
    for part in parts:
        needle = comparable(part)
        found = haystack.find(needle, position)
        assert found >= 0, f"not found (in this order) in the PDF: {part[:120]!r}"
        position = found + len(needle)


def docx_text(document) -> str:
    """The body's text in reading order: paragraphs, and table cells row by row."""
    parts = []
    for block in blocks(document):
        if isinstance(block, Table):
            parts.extend(cell.text for row in block.rows for cell in row.cells)
        else:
            parts.append(block.text)
    return "\n".join(parts)


def pdf_body_text(pdf: bytes) -> str:
    """The PDF's text without its running lines (pypdf reads the margin boxes last:
    the status line on the title page, header and footer on the others)."""
    reader, _text = pdf_text(pdf)
    lines = []
    for number, page in enumerate(reader.pages):
        page_lines = page.extract_text().split("\n")
        lines.extend(page_lines[:-1] if number == 0 else page_lines[:-2])
    return "\n".join(lines)


def assert_docx_says_what_the_pdf_says(docx: bytes, pdf: bytes) -> None:
    """The DOCX's text is the PDF's, all of it and in the same order (spaces, hyphens
    and case aside)."""
    document = open_docx(docx)
    ours, theirs = comparable(docx_text(document)), comparable(pdf_body_text(pdf))
    assert len(body_paragraphs(document)) > 20
    if ours != theirs:
        at = next(
            (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
            min(len(ours), len(theirs)),
        )
        pytest.fail(
            f"the DOCX and the PDF differ at {at}:\n"
            f"DOCX: …{ours[max(0, at - 80) : at + 80]}…\nPDF:  …{theirs[max(0, at - 80) : at + 80]}…"
        )


def libreoffice_pdf(docx: bytes, tmp_path) -> bytes:
    """The DOCX converted by LibreOffice (headless, a profile of its own)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        skip_or_fail("LibreOffice (soffice) n'est pas installé : paquet Debian libreoffice-writer")
    source = tmp_path / "convention.docx"
    source.write_bytes(docx)
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    converted = tmp_path / "convention.pdf"
    assert converted.exists(), f"LibreOffice did not convert: {result.stdout} {result.stderr}"
    return converted.read_bytes()


@pytest.fixture
def demo(world):
    return build_demo(world)


@pytest.fixture
def seeded(db):
    """The demo data (``seed_demo``): the QRGA convention."""
    call_command("seed_demo", stdout=io.StringIO())
    return Convention.objects.get(name=QRGA_NAME)


# --------------------------------------------------------------------------- the text


def test_the_demo_convention_in_word_says_what_its_pdf_says(seeded):
    data = convention_document_data(convention=seeded)
    docx = render_convention_docx(data=data)
    assert_docx_says_what_the_pdf_says(docx, render_convention_pdf(data=data))
    document = open_docx(docx)
    assert headings(document) == [*ARTICLES, ANNEX]
    fiches = [a.number for a in data.annex]
    assert len(fiches) >= 3
    numbers = [p.text for p in document.paragraphs if p.text.startswith("FICHE ACTION")]
    assert numbers == [f"FICHE ACTION {n}" for n in fiches]


def test_a_convention_of_the_world_in_word_says_what_its_pdf_says(demo):
    data = convention_document_data(convention=demo)
    docx = render_convention_docx(data=data)
    assert_docx_says_what_the_pdf_says(docx, render_convention_pdf(data=data))
    document = open_docx(docx)
    assert headings(document) == [*ARTICLES, ANNEX]
    assert headings(document, 2)[-2:] == [
        "Créer une micro-crèche intercommunale",  # FA-01, adopted
        "Ouvrir un espace jeunes itinérant",  # FA-02, adopted
    ]
    everything = "\n".join(body_paragraphs(document) + cell_texts(document))
    # The draft fiche is counted, not annexed; no follow-up figure.
    assert "Café des parents au bourg-centre" not in everything
    assert "Texte de travail du brouillon" not in everything
    assert "31 415" not in everything and "31415" not in everything


def test_a_bare_convention_in_word_says_what_its_pdf_says(world):
    from conventions.factories import ConventionFactory

    bare = ConventionFactory(caf=world.caf, name="CTG sans rien")
    data = convention_document_data(convention=bare)
    docx = render_convention_docx(data=data)
    assert_docx_says_what_the_pdf_says(docx, render_convention_pdf(data=data))
    document = open_docx(docx)
    assert headings(document) == ARTICLES  # no annex
    assert len(document.sections) == 1
    assert "représentée par son représentant légal" in "\n".join(body_paragraphs(document))


# --------------------------------------------------------------------------- LibreOffice


def test_libreoffice_converts_the_demo_docx_to_a_pdf_that_carries_the_articles(seeded, tmp_path):
    data = convention_document_data(convention=seeded)
    docx = render_convention_docx(data=data)
    converted = libreoffice_pdf(docx, tmp_path)
    reader, text = pdf_text(converted)
    assert len(reader.pages) >= 8
    assert_in_order([*ARTICLES, ANNEX], text)
    document = open_docx(docx)
    assert_in_order(body_paragraphs(document), text)
    for cell in cell_texts(document):
        assert comparable(cell) in comparable(text), f"cell not in the PDF: {cell[:120]!r}"
    # The page numbers are fields that LibreOffice computes.
    pages = len(reader.pages)
    assert f"Page 2 sur {pages}" in reader.pages[1].extract_text()
    assert f"Page {pages} sur {pages}" in reader.pages[-1].extract_text()
    # The title page has no header nor page number; the annex pages name the annex.
    first = reader.pages[0].extract_text()
    assert "Page 1 sur" not in first
    assert "document établi le" in first
    assert ANNEX in reader.pages[-1].extract_text()


# --------------------------------------------------------------------------- Word structure


def test_the_docx_uses_word_styles_and_an_a4_page(demo):
    document = open_docx(render_convention_docx(data=convention_document_data(convention=demo)))
    title = [p for p in document.paragraphs if p.style.name == "Title"]
    assert [p.text for p in title] == ["Convention territoriale globale"]
    assert title[0].style.font.all_caps  # shown in capitals, typed normally
    assert [p.text for p in document.paragraphs if p.style.name == "Subtitle"] == [demo.name]
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets == ["Petite enfance", "Jeunesse", "Parentalité"]  # Article 4's thematics
    quote = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert quote == [demo.vision]
    assert any(p.style.name == "Body Text" for p in document.paragraphs)
    # The title page's letterhead and facts have no grid; every other table has one.
    assert {t.style.name for t in document.tables[2:]} == {"Table Grid"}
    assert document.tables[1].cell(0, 0).text == "Période"
    for section in document.sections:
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
        assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (22, 20)
    properties = document.core_properties
    assert properties.title == f"Convention territoriale globale — {demo.name}"
    assert properties.author == "Caf de Tarn-et-Garonne"
    assert properties.language == "fr-FR"


def test_the_docx_breaks_pages_where_the_pdf_does(demo):
    document = open_docx(render_convention_docx(data=convention_document_data(convention=demo)))
    breaks = [p.text for p in document.paragraphs if p.paragraph_format.page_break_before]
    assert breaks == ["Préambule", "Signatures", "FICHE ACTION FA-01", "FICHE ACTION FA-02"]
    # The annex is a section of its own (its header names it), starting on a new page;
    # each fiche starts a page.
    main, annex = document.sections
    assert annex.start_type == 2  # WD_SECTION.NEW_PAGE
    assert ANNEX in annex.header.paragraphs[0].text
    assert demo.name in main.header.paragraphs[0].text
    assert "Caf de Tarn-et-Garonne" in main.header.paragraphs[0].text


def test_the_title_page_has_its_own_footer_and_the_others_number_their_pages(demo):
    demo_data = convention_document_data(convention=demo)
    document = open_docx(render_convention_docx(data=demo_data))
    main = document.sections[0]
    assert main.different_first_page_header_footer
    assert not document.sections[1].different_first_page_header_footer
    assert "Convention signée le 15 décembre 2021" in main.first_page_footer.paragraphs[0].text
    assert not main.first_page_header.paragraphs[0].text
    footer = main.footer.paragraphs[0]._p
    instructions = [f.get(qn("w:instr")).strip() for f in footer.iter(qn("w:fldSimple"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert "Page" in main.footer.paragraphs[0].text and "sur" in main.footer.paragraphs[0].text


def test_the_signature_blocks_are_a_table_of_two_columns_with_room_to_sign(demo):
    document = open_docx(render_convention_docx(data=convention_document_data(convention=demo)))
    content = blocks(document)
    start = next(i for i, b in enumerate(content) if getattr(b, "text", "") == "Signatures")
    table = next(b for b in content[start:] if isinstance(b, Table))
    assert len(table.columns) == 2
    cells = [cell for row in table.rows for cell in row.cells]
    fors = [cell.paragraphs[0].text for cell in cells if cell.text.strip()]
    assert fors == [
        "Pour la Caf de Tarn-et-Garonne",
        "Pour la communauté de communes des Deux Rives",
        "Pour la commune de Laguépie",
    ]
    caf = cells[0]
    assert "Madame Charlotte Hubert-Boyer" in caf.text
    assert "Directrice de la Caf" in caf.text
    assert "le 15 décembre 2021" in caf.text
    assert caf.paragraphs[-1].text == "Signature et cachet"
    assert all(row.height >= Mm(50) for row in table.rows)


def test_tables_repeat_their_header_row_and_align_figures_right(demo):
    document = open_docx(render_convention_docx(data=convention_document_data(convention=demo)))
    funding = next(t for t in document.tables if t.rows[0].cells[0].text == "Financeur")
    header = funding.rows[0]._tr
    assert header.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
    amount = funding.rows[1].cells[3].paragraphs[0]  # after the nature
    assert amount.text.replace("\u202f", " ").replace("\xa0", " ") == "40 000,00 €"
    assert amount.alignment == 2  # right
    assert amount.style.name == "CTG – Tableau"  # a style of the document, 9 pt
    fields = next(t for t in document.tables if t.rows[0].cells[0].text == "Objectif")
    assert fields.rows[1].cells[0].text == "Constat / contexte"
    assert fields.rows[1].cells[1].text.startswith("Taux de couverture de 38 places")


# --------------------------------------------------------------------------- the walker


def walk(body: str, css: str = "") -> object:
    html = f"<html><head><style>{css}</style></head><body>{body}</body></html>"
    return open_docx(html_to_docx(html))


def test_the_walker_collapses_white_space_as_html_does():
    document = walk("<p>\n   Un   texte\n<strong> en gras </strong>et <em>penché</em>.  </p>")
    paragraph = document.paragraphs[0]
    assert paragraph.text == "Un texte en gras et penché."
    runs = {r.text: (r.bold, r.italic) for r in paragraph.runs}
    assert runs["en gras "] == (True, None)
    assert runs["penché"] == (None, True)


def test_the_walker_keeps_line_breaks_and_no_break_spaces():
    document = walk("<p>Ligne un<br>\n  ligne deux «&nbsp;citée&nbsp;»</p>")
    paragraph = document.paragraphs[0]
    assert paragraph.text == "Ligne un\nligne deux «\xa0citée\xa0»"


def test_the_walker_turns_lists_into_word_lists():
    document = walk("<ul><li>Un</li><li><strong>Deux</strong></li></ul><ol><li>Trois</li></ol>")
    assert [(p.style.name, p.text) for p in document.paragraphs] == [
        ("List Bullet", "Un"),
        ("List Bullet", "Deux"),
        ("List Number", "Trois"),
    ]


def test_the_walker_breaks_pages_after_the_stylesheet():
    document = walk(
        '<section class="a"><p>Un</p></section><section class="b"><h2>Deux</h2></section>'
        '<section class="b"><table class="grid"><tr><td>Trois</td></tr></table></section>',
        css=".b { page-break-before: always; } .a { color: red; }",
    )
    breaks = [p.paragraph_format.page_break_before for p in document.paragraphs]
    assert breaks == [None, True, True]  # the table is preceded by an empty breaking paragraph
    assert document.paragraphs[2].text == ""
    assert document.tables[0].cell(0, 0).text == "Trois"


def test_two_tables_in_a_row_stay_two_tables():
    document = walk(
        '<table class="grid"><tr><td>A</td></tr></table><table class="grid"><tr><td>B</td></tr></table>'
    )
    assert [t.cell(0, 0).text for t in document.tables] == ["A", "B"]
    assert len(document.paragraphs) == 1  # the paragraph between


# --------------------------------------------------------------------------- hostile content


HOSTILE_NAME = "CTG <script>alert(1)</script> \x01\x0b\x1b[31m 👨‍👩‍👧 & « Œuvre »"


def test_hostile_text_still_gives_a_docx_that_opens(world, tmp_path):
    convention = world.convention
    convention.name = HOSTILE_NAME
    convention.vision = ("Vision \x0c avec saut de page et émoji 🚸. " * 250)[:10_000]
    convention.save()
    sheet = ActionSheetFactory(
        convention=convention,
        number="FA-01",
        title="Fiche <b>grasse</b> \x07 🎈",
        thematic=thematic("jeunesse"),
        status=ActionSheet.Status.VALIDATED,
        approved_version=1,
        description="x" * 10_000,
    )
    assert sheet.pk
    docx = render_convention_docx(data=convention_document_data(convention=convention))
    document = open_docx(docx)
    name = "CTG <script>alert(1)</script> [31m 👨‍👩‍👧 & « Œuvre »"
    subtitle = [p.text for p in document.paragraphs if p.style.name == "Subtitle"]
    assert subtitle == [name]
    assert document.core_properties.title == f"Convention territoriale globale — {name}"
    vision = [p.text for p in document.paragraphs if p.style.name == "Quote"][0]
    assert len(vision) > 9_000 and "🚸" in vision and "\x0c" not in vision
    assert "Fiche <b>grasse</b> 🎈" in [p.text for p in document.paragraphs]
    assert any(cell == "x" * 10_000 for cell in cell_texts(document))
    converted = libreoffice_pdf(docx, tmp_path)
    assert "alert(1)" in pdf_text(converted)[1]


def test_characters_xml_cannot_hold_are_dropped():
    document = walk("<p>a\x00b\x08c\ufffed</p>")
    assert document.paragraphs[0].text == "abcd"


# --------------------------------------------------------------------------- the view


@pytest.mark.parametrize(
    "role", ["caf_staff", "coordinator", "elected", "member_caf", "member_territory", "superuser"]
)
def test_every_role_in_scope_downloads_the_word_document(world, login, role):
    response = login(getattr(world, role)).get(
        reverse("portal:document_docx", args=[world.convention.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert response["Content-Disposition"] == (
        'attachment; filename="convention-ctg-des-deux-rives.docx"'
    )
    document = open_docx(response.content)
    assert "CTG des Deux Rives" in [p.text for p in document.paragraphs]


@pytest.mark.parametrize("role", ["other_caf_staff", "other_elected", "outsider"])
def test_the_word_document_is_404_out_of_scope(world, login, role):
    url = reverse("portal:document_docx", args=[world.convention.pk])
    assert login(getattr(world, role)).get(url).status_code == 404


def test_the_word_document_sends_anonymous_to_login_and_refuses_a_post(world, client, login):
    url = reverse("portal:document_docx", args=[world.convention.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert login(world.caf_staff).post(url).status_code == 405


def test_the_word_file_is_named_after_the_amendment_like_the_pdf(world, login):
    Amendment.objects.create(
        convention=world.convention, number=2, date=datetime.date(2024, 6, 3), purpose="FA-04"
    )
    response = login(world.caf_staff).get(
        reverse("portal:document_docx", args=[world.convention.pk])
    )
    assert response["Content-Disposition"].endswith('convention-ctg-des-deux-rives-avenant-2.docx"')


def test_the_word_document_is_built_in_the_request_quickly_and_in_fixed_queries(
    demo, world, login, django_assert_max_num_queries
):
    url = reverse("portal:document_docx", args=[demo.pk])
    client = login(world.caf_staff)
    started = time.perf_counter()
    with django_assert_max_num_queries(25):
        response = client.get(url)
    assert response.status_code == 200
    assert time.perf_counter() - started < 5  # a fraction of a second: no layout engine


def test_the_convention_header_offers_the_word_download(world, login):
    body = login(world.elected).get(reverse("portal:detail", args=[world.convention.pk]))
    html = body.content.decode()
    assert "Télécharger (Word)" in html
    assert reverse("portal:document_docx", args=[world.convention.pk]) in html
