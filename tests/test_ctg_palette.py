"""The one palette (ctg.palette): every status has one tone, on pages, charts, PDFs, XLSX."""

from django.template import Context, Template
from django.urls import reverse

from actions.models import ActionSheet
from conventions.models import Convention
from ctg import palette
from evaluation import progress


def test_every_fiche_indicator_and_phase_status_has_a_tone():
    assert set(palette.SHEET_STATUS_TONES) == set(ActionSheet.Status.values)
    assert set(palette.INDICATOR_STATUS_TONES) == set(progress.STATUS_LABELS)
    assert set(palette.PHASE_TONES) == set(Convention.Phase.values)
    for name in [*palette.STATUS_TONES.values(), *palette.PHASE_TONES.values()]:
        assert name in palette.TONES


def test_a_tone_gives_the_chart_colour_the_text_colour_and_the_badge():
    submitted = palette.tone(ActionSheet.Status.SUBMITTED)
    assert submitted.hex == "#0dcaf0" and submitted.badge == "text-bg-info"
    assert submitted.argb == "FF0DCAF0"
    assert palette.color("en_retard") == palette.TONES["danger"].hex
    assert palette.badge_class("inconnu") == palette.FALLBACK.badge


def test_the_pdf_rules_and_the_badge_filter_come_from_the_palette():
    rules = palette.css_rules()
    assert ".status-soumise { background: #0dcaf0; color: #000000; }" in rules
    html = Template(
        '{% load ctg_palette %}<span class="badge {{ s|badge_class }}"></span>{% status_css %}'
    ).render(Context({"s": "validee"}))
    assert 'class="badge text-bg-success"' in html and ".status-validee" in html


def test_a_conventions_phase_badge_has_the_tone_of_its_phase_on_every_page(world, login):
    """The header, the list and the portfolio colour a phase as the portfolio's chart does."""
    Convention.objects.filter(pk=world.convention.pk).update(phase=Convention.Phase.DIAGNOSTIC)
    expected = f'<span class="badge {palette.phase_tone("diagnostic").badge}">Diagnostic partagé'
    client = login(world.caf_staff)
    for url in (
        reverse("portal:detail", args=[world.convention.pk]),
        reverse("conventions:list"),
        reverse("evaluation:portfolio"),
    ):
        assert expected in client.get(url).content.decode(), url
