"""Server-side SVG charts: images with an accessible name and a table of their numbers."""

import datetime
import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from evaluation import charts

SVG_NS = "{http://www.w3.org/2000/svg}"


def svg_of(figure) -> ElementTree.Element:
    markup = re.search(r"<svg .*?</svg>", str(figure), re.S).group(0)
    return ElementTree.fromstring(markup)  # well-formed XML, as WeasyPrint needs


def assert_accessible(figure, title):
    root = svg_of(figure)
    assert root.get("role") == "img"
    assert root.get("aria-label") == title
    assert root.find(f"{SVG_NS}title").text == title
    assert root.find(f"{SVG_NS}desc").text


def test_charts_write_figures_with_the_one_formatter():
    figure = charts.hbar_chart(
        [charts.Bar("Places", 1234.5), charts.Bar("Taux", 2.45, display="")],
        title="Valeurs",
    )
    rows = {row[0]: row[1] for row in figure.rows}
    assert rows == {"Places": "1\u202f234,5", "Taux": "2,5"}


def test_a_horizontal_bar_chart_caps_bars_and_keeps_its_table():
    figure = charts.hbar_chart(
        [
            charts.Bar("Petite enfance", 150.0, marker=50),
            charts.Bar("Jeunesse", None, display="pas de mesure"),
        ],
        title="Progression par thématique",
        max_value=100,
        unit=" %",
    )
    assert_accessible(figure, "Progression par thématique")
    widths = [float(r.get("width")) for r in svg_of(figure).iter(f"{SVG_NS}rect")]
    assert max(widths) <= 640
    html = str(figure)
    assert "<details" in html and "<table" in html
    assert "Petite enfance" in html and "150 %" in html and "pas de mesure" in html


def test_a_stacked_bar_shows_each_category_and_the_total():
    figure = charts.stacked_bar(
        [charts.Segment("Validée", 3, "#198754"), charts.Segment("Brouillon", 1, "#adb5bd")],
        title="Fiches par statut",
    )
    assert_accessible(figure, "Fiches par statut")
    assert "Validée : 3 ; Brouillon : 1 ; total : 4" in str(figure)
    assert '<td class="text-end">4</td>' in figure.table_html()


def test_an_empty_stacked_bar_says_so():
    figure = charts.stacked_bar([charts.Segment("Validée", 0, "#198754")], title="Vide")
    assert "Aucun élément" in str(figure)


def test_a_line_chart_draws_the_series_and_the_reference_lines():
    figure = charts.line_chart(
        [
            charts.Series(
                "Places",
                [(datetime.date(2022, 12, 31), 12.0), (datetime.date(2023, 12, 31), 15.5)],
            )
        ],
        title="Places en crèche",
        ref_lines=[charts.RefLine("Référence", 10), charts.RefLine("Cible", 20)],
        x_range=(datetime.date(2022, 1, 1), datetime.date(2025, 12, 31)),
    )
    assert_accessible(figure, "Places en crèche")
    root = svg_of(figure)
    assert len(list(root.iter(f"{SVG_NS}polyline"))) == 1
    assert len(list(root.iter(f"{SVG_NS}circle"))) == 2
    html = str(figure)
    assert "Cible : 20" in html and "Référence : 10" in html
    assert "31 décembre 2023" in html and "15,5" in html


def test_a_line_chart_without_points_says_so():
    figure = charts.line_chart([charts.Series("Places", [])], title="Vide")
    assert "Aucune mesure pour l'instant" in str(figure)


def test_a_budget_chart_compares_spent_with_planned():
    figure = charts.budget_chart(
        [charts.Budget("Caf", Decimal(20000), Decimal(5000))], title="Financements"
    )
    assert_accessible(figure, "Financements")
    assert "25\xa0%" in str(figure) and "20\u202f000\xa0€" in str(figure)


def test_labels_are_escaped():
    figure = charts.hbar_chart([charts.Bar("<script>", 1.0)], title="A & B")
    assert "<script>" not in figure.svg
    assert svg_of(figure).get("aria-label") == "A & B"


@pytest.mark.parametrize("value", [None, -20, 0, 45, 100, 180])
def test_a_progress_bar_is_always_within_its_track(value):
    figure = charts.progress_bar(value, title="Progression", expected=50, width=200)
    widths = [float(r.get("width")) for r in svg_of(figure).iter(f"{SVG_NS}rect")]
    assert all(0 <= w <= 200 for w in widths)


def phone_figures():
    return [
        charts.hbar_chart(
            [
                charts.Bar("Animation de la vie sociale et des centres sociaux", 45.0, marker=60),
                charts.Bar("Logement", None, display="pas de mesure"),
            ],
            title="Progression",
            max_value=100,
            unit=" %",
            marker_label="Progression attendue à la date de la dernière mesure",
        ),
        charts.stacked_bar(
            [
                charts.Segment("Dans les temps", 12, "#0d6efd"),
                charts.Segment("En retard", 3, "#dc3545"),
            ],
            title="Indicateurs",
            width=440,
        ),
        charts.budget_chart(
            [charts.Budget("Caf — prestation de service jeunes", Decimal(30000), Decimal(22200))],
            title="Financements",
        ),
        charts.line_chart(
            [
                charts.Series("Laguépie", [(datetime.date(2020, 1, 1), 12.0)]),
                charts.Series("CC des Deux Rives", [(datetime.date(2024, 1, 1), 1234.5)]),
            ],
            title="Évolution",
            year_axis=True,
        ),
    ]


@pytest.mark.parametrize("figure", phone_figures(), ids=["hbar", "stacked", "budget", "line"])
def test_every_chart_is_also_drawn_for_a_phone_in_type_that_stays_large(figure):
    """A phone shows the chart about 300 to 340 px wide: drawn PHONE_WIDTH units wide, every
    text at PHONE_FONT units or more is at least 12 px high on screen (a 640-unit drawing
    shrunk to that width wrote its labels 6 px high)."""
    html = str(figure)
    assert html.count("<svg ") == 2
    assert 'class="ctg-chart-wide"' in html and 'class="ctg-chart-phone"' in html
    root = ElementTree.fromstring(figure.phone_svg)
    assert root.get("viewBox").split()[2] == str(charts.PHONE_WIDTH)
    assert root.find(f"{SVG_NS}title").text == figure.title  # the same accessible name
    default = float(root.get("font-size"))
    texts = list(root.iter(f"{SVG_NS}text"))
    assert texts
    for text in texts:
        assert float(text.get("font-size", default)) >= charts.PHONE_FONT, text.text
        # Nothing is written past the drawing's right edge (labels are cut to fit).
        assert float(text.get("x")) <= charts.PHONE_WIDTH


def test_a_phone_label_too_long_for_its_line_is_cut_and_kept_whole_in_its_tooltip():
    figure = phone_figures()[0]
    root = ElementTree.fromstring(figure.phone_svg)
    label = next(t for t in root.iter(f"{SVG_NS}text") if t.find(f"{SVG_NS}title") is not None)
    assert label.find(f"{SVG_NS}title").text.startswith("Animation de la vie sociale et des")
    assert "".join(label.itertext()).endswith("…")
