"""HTML laid out for print → Word (DOCX), with python-docx: the one converter behind every
editable copy of a PDF made with WeasyPrint (the convention document, ``portal.word``; the
meetings' relevé de décisions, ``meetings.views``).

The document says word for word what the HTML says:

- headings become Word headings (``h1`` → *Title*, ``h2`` → *Heading 1*, ``h3`` →
  *Heading 2*, ``h4`` → *Heading 3*), paragraphs *Body Text* (bold and italic kept),
  lists *List Bullet* / *List Number*, tables *Table Grid* (header rows repeated on
  each page, totals in bold, figures right-aligned);
- the page breaks are those of the stylesheet (``page-break-before: always``); a
  section with a named page (``page: annex``) starts a new Word section whose header
  names it, as the PDF's running header does;
- a title page's status line is its footer, and the other pages carry the running
  texts in the header and « Page X sur Y » (fields) in the footer;
- A4, the PDF's margins, French as the proofing language, and the core properties.

Everything is real, editable text with named styles: nothing is an image.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace

import tinycss2
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import html as lxml_html

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# The PDF's page (templates/portal/document.html, @page): A4, margins top, right,
# bottom, left.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top": Mm(26), "right": Mm(20), "bottom": Mm(24), "left": Mm(22)}
TEXT_WIDTH = PAGE_WIDTH - MARGINS["left"] - MARGINS["right"]

# The template's palette (its stylesheet), as Word colours.
BLUE = RGBColor(0x00, 0x50, 0x9E)
NAVY = RGBColor(0x00, 0x32, 0x5F)
INK = RGBColor(0x1B, 0x1B, 0x1B)
GREY = RGBColor(0x55, 0x55, 0x55)
MUTED = RGBColor(0x66, 0x66, 0x66)
WARNING = RGBColor(0x8A, 0x4B, 0x00)
HEAD_FILL, FOOT_FILL, RULE = "E8EEF5", "F4F6F8", "B9C3CF"
FONT = "Arial"  # metric-compatible with the PDF's Liberation Sans

# Characters an XML document cannot hold (python-docx refuses them): a pasted text
# may carry some (form feeds, escape codes).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# HTML collapses these (not the no-break space).
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")

BLOCK_TAGS = {"section", "div", "p", "h1", "h2", "h3", "h4", "ul", "ol", "table"}
HEADINGS = {"h1": "Title", "h2": "Heading 1", "h3": "Heading 2", "h4": "Heading 3"}

# How the template's classes lay out in Word: a paragraph style per block class.
COVER_KICKER = "CTG – Surtitre"
COVER_LINE = "CTG – Page de titre"
PARTY = "CTG – Partie"
NOTE = "CTG – Mention"
SHEET_NUMBER = "CTG – Numéro de fiche"
SIGN_FOR = "CTG – Signataire"
TABLE_TEXT = "CTG – Tableau"
COVER_FACT = "CTG – Page de titre, tableau"
BODY = "Body Text"
CLASS_STYLES = {
    "kicker": COVER_KICKER,
    "name": "Subtitle",
    "between": COVER_LINE,
    "party": PARTY,
    "quote": "Quote",
    "meta": NOTE,
    "small": NOTE,
    "number": SHEET_NUMBER,
    "for": SIGN_FOR,
    "place": NOTE,
    "label": NOTE,
}
SKIPPED_CLASSES = {"rule"}  # decoration only
COVER_FOOTER_CLASS = "status"  # the title page's bottom line: its footer
SIGNATURE_SPACE_CLASS = "space"  # the room left to sign


@dataclass(frozen=True)
class _Run:
    text: str = ""
    bold: bool = False
    italic: bool = False
    muted: bool = False
    small: bool = False
    warning: bool = False
    is_break: bool = False


_BREAK = _Run(is_break=True)


def clean_text(text: str) -> str:
    """The text without the characters an XML document cannot hold."""
    return _NOT_XML.sub("", text)


# --------------------------------------------------------------------------- the stylesheet


def _css_rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    """The top-level rules of a stylesheet: (selectors, {property: value})."""
    rules = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        selectors = [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]
        declarations = {
            d.lower_name: tinycss2.serialize(d.value).strip()
            for d in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True)
            if d.type == "declaration"
        }
        rules.append((selectors, declarations))
    return rules


@dataclass
class _Layout:
    """What the template's stylesheet says about pages: the classes starting a new
    page, and the named page (``page: annex``) of a class."""

    page_breaks: set[str]
    named_pages: dict[str, str]

    @classmethod
    def of(cls, css: str) -> _Layout:
        page_breaks: set[str] = set()
        named_pages: dict[str, str] = {}
        for selectors, declarations in _css_rules(css):
            classes = [s[1:] for s in selectors if re.fullmatch(r"\.[\w-]+", s)]
            if declarations.get("page-break-before") == "always":
                page_breaks.update(classes)
            if "page" in declarations:
                named_pages.update(dict.fromkeys(classes, declarations["page"]))
        return cls(page_breaks=page_breaks, named_pages=named_pages)


# --------------------------------------------------------------------------- Word helpers


# The order of the children that this module sets, where the schema fixes it (Word
# refuses a document whose properties are out of order).
_ORDER = {
    "w:pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
    "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
    "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
    "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
    "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "w:rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss "
    "imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs "
    "highlight u effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish "
    "oMath",
    "w:tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection "
    "tcFitText vAlign hideMark",
    "w:pBdr": "top left bottom right between bar",
    "w:tcBorders": "top start left bottom end right insideH insideV tl2br tr2bl",
}
_ORDER = {qn(parent): [qn(f"w:{t}") for t in tags.split()] for parent, tags in _ORDER.items()}


def _set(element, tag: str, **attributes) -> object:
    """The child ``tag`` of an oxml element (created when missing, at its place in
    the schema's order), with attributes."""
    child = element.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        order = _ORDER.get(element.tag)
        following = order[order.index(qn(tag)) + 1 :] if order and qn(tag) in order else []
        successor = next((c for c in element if c.tag in following), None)
        if successor is not None:
            successor.addprevious(child)
        else:
            element.append(child)
    for name, value in attributes.items():
        child.set(qn(f"w:{name}"), str(value))
    return child


def _border(properties, tag: str, edges: dict[str, tuple[str, int]]) -> None:
    """Borders (``w:pBdr`` / ``w:tcBorders`` / ``w:tblBorders``): edge → (colour, eighths of a point)."""
    borders = _set(properties, tag)
    for edge, (color, size) in edges.items():
        value = "nil" if size == 0 else "single"
        _set(
            borders, f"w:{edge}", val=value, sz=size, space=1 if tag == "w:pBdr" else 0, color=color
        )


def _shade(cell, fill: str) -> None:
    _set(cell._tc.get_or_add_tcPr(), "w:shd", val="clear", color="auto", fill=fill)


def _field(paragraph, instruction: str, placeholder: str = "1") -> None:
    """A field (PAGE, NUMPAGES) that Word and LibreOffice compute."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = placeholder
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _no_theme_font(style) -> None:
    """The style's font as named (the default template's headings use theme fonts)."""
    fonts = style.element.get_or_add_rPr().find(qn("w:rFonts"))
    if fonts is not None:
        for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{attribute}"), None)


def _paragraph_style(document, name: str, *, base: str = "Normal"):
    styles = document.styles
    if name in [s.name for s in styles]:
        return styles[name]
    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base]
    style.quick_style = True
    return style


def _define_styles(document) -> None:
    styles = document.styles
    # French proofing for the whole document (docDefaults).
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        run_defaults = _set(_set(defaults, "w:rPrDefault"), "w:rPr")
        _set(run_defaults, "w:lang", val="fr-FR")
    normal = styles["Normal"]
    normal.font.name, normal.font.size, normal.font.color.rgb = FONT, Pt(10), INK
    _no_theme_font(normal)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.15

    body = styles[BODY]
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    body.paragraph_format.space_after = Mm(2.5)

    title = styles["Title"]
    title.font.name, title.font.size, title.font.bold = FONT, Pt(27), True
    title.font.all_caps, title.font.color.rgb = True, NAVY
    _no_theme_font(title)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before, title.paragraph_format.space_after = Mm(4), Mm(3)
    title_borders = title.element.get_or_add_pPr().find(qn("w:pBdr"))
    if title_borders is not None:  # the default template underlines its title
        title.element.pPr.remove(title_borders)

    subtitle = styles["Subtitle"]
    subtitle.font.name, subtitle.font.size, subtitle.font.bold = FONT, Pt(16), True
    subtitle.font.italic, subtitle.font.color.rgb = False, INK
    _no_theme_font(subtitle)
    subtitle.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle.paragraph_format.space_after = Mm(12)
    _set(subtitle.element.get_or_add_rPr(), "w:spacing", val=0)  # the template spaces it

    for name, size, before, after in (
        ("Heading 1", 12.5, 7, 3),
        ("Heading 2", 10.5, 4, 1.5),
        ("Heading 3", 10, 4, 1),
    ):
        heading = styles[name]
        heading.font.name, heading.font.size, heading.font.bold = FONT, Pt(size), True
        heading.font.italic, heading.font.color.rgb = False, NAVY
        _no_theme_font(heading)
        heading.paragraph_format.space_before = Mm(before)
        heading.paragraph_format.space_after = Mm(after)
        heading.paragraph_format.keep_with_next = True
    _border(styles["Heading 1"].element.get_or_add_pPr(), "w:pBdr", {"bottom": ("00509E", 6)})

    quote = styles["Quote"]
    quote.font.italic, quote.font.color.rgb = False, INK
    quote.paragraph_format.left_indent = Mm(4)
    quote.paragraph_format.space_before, quote.paragraph_format.space_after = Mm(1), Mm(3)
    quote_pr = quote.element.get_or_add_pPr()
    _border(quote_pr, "w:pBdr", {"left": ("00509E", 24)})
    _set(quote_pr, "w:shd", val="clear", color="auto", fill="F2F5F9")

    for name in ("List Bullet", "List Number"):
        styles[name].paragraph_format.space_after = Mm(1)

    kicker = _paragraph_style(document, COVER_KICKER)
    kicker.font.size, kicker.font.color.rgb, kicker.font.all_caps = Pt(11), BLUE, True
    kicker.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    kicker.paragraph_format.space_before = Mm(50)
    _set(kicker.element.get_or_add_rPr(), "w:spacing", val=50)  # letter spacing

    line = _paragraph_style(document, COVER_LINE)
    line.font.size = Pt(10.5)
    line.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    line.paragraph_format.space_after = Mm(2)

    party = _paragraph_style(document, PARTY, base=BODY)
    party.paragraph_format.left_indent = Mm(4)
    party.paragraph_format.space_after = Mm(3)
    party.paragraph_format.keep_together = True
    _border(party.element.get_or_add_pPr(), "w:pBdr", {"left": ("CFD9E6", 16)})

    note = _paragraph_style(document, NOTE)
    note.font.size, note.font.color.rgb = Pt(9), GREY
    note.paragraph_format.space_after = Mm(1.5)

    number = _paragraph_style(document, SHEET_NUMBER)
    number.font.size, number.font.bold, number.font.color.rgb = Pt(9), True, BLUE
    number.paragraph_format.space_before = Mm(2)
    number.paragraph_format.keep_with_next = True
    _set(number.element.get_or_add_rPr(), "w:spacing", val=20)

    table_text = _paragraph_style(document, TABLE_TEXT)
    table_text.font.size = Pt(9)
    table_text.paragraph_format.space_before = Mm(0.8)
    table_text.paragraph_format.space_after = Mm(0.8)

    fact = _paragraph_style(document, COVER_FACT)
    fact.paragraph_format.space_before = Mm(1.2)
    fact.paragraph_format.space_after = Mm(1.2)

    signer = _paragraph_style(document, SIGN_FOR)
    signer.font.bold, signer.font.color.rgb = True, NAVY

    for name in ("Header", "Footer"):
        styles[name].font.size = Pt(8)
        tabs = styles[name].paragraph_format.tab_stops
        tabs.clear_all()  # the default template's, for a Letter page
        tabs.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)


# --------------------------------------------------------------------------- the walker


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split())


def _text(element) -> str:
    return " ".join(element.text_content().split())


def _styled(run: _Run, element) -> _Run:
    """The run formatting inside ``element`` (its tag and classes)."""
    classes = _classes(element)
    return replace(
        run,
        bold=run.bold or element.tag in ("strong", "b") or "warning" in classes,
        italic=run.italic or element.tag in ("em", "i"),
        muted=run.muted or "muted" in classes,
        small=run.small or "small" in classes,
        warning=run.warning or "warning" in classes,
    )


def _inline_runs(element, run: _Run, out: list[_Run]) -> None:
    """The runs of an element's inline content (its text, its children and their
    tails), formatted as ``run``."""
    if element.text:
        out.append(replace(run, text=element.text))
    for child in element:
        _inline_child(child, run, out)
        if child.tail:
            out.append(replace(run, text=child.tail))


def _inline_child(child, run: _Run, out: list[_Run]) -> None:
    if not isinstance(child.tag, str):  # a comment
        return
    if child.tag == "br":
        out.append(_BREAK)
    else:
        _inline_runs(child, _styled(run, child), out)


def _collapse(runs: list[_Run]) -> list[_Run]:
    """HTML's white space: runs of spaces and newlines are one space, none at the
    start or the end of a line."""
    out: list[_Run] = []
    after_space = True
    for run in runs:
        if run.is_break:
            if out and not out[-1].is_break:
                out[-1] = replace(out[-1], text=out[-1].text.rstrip(" "))
            out.append(run)
            after_space = True
            continue
        text = _HTML_SPACE.sub(" ", run.text)
        if after_space:
            text = text.lstrip(" ")
        if text:
            out.append(replace(run, text=text))
            after_space = text.endswith(" ")
    while out and not out[-1].is_break and not out[-1].text.rstrip(" "):
        out.pop()
    if out and not out[-1].is_break:
        out[-1] = replace(out[-1], text=out[-1].text.rstrip(" "))
    while out and out[-1].is_break:
        out.pop()
    return [r for r in out if r.is_break or r.text]


class _Writer:
    def __init__(self, document, layout: _Layout):
        self.document = document
        self.layout = layout
        self.break_pending = False
        self.page_name = ""
        self.used_cells: set = set()
        self.section_titles = [""]  # the running title of each section ("": the convention)
        # Style ids by name, looked up once (python-docx scans every style each time).
        self.style_ids = {s.name: s.style_id for s in document.styles}

    # -- paragraphs

    def paragraph(self, container, style: str | None = None, runs: list[_Run] | None = None):
        in_cell = hasattr(container, "_tc")
        if in_cell and container._tc not in self.used_cells:
            # A new cell holds an empty paragraph: it takes the cell's first text.
            # (The cell elements are kept: lxml proxies keep their identity while alive.)
            self.used_cells.add(container._tc)
            paragraph = container.paragraphs[0]
            if style:
                paragraph._p.style = self.style_ids[style]
        else:
            follows_table = not in_cell and _last_block_is_table(self.document)
            paragraph = container.add_paragraph()
            if style:
                paragraph._p.style = self.style_ids[style]
            if follows_table and paragraph.style.paragraph_format.space_before is None:
                paragraph.paragraph_format.space_before = Mm(3)
        if self.break_pending and not in_cell:
            paragraph.paragraph_format.page_break_before = True
            self.break_pending = False
        for run in runs or []:
            self.run(paragraph, run)
        return paragraph

    def run(self, paragraph, run: _Run) -> None:
        if run.is_break:
            paragraph.add_run().add_break(WD_BREAK.LINE)
            return
        word_run = paragraph.add_run(run.text)
        if run.bold:
            word_run.bold = True
        if run.italic:
            word_run.italic = True
        if run.warning:
            word_run.font.color.rgb = WARNING
        elif run.muted:
            word_run.font.color.rgb = MUTED
        if run.small:
            word_run.font.size = Pt(8.5)

    def inline_paragraph(self, element, container, style: str | None) -> None:
        runs: list[_Run] = []
        _inline_runs(element, _styled(_Run(), element), runs)
        runs = _collapse(runs)
        if runs:
            self.paragraph(container, style, runs)

    # -- blocks

    def blocks(self, element, container, style: str | None = None) -> None:
        """The children of a container: blocks, and the inline content between them
        as paragraphs of ``style``."""
        pending: list[_Run] = []

        def flush():
            runs = _collapse(pending)
            if runs:
                self.paragraph(container, style, runs)
            pending.clear()

        if element.text:
            pending.append(_Run(text=element.text))
        for child in element:
            if isinstance(child.tag, str) and child.tag in BLOCK_TAGS:
                flush()
                self.block(child, container)
            else:
                _inline_child(child, _Run(), pending)
            if child.tail:
                pending.append(_Run(text=child.tail))
        flush()

    def block(self, element, container) -> None:
        classes = _classes(element)
        if classes & SKIPPED_CLASSES or COVER_FOOTER_CLASS in classes:
            return
        if not hasattr(container, "_tc"):
            self.new_page_if_asked(element, classes)
        tag = element.tag
        if tag in HEADINGS:
            self.inline_paragraph(element, container, HEADINGS[tag])
        elif tag == "p":
            self.inline_paragraph(element, container, self.class_style(classes) or BODY)
        elif tag in ("ul", "ol"):
            style = "List Bullet" if tag == "ul" else "List Number"
            for item in element.iterfind("li"):
                self.inline_paragraph(item, container, style)
        elif tag == "table":
            self.table(element, container, classes)
        elif "letterhead" in classes:
            self.letterhead(element, container)
        elif "sign-grid" in classes:
            self.signatures(element, container)
        elif "chips" in classes:  # the thematics: a list
            for chip in element:
                if isinstance(chip.tag, str):
                    self.inline_paragraph(chip, container, "List Bullet")
        elif SIGNATURE_SPACE_CLASS in classes:
            space = self.paragraph(container)
            space.paragraph_format.space_before = Mm(16)
        elif any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in element):
            self.blocks(element, container, self.class_style(classes))
        else:
            self.inline_paragraph(element, container, self.class_style(classes))

    @staticmethod
    def class_style(classes: set[str]) -> str | None:
        for name, style in CLASS_STYLES.items():
            if name in classes:
                return style
        return None

    def new_page_if_asked(self, element, classes: set[str]) -> None:
        page_name = next(
            (self.layout.named_pages[c] for c in classes if c in self.layout.named_pages), None
        )
        # (The template's named page, the annex, comes last: nothing goes back to the
        # default page after it.)
        if page_name is not None and page_name != self.page_name:
            self.page_name = page_name
            self.document.add_section(WD_SECTION.NEW_PAGE)
            self.break_pending = False
            # The new section's header names it after its first heading.
            heading = element.find(".//h2")
            self.section_titles.append(_text(heading) if heading is not None else "")
        elif classes & self.layout.page_breaks:
            self.break_pending = True

    # -- tables

    def new_table(self, container, rows: int, columns: int, widths: list, style: str | None):
        table = container.add_table(rows=rows, cols=columns)
        if style:
            table._tbl.tblStyle_val = self.style_ids[style]
        table.autofit = False
        widths = [Emu(int(width)) for width in widths]
        grid = table._tbl.tblGrid
        for column, width in zip(grid.iterfind(qn("w:gridCol")), widths, strict=False):
            column.set(qn("w:w"), str(int(width.twips)))
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=False):
                cell.width = width
        if not hasattr(container, "_tc"):
            previous = table._tbl.getprevious()
            if self.break_pending or (previous is not None and previous.tag == qn("w:tbl")):
                # A table cannot break before itself, and two tables in a row merge
                # into one: an empty paragraph stands between.
                holder = self.paragraph(container)
                holder.paragraph_format.space_before = Mm(0)
                holder.paragraph_format.space_after = Mm(0)
                holder.paragraph_format.line_spacing = Pt(6)
                table._tbl.addprevious(holder._p)
            elif previous is not None and previous.tag == qn("w:p"):
                # The paragraph that introduces a table stays with its first row.
                Paragraph(previous, container).paragraph_format.keep_with_next = True
        return table

    def table(self, element, container, classes: set[str]) -> None:
        rows = list(element.iter("tr"))
        if not rows:
            return
        columns = max(len(row.findall("th")) + len(row.findall("td")) for row in rows)
        if columns == 0:
            return
        available = (container.width or TEXT_WIDTH) if hasattr(container, "_tc") else TEXT_WIDTH
        if "facts" in classes:  # the title page's facts: no grid, centred
            widths = [Mm(45), Mm(105)]
        elif "fields" in classes and columns == 2:  # a fiche's fields: label, text
            widths = [int(available * 0.32), int(available * 0.68)]
        else:
            widths = _column_widths(rows, columns, available)
        table = self.new_table(
            container, len(rows), columns, widths, None if "facts" in classes else "Table Grid"
        )
        if "facts" in classes:
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for index, row in enumerate(rows):
            section = row.getparent().tag
            word_row = table.rows[index]
            if section == "thead":
                _set(word_row._tr.get_or_add_trPr(), "w:tblHeader", val="true")
            _set(word_row._tr.get_or_add_trPr(), "w:cantSplit", val="true")
            cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("th", "td")]
            for cell, word_cell in zip(cells, word_row.cells, strict=False):
                self.cell(cell, word_cell, section=section, classes=classes)

    def cell(self, cell, word_cell, *, section: str, classes: set[str]) -> None:
        facts = "facts" in classes  # the title page's facts: label grey, value bold
        if "grid" in classes or "fields" in classes:
            if section == "thead":
                _shade(word_cell, HEAD_FILL)
            elif section == "tfoot":
                _shade(word_cell, FOOT_FILL)
        if any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in cell):
            self.blocks(cell, word_cell, TABLE_TEXT)
        else:
            self.inline_paragraph(cell, word_cell, COVER_FACT if facts else TABLE_TEXT)
        bold = (not facts and (cell.tag == "th" or section in ("thead", "tfoot"))) or (
            facts and cell.tag == "td"
        )
        if cell.tag == "th" and ("fields" in classes or section == "thead"):
            color = NAVY
        elif facts and cell.tag == "th":
            color = GREY
        else:
            color = None
        right = "num" in _classes(cell) or (facts and cell.tag == "th")
        for paragraph in word_cell.paragraphs:
            for run in paragraph.runs:
                if bold:
                    run.bold = True
                if color is not None and run.font.color.rgb is None:
                    run.font.color.rgb = color
            if right:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    def letterhead(self, element, container) -> None:
        """The title page's letterhead: the Caf on the left, the reference on the right."""
        parts = [c for c in element if isinstance(c.tag, str)]
        widths = [TEXT_WIDTH * 0.6, TEXT_WIDTH * 0.4][: len(parts)]
        table = self.new_table(container, 1, len(parts), widths, None)
        for part, cell in zip(parts, table.rows[0].cells, strict=False):
            self.cell_paragraphs(part, cell)
        left, *others = table.rows[0].cells
        _border(left._tc.get_or_add_tcPr(), "w:tcBorders", {"left": ("00509E", 40)})
        first = left.paragraphs[0]
        for run in first.runs:
            run.font.size, run.font.bold, run.font.color.rgb = Pt(15), True, BLUE
        for cell in others:
            for paragraph in cell.paragraphs:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for run in paragraph.runs:
                    run.font.size, run.font.color.rgb = Pt(8.5), GREY

    def cell_paragraphs(self, element, cell) -> None:
        """A letterhead part: its text, then each ``small`` child on a line of its own."""
        runs: list[_Run] = []
        small = [c for c in element if isinstance(c.tag, str) and c.tag == "small"]
        if element.text:
            runs.append(_Run(text=element.text))
        for child in element:
            if child not in small:
                _inline_child(child, _Run(), runs)
            if child.tail:
                runs.append(_Run(text=child.tail))
        self.paragraph(cell, None, _collapse(runs))
        for child in small:
            line: list[_Run] = []
            _inline_runs(child, _Run(), line)
            paragraph = self.paragraph(cell, None, _collapse(line))
            for run in paragraph.runs:
                run.font.size, run.font.color.rgb = Pt(8.5), GREY

    def signatures(self, element, container) -> None:
        """The signature blocks: a table of two columns, one bordered cell per party."""
        blocks = [c for c in element if isinstance(c.tag, str)]
        if not blocks:
            return
        rows = (len(blocks) + 1) // 2
        table = self.new_table(container, rows, 2, [TEXT_WIDTH / 2, TEXT_WIDTH / 2], "Table Grid")
        for index, block in enumerate(blocks):
            row = table.rows[index // 2]
            _set(row._tr.get_or_add_trPr(), "w:cantSplit", val="true")
            row.height = Mm(52)
            cell = row.cells[index % 2]
            self.blocks(block, cell)
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Mm(1)
        if len(blocks) % 2:  # no border around the empty place of an odd count
            empty = table.rows[-1].cells[1]
            _border(
                empty._tc.get_or_add_tcPr(),
                "w:tcBorders",
                {"right": ("auto", 0), "bottom": ("auto", 0), "top": (RULE, 4)},
            )


def _last_block_is_table(document) -> bool:
    body = document.element.body
    last = body[-2] if len(body) > 1 and body[-1].tag == qn("w:sectPr") else body[-1]
    return last.tag == qn("w:tbl")


# A character of the tables' 9 pt text (bold headers included) and a cell's margins.
_CHAR_WIDTH, _CELL_PADDING = Mm(1.95), Mm(4.5)


def _lines(element) -> list[str]:
    """The lines of a cell's text (its ``<br>`` break them)."""
    parts: list[str] = []

    def walk(node):
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str):
                if child.tag == "br":
                    parts.append("\n")
                else:
                    walk(child)
            parts.append(child.tail or "")

    walk(element)
    return [" ".join(line.split()) for line in "".join(parts).split("\n")]


