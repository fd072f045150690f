"""The one palette: which colour says which status, on screen, in charts, PDFs and XLSX.

A status value (a fiche's, an indicator's progress, a convention's phase) maps to a
*tone*; a tone gives the fill drawn in charts, PDFs and spreadsheets, the text
colour readable on that fill, and the Bootstrap badge classes of the web pages
(whose background is the same colour). The tones are Bootstrap 5.3's theme
colours, so that a badge on a page and a bar in a chart or a PDF look alike.

The keys are the status *values* stored in the database (``"soumise"``,
``"en_retard"``…): ctg sits below the apps that define them, and a test checks
that every value of ``ActionSheet.Status`` and of the progress rule has a tone.

Use: ``color(status)`` / ``text_color(status)`` for charts, PDFs and XLSX fills;
``badge_class(status)`` (or ``{{ status|badge_class }}`` after
``{% load ctg_palette %}``) for the pages; ``css_rules()`` writes the
``.status-<value>`` rules of a PDF's stylesheet.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tone:
    name: str
    hex: str  # the fill: chart segments, PDF badges, XLSX cells
    text: str  # text drawn on that fill
    badge: str  # Bootstrap classes of a badge of this tone

    @property
    def argb(self) -> str:
        """The fill as openpyxl wants it (``"FF198754"``)."""
        return "FF" + self.hex.lstrip("#").upper()

    @property
    def text_argb(self) -> str:
        return "FF" + self.text.lstrip("#").upper()


WHITE, BLACK = "#ffffff", "#000000"

TONES: dict[str, Tone] = {
    tone.name: tone
    for tone in (
        Tone("secondary", "#6c757d", WHITE, "text-bg-secondary"),
        Tone("info", "#0dcaf0", BLACK, "text-bg-info"),
        Tone("success", "#198754", WHITE, "text-bg-success"),
        Tone("warning", "#ffc107", BLACK, "text-bg-warning"),
        Tone("primary", "#0d6efd", WHITE, "text-bg-primary"),
        Tone("dark", "#212529", WHITE, "text-bg-dark"),
        Tone("danger", "#dc3545", WHITE, "text-bg-danger"),
        # Bootstrap's "light" badge is near white: a chart needs a visible grey.
        Tone("light", "#ced4da", BLACK, "text-bg-light border"),
        # Beyond Bootstrap's theme colours (classes defined in static/css/ctg.css).
        Tone("purple", "#6f42c1", WHITE, "text-bg-purple"),
        Tone("orange", "#fd7e14", BLACK, "text-bg-orange"),
    )
}

# Fiche action statuses (actions.models.ActionSheet.Status values).
SHEET_STATUS_TONES = {
    "brouillon": "secondary",
    "soumise": "info",  # waiting for the committee's opinion
    "validee": "success",
    "a_revoir": "warning",
    "en_cours": "primary",
    "realisee": "dark",
    "abandonnee": "danger",
}

# Progress statuses of an indicator (evaluation.progress: AHEAD, ON_TRACK…).
INDICATOR_STATUS_TONES = {
    "en_avance": "success",
    "dans_les_temps": "primary",
    "en_retard": "danger",
    "pas_de_mesure": "secondary",
    "non_defini": "light",
    "non_commencee": "light",
}

# Convention phases (conventions.models.Convention.Phase values).
PHASE_TONES = {
    "preparation": "light",
    "diagnostic": "purple",
    "action_plan": "warning",
    "signature": "orange",
    "implementation": "primary",
    "evaluation": "success",
    "closed": "secondary",
    "renewed": "info",
}

# Validation of a measurement (evaluation.models.Measurement.State values).
MEASUREMENT_STATE_TONES = {
    "a_valider": "warning",
    "validee": "success",  # the same tone as a validated fiche
    "renvoyee": "danger",
}

STATUS_TONES = {**SHEET_STATUS_TONES, **INDICATOR_STATUS_TONES, **MEASUREMENT_STATE_TONES}
FALLBACK = TONES["light"]

BRAND = "#00509e"  # the Caf blue: titles of documents, single-series bars
# Series of a chart that compares things of equal standing (collectivities…).
SERIES = ["#00509e", "#e07a10", "#198754", "#6f42c1", "#d63384", "#0dcaf0", "#795548"]
FUNDING_PLANNED = "#fde2c4"  # the track of a funding bar: what was planned
FUNDING_SPENT = "#e07a10"  # its fill: what was spent
FUNDING_OVERSPENT = "#b02a37"  # spent beyond the planned amount


def tone(status: str) -> Tone:
    """The tone of a fiche or indicator status (a light grey for an unknown value)."""
    name = STATUS_TONES.get(str(status))
    return TONES[name] if name else FALLBACK


def phase_tone(phase: str) -> Tone:
    name = PHASE_TONES.get(str(phase))
    return TONES[name] if name else FALLBACK


def phase_badge_class(phase: str) -> str:
    return phase_tone(phase).badge


def color(status: str) -> str:
    return tone(status).hex


def text_color(status: str) -> str:
    return tone(status).text


def badge_class(status: str) -> str:
    return tone(status).badge


def css_rules(prefix: str = "status-") -> str:
    """``.status-validee { background: #198754; color: #ffffff; }`` for every status:
    the badges of a PDF (WeasyPrint reads the document's own stylesheet)."""
    return "\n".join(
        f".{prefix}{value} {{ background: {tone(value).hex}; color: {tone(value).text}; }}"
        for value in STATUS_TONES
    )
