"""One truth on every screen: the Synthèse, the progress report (web page, PDF, XLSX) and
the action plan's XLSX export say the same figures; the convention document (PDF), a
contract, states none of them (issue #19).

One convention with fiches in every status, indicators over four thematics (one of
them beyond its target, two late, one never measured), funding from four funders
(one overspent). Each output is read as its user reads it — the text of the page,
of the PDF, the cells of the workbook as their number format shows them — and
compared with the Synthèse.
"""

from __future__ import annotations

import datetime
import io
import itertools
import re
from decimal import Decimal
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from actions.factories import ActionSheetFactory, FundingLineFactory, ObjectiveFactory
from actions.funding import GAP_LABEL
from actions.models import ActionSheet
from ctg import formatting, palette, spreadsheets
from diagnostics.factories import thematic
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Indicator
from reports import services as reporting

Status = ActionSheet.Status
SVG = "{http://www.w3.org/2000/svg}"


# --- reading what the user reads -----------------------------------------------------------


def norm(text: str) -> str:
    """Spaces as a reader sees them (no-break and narrow no-break spaces included)."""
    return re.sub(r"\s+", " ", text or "").strip()


def nows(text: str) -> str:
    """Without any space: PDF text extraction splits and joins words at will."""
    return re.sub(r"\s+", "", text or "")


def parse_amount(text: str) -> Decimal:
    """``81 000 €`` or ``81 000,00 €`` → 81000."""
    return Decimal(nows(text).replace("€", "").replace(",", "."))