def _column_widths(rows, columns: int, available) -> list:
    """The widths of a table's columns, as a browser lays out an automatic table: the
    ``width: N%`` of the first row's cells are kept; the other columns get at least
    their longest word, then share the rest after the length of their text."""
    asked: list[float | None] = []
    for cell in rows[0]:
        if isinstance(cell.tag, str):
            match = re.search(r"width:\s*([\d.]+)%", cell.get("style") or "")
            asked.append(float(match.group(1)) / 100 if match else None)
    asked = (asked + [None] * columns)[:columns]
    least, wished = [0] * columns, [0] * columns
    for row in rows:
        cells = [c for c in row if isinstance(c.tag, str)]
        for index, cell in enumerate(cells[:columns]):
            lines = _lines(cell)
            word = max((len(w) for line in lines for w in line.split()), default=0)
            least[index] = max(least[index], word * _CHAR_WIDTH + _CELL_PADDING)
            longest = max((len(line) for line in lines), default=0)
            wished[index] = max(wished[index], min(longest, 60) * _CHAR_WIDTH + _CELL_PADDING)
    fixed = sum(available * a for a in asked if a is not None)
    free = max(0, available - fixed)
    auto = [i for i, a in enumerate(asked) if a is None]
    widths = {i: available * a for i, a in enumerate(asked) if a is not None}
    low = sum(least[i] for i in auto)
    high = sum(max(wished[i], least[i]) for i in auto)
    for i in auto:
        top = max(wished[i], least[i])
        if high <= free:  # everything fits on one line: share the room after the wishes
            widths[i] = free * top / high if high else free / len(auto)
        elif low <= free:  # the words fit: share what is left after them
            widths[i] = least[i] + (free - low) * (top - least[i]) / (high - low)
        else:  # too narrow anyway: after the longest words
            widths[i] = free * least[i] / low
    return [int(widths[i]) for i in range(columns)]


