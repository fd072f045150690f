"""``{% form_field %}`` renders exactly what crispy-forms renders (it replaces it on the
fiche form for speed), with and without errors, for every field of the fiche form and
of its funding and indicator rows; its markup comes from the templates ctg/forms/*.html."""

import re

import pytest
from django.conf import settings
from django.template import Context, Template, engines
from django.test import override_settings
from django.urls import reverse

from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.forms import ActionSheetForm, FundingFormSet, IndicatorFormSet
from evaluation.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

CRISPY = Template("{% load crispy_forms_tags %}{{ f|as_crispy_field }}")
TAG = Template("{% load ctg_fields %}{% form_field f %}")


def _normalised(html: str) -> str:
    html = re.sub(r">\s+", ">", html)
    html = re.sub(r"\s+<", "<", html)
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r'"class=', '" class=', html)  # crispy's template misses a space there

    # The order of the classes is not significant.
    def sort_classes(match) -> str:
        return 'class="{}"'.format(" ".join(sorted(match.group(1).split())))

    return re.sub(r'class="([^"]*)"', sort_classes, html).strip()


def _assert_same(form) -> int:
    compared = 0
    for name in form.fields:
        ours = TAG.render(Context({"f": form[name]}))  # first: crispy mutates widget classes
        theirs = CRISPY.render(Context({"f": form[name]}))
        assert _normalised(ours) == _normalised(theirs), name
        compared += 1
    return compared


@pytest.fixture
def sheet(world):
    sheet = ActionSheetFactory(convention=world.convention)
    FundingLineFactory(sheet=sheet, funder="Caf <b>bonus</b>", year=2025)
    IndicatorFactory(action_sheet=sheet, name='Taux & "part"')
    return sheet


def test_the_fiche_form_renders_as_crispy_renders_it(world, sheet):
    assert _assert_same(ActionSheetForm(instance=sheet, convention=world.convention)) >= 15
    bound = ActionSheetForm(
        {"title": "", "start_date": "pas une date", "end_date": "2020-01-01"},
        instance=sheet,
        convention=world.convention,
    )
    assert not bound.is_valid()
    assert {"title", "start_date"} <= set(bound.errors)
    _assert_same(bound)


@pytest.mark.parametrize("formset_class", [FundingFormSet, IndicatorFormSet])
def test_the_funding_and_indicator_rows_render_as_crispy_renders_them(sheet, formset_class):
    for form in formset_class(instance=sheet, prefix="p").forms:
        _assert_same(form)
    bound = formset_class(
        {
            "p-TOTAL_FORMS": "2",
            "p-INITIAL_FORMS": "0",
            "p-0-year": "deux mille",
            "p-0-name": "",
            "p-1-funder": "<script>x</script>",
            "p-1-name": "<script>x</script>",
        },
        instance=sheet,
        prefix="p",
    )
    assert not bound.is_valid()
    for form in bound.forms:
        _assert_same(form)
    assert any(form.errors for form in bound.forms)


def test_it_escapes_values_and_errors(world, sheet):
    bound = FundingFormSet(
        {"p-TOTAL_FORMS": "1", "p-INITIAL_FORMS": "0", "p-0-funder": '"><script>x</script>'},
        instance=sheet,
        prefix="p",
    )
    bound.is_valid()
    html = TAG.render(Context({"f": bound.forms[0]["funder"]}))
    assert "<script>" not in html and "&lt;script&gt;" in html


def _rendered_names(response) -> set[str]:
    return set(re.findall(r'name="([^"]+)"', response.content.decode()))