VOID_TAGS = {"area", "br", "col", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Tables(HTMLParser):
    """Every <table> of a page: its caption and its rows of cell texts, as a desktop screen
    shows them (SVG skipped, and the phone-only repeats, ``d-sm-none``, of what a column
    hidden on phones says)."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[dict] = []
        self._table = self._row = self._cell = None
        self._caption: list[str] | None = None
        self._svg = 0
        self._phone_only: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if self._phone_only:
            if tag not in VOID_TAGS:
                self._phone_only.append(tag)
            return
        if "d-sm-none" in (dict(attrs).get("class") or "").split():
            self._phone_only.append(tag)
            return
        if tag == "svg":
            self._svg += 1
        if self._svg:
            return
        if tag == "table":
            self._table = {"caption": "", "rows": [], "class": dict(attrs).get("class", "")}
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if self._phone_only:
            self._phone_only.pop()
            return
        if tag == "svg":
            self._svg -= 1
            return
        if self._svg:
            return
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(norm("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table["rows"].append(self._row)
            self._row = None
        elif tag == "caption" and self._caption is not None:
            self._table["caption"] = norm("".join(self._caption))
            self._caption = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None

    def handle_data(self, data):
        if self._svg or self._phone_only:
            return
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)

    def find(
        self, header: list[str], caption: str | None = None, cls: str | None = None
    ) -> list[list[str]]:
        """The body rows of the one table with this header (and caption, or class)."""
        found = [
            t["rows"][1:]
            for t in self.tables
            if t["rows"]
            and t["rows"][0] == header
            and (caption is None or t["caption"] == caption)
            and (cls is None or cls in t["class"].split())
        ]
        assert len(found) == 1, f"{len(found)} tables headed {header} ({caption})"
        return found[0]


class Text(HTMLParser):
    """The text of a page as a reader sees it (no markup, no script, no chart)."""

    def __init__(self, html: str):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self.feed(html)
        self.text = norm(" ".join(self.parts))

    def handle_starttag(self, tag, attrs):
        if tag in ("svg", "script", "style", "head"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("svg", "script", "style", "head"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def svgs(html: str, title: str) -> ElementTree.Element:
    """The chart of a page whose accessible name is ``title``."""
    for markup in re.findall(r"<svg .*?</svg>", html, re.S):
        root = ElementTree.fromstring(markup)
        if root.get("aria-label") == title:
            return root
    raise AssertionError(f"no chart named {title!r}")


def texts(root: ElementTree.Element) -> list[str]:
    """The words drawn in a chart, in drawing order."""
    return [norm("".join(t.itertext())) for t in root.iter(f"{SVG}text")]


def pdf_text(data: bytes) -> str:
    """The text of a PDF, words hyphenated at a line end joined back."""
    assert data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub("\u2010\\s+", "", text)


def cell_text(cell) -> str:
    """A workbook cell as a spreadsheet shows it (its number format applied)."""
    if cell.value is None:
        return formatting.DASH
    if cell.number_format == spreadsheets.PERCENT_FORMAT:
        return norm(formatting.share(cell.value))
    if cell.number_format == spreadsheets.EURO_FORMAT:
        return norm(formatting.amount(cell.value))
    if isinstance(cell.value, int | float):
        return norm(formatting.number(cell.value, 2))
    return norm(str(cell.value))


def sheet_rows(ws, min_row: int = 2) -> list[list[str]]:
    return [[cell_text(c) for c in row] for row in ws.iter_rows(min_row=min_row)]


# --- the convention ------------------------------------------------------------------------


@pytest.fixture
def plan(world):
    """Fiches in every status, indicators over four thematics, funding by four funders.

    Every measurement is taken a year after the baseline, a quarter of the way to the
    target date: about 25 % of progress is expected from each measured indicator.
    """
    today = timezone.localdate()
    convention = world.convention
    convention.start_date = today - datetime.timedelta(days=3 * 365)
    convention.end_date = today + datetime.timedelta(days=2 * 365)
    convention.save()
    petite_enfance, jeunesse, parentalite, logement = (
        thematic("petite-enfance"),
        thematic("jeunesse"),
        thematic("parentalite"),
        thematic("logement"),
    )
    convention.thematics.set([petite_enfance, jeunesse, parentalite, logement])
    baseline = today - datetime.timedelta(days=2 * 365)
    measured_on = baseline + datetime.timedelta(days=365)
    target = baseline + datetime.timedelta(days=4 * 365)

    def sheet(number, status, theme, title):
        return ActionSheetFactory(
            convention=convention, number=number, status=status, thematic=theme, title=title
        )

    def indicator(name, value, start=0, aim=10, holder=None, **kwargs):
        kwargs.setdefault("action_sheet", holder)
        made = IndicatorFactory(
            name=name,
            baseline_value=start,
            target_value=aim,
            baseline_date=baseline,
            target_date=target,
            direction=Indicator.Direction.DECREASE if aim < start else Indicator.Direction.INCREASE,
            **kwargs,
        )
        if value is not None:
            MeasurementFactory(indicator=made, date=measured_on, value=value)
        return made

    crèche = sheet("FA-01", Status.IN_PROGRESS, petite_enfance, "Ouvrir une micro-crèche")
    youth = sheet("FA-02", Status.SUBMITTED, jeunesse, "Créer un conseil des jeunes")
    cafés = sheet("FA-03", Status.DRAFT, parentalite, "Cafés des parents")
    housing = sheet("FA-04", Status.VALIDATED, logement, "Loger les jeunes")
    sheet("FA-05", Status.ABANDONED, jeunesse, "Navette abandonnée")
    sheet("FA-06", Status.TO_REVIEW, parentalite, "Médiation familiale")
    sheet("FA-07", Status.DONE, petite_enfance, "Relais petite enfance")

    # Petite enfance: one indicator beyond its target (120 %): the thematic is at 100 %.
    indicator("Places de crèche ouvertes", 12, holder=crèche)
    # Jeunesse: 3 % (late) and 30 %: 16.5 % on average, "17 %" (half up, not "16 %").
    indicator("Jeunes au conseil", 3, aim=100, holder=youth)
    indicator("Projets de jeunes", 3, holder=youth)
    # Parentalité: an objective's indicator at 20 % and a decrease, late (5 %).
    objective = ObjectiveFactory(convention=convention, thematic=parentalite, title="Soutenir")
    indicator("Familles venues aux cafés", 2, objective=objective, action_sheet=None)
    indicator("Familles en rupture", 49, start=50, aim=30, holder=cafés)
    # Logement: never measured.
    indicator("Jeunes relogés", None, holder=housing)

    for holder, funder, planned, spent in [
        (crèche, "Communauté de communes", 50000, 40000),
        (youth, "Communauté de communes", 31000, 9500),  # 49 500 € of 81 000 €: 61 %
        (crèche, "Caf", 20000, 5000),
        (housing, "Département", 10000, 12000),  # overspent: 120 %
        (cafés, "MSA", 4000, 0),
    ]:
        FundingLineFactory(sheet=holder, funder=funder, planned_amount=planned, spent_amount=spent)
    return world


def built_report(client, convention):
    """The progress report of the convention from its start to today, built: its page, the
    text of its PDF and its workbook."""
    report, _ = reporting.report_request(
        convention=convention,
        period_start=convention.start_date,
        period_end=timezone.localdate(),
    )
    report = reporting.report_build(report_id=report.pk)
    page = client.get(
        reverse("reports:report_detail", args=[convention.pk, report.pk])
    ).content.decode()
    with report.pdf.open("rb") as handle:
        report_pdf = pdf_text(handle.read())
    with report.xlsx.open("rb") as handle:
        report_xlsx = load_workbook(io.BytesIO(handle.read()))
    return page, report_pdf, report_xlsx


@pytest.fixture
def outputs(plan, login, settings, tmp_path, django_capture_on_commit_callbacks):
    """Every output of the convention, read once."""
    convention = plan.convention
    client = login(plan.caf_staff)
    synthese = client.get(reverse("portal:detail", args=[convention.pk])).content.decode()
    # The convention document is built by a task when the first download commits; the
    # page reloads and gets it.
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("portal:document", args=[convention.pk]))
    document = b"".join(
        client.get(reverse("portal:document", args=[convention.pk])).streaming_content
    )
    export = client.get(reverse("actions:export", args=[convention.pk])).content
    page, report_pdf, report_xlsx = built_report(client, convention)
    return {
        "synthese": synthese,
        "synthese_tables": Tables(synthese),
        "synthese_text": Text(synthese).text,
        "document": nows(pdf_text(document)),
        "report_page": page,
        "report_tables": Tables(page),
        "report_text": Text(page).text,
        "report_pdf": nows(report_pdf),
        "report_xlsx": report_xlsx,
        "plan_xlsx": load_workbook(io.BytesIO(export)),
    }


# --- progress per thematic -----------------------------------------------------------------


def synthese_thematics(outputs) -> dict[str, dict]:
    rows = outputs["synthese_tables"].find(
        ["Thématique", "Progression moyenne", "Attendu", "Indicateurs", "En retard"]
    )
    return {
        label: {"progress": progress, "expected": expected, "count": count, "late": late}
        for label, progress, expected, count, late in rows
    }


def test_the_synthese_caps_each_indicator_in_the_thematic_average(outputs):
    thematics = synthese_thematics(outputs)
    assert list(thematics) == ["Petite enfance", "Jeunesse", "Parentalité", "Logement"]
    assert thematics["Petite enfance"]["progress"] == "100 %"  # its indicator is at 120 %
    assert thematics["Jeunesse"]["progress"] == "17 %"  # (3 + 30) / 2 = 16.5, half up
    assert thematics["Parentalité"]["progress"] == "13 %"  # (20 + 5) / 2 = 12.5
    assert thematics["Logement"]["progress"] == "pas de mesure"


def test_every_output_gives_the_synthese_progress_per_thematic(outputs):
    thematics = synthese_thematics(outputs)
    page = outputs["report_tables"].find(
        ["Thématique", "Indicateurs", "Progression moyenne", "Attendu", "En retard"]
    )
    xlsx = sheet_rows(outputs["report_xlsx"]["Thématiques"])
    for label, t in thematics.items():
        row = [label, t["count"], t["progress"], t["expected"], t["late"]]
        assert row in page, f"report page, {label}"
        # The PDFs draw the same table, columns in the same order.
        assert nows("".join(row)) in outputs["report_pdf"], f"report PDF, {label}"
        # The convention document is a contract: it states no progress (issue #19).
        assert nows("".join(row)) not in outputs["document"], f"convention document, {label}"
        expected_xlsx = [label, t["count"], t["progress"], t["expected"], t["late"]]
        if t["progress"] == "pas de mesure":
            expected_xlsx[2] = formatting.DASH
        assert expected_xlsx in xlsx, f"report workbook, {label}"
    # The average of the convention, the same on each.
    average = re.search(r"Progression moyenne des indicateurs (\d+ %)", outputs["synthese_text"])
    assert average and average.group(1) == "32 %"  # (100 + 3 + 30 + 20 + 5) / 5
    assert f"Progression moyenne des indicateurs : {average.group(1)}" in outputs["report_text"]
    assert nows(f"Progressionmoyennedesindicateurs:{average.group(1)}") in outputs["report_pdf"]
    assert nows("Progressionmoyenne") not in outputs["document"]
    summary = {r[0]: r[1] for r in sheet_rows(outputs["report_xlsx"]["Synthèse"], min_row=1)}
    assert summary["Progression moyenne des indicateurs"] == average.group(1)
    # The report's chart is the Synthèse's: same bars, same words.
    title = "Progression moyenne des indicateurs par thématique"
    report_bars = texts(svgs(outputs["report_page"], title))
    synthese_bars = texts(svgs(outputs["synthese"], "Progression moyenne par thématique"))
    assert report_bars == synthese_bars


def test_an_indicator_beyond_its_target_shows_its_real_progress_everywhere(outputs):
    """120 % for the indicator, 100 % for its thematic: the same two figures everywhere."""
    page = outputs["report_tables"].find(
        [
            "Fiche",
            "Indicateur",
            "Référence",
            "Cible",
            "Dernière valeur",
            "Progression",
            "Statut",
        ]
    )
    # The name cell also says where the last value comes from (evaluation.sources).
    source = "Source de la dernière valeur : "
    names = [r[1].partition(source) for r in page]
    assert ("Places de crèche ouvertes (places)", source) in [(n, s) for n, s, _ in names]
    page = [[r[0], name, *r[2:]] for r, (name, _said, _source) in zip(page, names, strict=True)]
    assert [
        "FA-01",
        "Places de crèche ouvertes (places)",
        "0",
        "10",
        "12",
        "120 %",
        "En avance",
    ] in (page)
    pdf = outputs["report_pdf"]
    assert nows("FA-01Placesdecrècheouvertes(places)") in pdf
    assert nows("01012120%") in pdf
    xlsx = {row[1]: row for row in sheet_rows(outputs["report_xlsx"]["Indicateurs"])}
    assert xlsx["Places de crèche ouvertes"][7] == "120 %"


# --- late indicators -----------------------------------------------------------------------


def test_every_output_lists_the_same_late_indicators(outputs):
    rows = outputs["synthese_tables"].find(["Indicateur", "Progression", "Attendu"])
    late = [
        (next(n for n in ("Jeunes au conseil", "Familles en rupture") if r[0].startswith(n)),)
        + tuple(r[1:])
        for r in rows
    ]
    # The furthest behind first, on every output.
    assert [name for name, *_ in late] == ["Jeunes au conseil", "Familles en rupture"]
    fiches = {"Jeunes au conseil": "FA-02", "Familles en rupture": "FA-03"}
    assert "2 sur 6" in outputs["synthese_text"]  # the "Indicateurs en retard" tile

    page = outputs["report_tables"].find(
        ["Fiche", "Indicateur", "Progression", "Attendu", "Dernière mesure"]
    )
    assert [(r[1], r[2], r[3]) for r in page] == late
    assert "2 indicateurs en retard sur 6" in outputs["report_text"]
    for name, progress, expected in late:
        assert nows(fiches[name] + name + progress + expected) in outputs["report_pdf"]
        assert nows(name + fiches[name] + progress + expected) not in outputs["document"]
    assert nows("2indicateursenretardsur6") in outputs["report_pdf"]
    assert nows("enretard") not in outputs["document"]
    xlsx = [
        (r[1], r[7], r[8])
        for r in sheet_rows(outputs["report_xlsx"]["Indicateurs"])
        if r[9] == "En retard"
    ]
    assert sorted(xlsx) == sorted(late)


# --- funding -------------------------------------------------------------------------------


def synthese_funding(outputs) -> list[list[str]]:
    return outputs["synthese_tables"].find(
        ["Financeur", "Prévu", "Dépensé", "Taux de consommation", GAP_LABEL]
    )


def test_every_output_gives_the_same_funding_ratios(outputs):
    synthese = synthese_funding(outputs)
    assert synthese[0] == ["Communauté de communes", "81 000 €", "49 500 €", "61 %", "−31 500 €"]
    assert ["Département", "10 000 €", "12 000 €", "120 %", "2 000 €"] in synthese
    expected = {
        funder: (parse_amount(planned), parse_amount(spent), ratio)
        for funder, planned, spent, ratio, _gap in synthese
    }
    page = outputs["report_tables"].find(
        ["Financeur", "Prévu", "Dépensé", "Taux de consommation", GAP_LABEL], cls="funding"
    )
    assert {f: (parse_amount(p), parse_amount(s), r) for f, p, s, r, _ in page} == expected
    assert [row[0] for row in page] == list(expected)  # same order: largest planned first
    for funder, (planned, spent, ratio) in expected.items():
        line = funder + formatting.amount(planned) + formatting.amount(spent) + ratio
        assert nows(line) in outputs["report_pdf"], funder
        assert nows(line) not in outputs["document"], funder
    xlsx = sheet_rows(outputs["report_xlsx"]["Financements"])
    assert {f: (parse_amount(p), parse_amount(s), r) for f, p, s, r, _ in xlsx} == expected
    plan = outputs["plan_xlsx"]["Synthèse"]
    header = next(
        i for i, row in enumerate(plan.iter_rows(values_only=True), 1) if row[0] == "Financeur"
    )
    plan_rows = list(
        itertools.takewhile(lambda r: r[0] != formatting.DASH, sheet_rows(plan, min_row=header + 1))
    )  # the funders' table, up to the blank row before the years' table
    assert {f: (parse_amount(p), parse_amount(s), r) for f, p, s, r, _ in plan_rows} == expected


def bar_shares(root: ElementTree.Element) -> list[float]:
    """Per funding bar, the filled part of its track (each bar: a track, then its fill)."""
    rects = [r for r in root.iter(f"{SVG}rect")]
    pairs = zip(rects[0::2], rects[1::2], strict=True)
    return [round(float(fill.get("width")) / float(track.get("width")), 3) for track, fill in pairs]


def test_a_funding_bar_is_spent_on_planned_of_its_own_line_on_every_chart(outputs):
    """The report drew the Communauté de communes full (its scale stopped at the largest
    amount spent) where the Synthèse said 61 %."""
    synthese = svgs(outputs["synthese"], "Financements : dépensé sur prévu, par financeur")
    report = svgs(outputs["report_page"], "Financements : dépensé sur prévu, par financeur")
    expected = [0.611, 0.25, 1.0, 0.0]  # CC, Caf, Département (capped drawing), MSA
    assert bar_shares(synthese) == expected
    assert bar_shares(report) == expected
    words = texts(synthese)
    assert words == texts(report)
    assert "49 500 € / 81 000 € (61 %)" in words


# --- fiches per status ---------------------------------------------------------------------


def test_every_output_gives_the_same_status_counts(outputs):
    synthese = outputs["synthese_tables"].find(
        ["Catégorie", "Nombre"], caption="Fiches action par statut"
    )
    counts = {label: count for label, count in synthese if label != "Total"}
    assert counts == {label: "1" for _, label in Status.choices}
    assert "3 sur 7" in outputs["synthese_text"]  # validées, en cours ou réalisées

    page = outputs["report_tables"].find(["Statut", "Fiches"])
    assert dict(page) == counts
    assert nows("StatutFiches" + "".join(k + v for k, v in counts.items())) in outputs["report_pdf"]
    assert "3 fiches action validées ou engagées sur 7" in outputs["report_text"]
    assert nows("3fichesactionvalidéesouengagéessur7") in outputs["report_pdf"]
    assert nows("Fichesparstatut") not in outputs["document"]
    summary = {
        row[0]: row[1]
        for row in sheet_rows(outputs["report_xlsx"]["Synthèse"], min_row=1)
        if row[0].startswith("Fiches au statut")
    }
    assert summary == {f"Fiches au statut « {k} »": v for k, v in counts.items()}
    plan = sheet_rows(outputs["plan_xlsx"]["Synthèse"])
    assert {r[0]: r[1] for r in plan[: len(counts)]} == counts


def test_a_status_has_one_colour_on_every_output(outputs):
    """Soumise was yellow on the Synthèse, cyan on the plan, another colour in the PDF."""
    for html, title in [
        (outputs["synthese"], "Fiches action par statut"),
        (outputs["report_page"], "Fiches action par statut"),
    ]:
        fills = {
            rect.find(f"{SVG}title").text.split(" : ")[0]: rect.get("fill")
            for rect in svgs(html, title).iter(f"{SVG}rect")
            if rect.find(f"{SVG}title") is not None
        }
        assert fills == {label: palette.color(value) for value, label in Status.choices}
    assert palette.color(Status.SUBMITTED) == palette.TONES["info"].hex
    # The plan's status cells and the report's, filled with the same colours.
    plan = outputs["plan_xlsx"]["Fiches action"]
    for row in plan.iter_rows(min_row=2):
        value = next(v for v, label in Status.choices if label == row[2].value)
        assert row[2].fill.fgColor.rgb == palette.tone(value).argb
    fiches = outputs["report_xlsx"]["Fiches"]
    for row in fiches.iter_rows(min_row=2):
        value = next(v for v, label in Status.choices if label == row[3].value)
        assert row[3].fill.fgColor.rgb == palette.tone(value).argb