# --------------------------------------------------------------------------- headers, footers


def _header_footer_line(paragraph, left: str, right, *, rule: str) -> None:
    """« left <tab> right » on one line, with a rule above or below."""
    if left:
        run = paragraph.add_run(clean_text(left))
        run.font.color.rgb = BLUE if rule == "bottom" else MUTED
        run.bold = rule == "bottom"
        run.italic = rule == "top"
    paragraph.add_run("\t")
    if callable(right):
        right(paragraph)
    else:
        run = paragraph.add_run(clean_text(right))
        run.font.color.rgb = GREY
    if rule == "bottom":  # the header's rule
        _border(paragraph._p.get_or_add_pPr(), "w:pBdr", {"bottom": ("00509E", 5)})


def _page_numbers(paragraph) -> None:
    paragraph.add_run("Page ")
    _field(paragraph, "PAGE")
    paragraph.add_run(" sur ")
    _field(paragraph, "NUMPAGES")


_HAS_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
_CLASS = "//*[" + _HAS_CLASS + "]"


def _running_texts(body) -> dict[str, str]:
    def first(xpath: str) -> str:
        found = body.xpath(xpath)
        return clean_text(_text(found[0])) if found else ""

    return {
        "caf": first(_CLASS.format("caf-name")),
        "name": first(f"{_CLASS.format('cover')}//*[{_HAS_CLASS.format('name')}]"),
        "status": first(_CLASS.format(COVER_FOOTER_CLASS)),
    }