def test_the_pages_laid_out_field_by_field_render_every_field_of_their_form(world, sheet, login):
    # These templates name each field (no {{ form|crispy }}): a field added to the form
    # must be added to the page too.
    from conventions.forms import ConventionForm
    from diagnostics.forms import DiagnosticForm

    client = login(world.caf_staff)
    page = client.get(reverse("conventions:create"))
    assert set(ConventionForm.base_fields) - {"caf"} <= _rendered_names(page)  # their Caf
    page = login(world.superuser).get(reverse("conventions:edit", args=[world.convention.pk]))
    assert set(ConventionForm.base_fields) <= _rendered_names(page)

    client = login(world.caf_staff)
    page = client.get(reverse("diagnostics:edit", args=[world.convention.pk]))
    assert page.status_code == 200
    assert set(DiagnosticForm.base_fields) <= _rendered_names(page)

    page = client.get(reverse("actions:sheet_update", args=[world.convention.pk, sheet.pk]))
    assert page.status_code == 200
    names = _rendered_names(page)
    assert set(ActionSheetForm.base_fields) - {"change_reason"} <= names  # a draft: no reason
    for prefix, formset in (("financement", FundingFormSet), ("indicateurs", IndicatorFormSet)):
        expected = {f"{prefix}-0-{name}" for name in formset.form.base_fields}
        assert expected <= names, expected - names


def test_the_convention_and_diagnostic_forms_render_as_crispy_renders_them(world):
    from conventions.forms import ConventionForm
    from diagnostics.forms import DiagnosticForm

    for user in (world.caf_staff, world.superuser):
        _assert_same(ConventionForm(instance=world.convention, user=user))
        bound = ConventionForm(
            {"name": "", "start_date": "2026-13-01", "territories": ["x"], "version": "1"},
            instance=world.convention,
            user=user,
        )
        assert not bound.is_valid()
        _assert_same(bound)
    bound = DiagnosticForm({"participants_count": "-3", "start_date": "nope", "version": "0"})
    assert not bound.is_valid()
    _assert_same(bound)
    _assert_same(DiagnosticForm())


def test_what_it_does_not_reproduce_goes_through_crispy():
    from django import forms

    class Odd(forms.Form):
        required_css_class = "obligatoire"
        when = forms.SplitDateTimeField(label="Quand")
        name = forms.CharField(label="Nom")

    form = Odd()
    _assert_same(form)  # a fieldset for the two inputs; the form's required class
    assert "obligatoire" in TAG.render(Context({"f": form["name"]}))
    assert "<legend" in TAG.render(Context({"f": form["when"]}))


def test_the_markup_comes_from_the_field_templates(sheet):
    library = engines["django"].engine.template_libraries["ctg_fields"]
    assert library.tags["form_field"].__module__ == "ctg.templatetags.ctg_fields"
    for name in ("field", "checkbox", "feedback"):
        origin = engines["django"].engine.get_template(f"ctg/forms/{name}.html").origin.name
        assert origin.endswith(f"templates/ctg/forms/{name}.html")

    # Other field templates in front of the project's: the tag's output follows them.
    overrides = {
        "ctg/forms/field.html": (
            '<p data-champ="{{ field.name }}">{{ label }}{% if required %}!{% endif %}'
            "{{ widget_html }}{% include 'ctg/forms/feedback.html' %}</p>"
        ),
        "ctg/forms/checkbox.html": '<p data-case="{{ auto_id }}">{{ widget_html }}</p>',
        "ctg/forms/feedback.html": "{% for error in errors %}<i>{{ error }}</i>{% endfor %}",
    }
    base = settings.TEMPLATES[0]
    loaders = [
        ("django.template.loaders.locmem.Loader", overrides),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    with override_settings(
        TEMPLATES=[{**base, "APP_DIRS": False, "OPTIONS": {**base["OPTIONS"], "loaders": loaders}}]
    ):
        tag = Template("{% load ctg_fields %}{% form_field f %}")  # on the overriding engine
        form = FundingFormSet(instance=sheet, prefix="p").forms[0]
        html = tag.render(Context({"f": form["funder"]}))
        assert html.startswith('<p data-champ="funder">Financeur!<input ')
        assert 'class="textinput form-control"' in html and html.endswith("</p>")
        html = tag.render(Context({"f": form["DELETE"]}))
        assert html.startswith('<p data-case="id_p-0-DELETE"><input type="checkbox"')
        bound = FundingFormSet(
            {"p-TOTAL_FORMS": "1", "p-INITIAL_FORMS": "0", "p-0-year": "<b>x</b>"},
            instance=sheet,
            prefix="p",
        )
        assert not bound.is_valid()
        html = tag.render(Context({"f": bound.forms[0]["year"]}))
        assert "<i>" in html and "is-invalid" in html and "<b>x" not in html
        assert "div_id_p-0-year" not in html