def _headers_and_footers(document, texts: dict[str, str], section_titles: list[str]) -> None:
    for index, section in enumerate(document.sections):
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
        section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
        section.header_distance, section.footer_distance = Mm(12), Mm(10)
        # The title page has no header; its status line is at its bottom. (A new
        # section copies its predecessor's settings: set it on each.)
        section.different_first_page_header_footer = index == 0
        if index == 0:
            cover = section.first_page_footer.paragraphs[0]
            cover.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = cover.add_run(texts["status"])
            run.font.size = Pt(9)
            _border(cover._p.get_or_add_pPr(), "w:pBdr", {"top": ("BBBBBB", 4)})
        else:
            section.header.is_linked_to_previous = False
        title = section_titles[index] if index < len(section_titles) else ""
        _header_footer_line(
            section.header.paragraphs[0], texts["caf"], title or texts["name"], rule="bottom"
        )
        if index == 0:
            _header_footer_line(
                section.footer.paragraphs[0], texts["status"], _page_numbers, rule="top"
            )


# --------------------------------------------------------------------------- the document


def html_to_docx(html: str, *, keywords: str = "CTG", comments: str = "") -> bytes:
    """The DOCX of an HTML document laid out for print (its ``<title>``, ``<meta
    name="author">`` and ``<meta name="description">`` become the core properties)."""
    tree = lxml_html.document_fromstring(clean_text(html))
    css = "\n".join(style.text or "" for style in tree.iter("style"))
    layout = _Layout.of(css)
    body = tree.find("body")

    document = Document()
    _define_styles(document)
    properties = document.core_properties
    title = tree.findtext(".//title") or ""
    author = tree.xpath("string(//meta[@name='author']/@content)")
    description = tree.xpath("string(//meta[@name='description']/@content)")
    properties.title = clean_text(" ".join(title.split()))[:255]
    properties.author = properties.last_modified_by = clean_text(author)[:255]
    properties.subject = clean_text(description)[:255]
    properties.language = "fr-FR"
    properties.keywords = keywords
    properties.comments = comments
    properties.revision = 1
    properties.created = properties.modified = timezone.now()

    writer = _Writer(document, layout)
    writer.blocks(body, document)
    section_titles = writer.section_titles
    _headers_and_footers(document, _running_texts(body), section_titles)

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
