"""Read the forms a page rendered and turn them back into POST data (as a browser would)."""

from __future__ import annotations

from django import forms
from django.forms.formsets import BaseFormSet


def forms_in(response) -> tuple[list[forms.BaseForm], list[BaseFormSet]]:
    """The distinct forms and formsets of a rendered response's context."""
    found_forms, found_sets, seen = [], [], set()
    for context in response.context or []:
        for value in context.flatten().values():
            if id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, BaseFormSet):
                found_sets.append(value)
            elif isinstance(value, forms.BaseForm):
                found_forms.append(value)
    return found_forms, found_sets


def _initial(form: forms.BaseForm) -> dict:
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = field.prepare_value(bound.value())
        key = form.add_prefix(name)
        if isinstance(field, forms.BooleanField):
            if value:
                data[key] = "on"
        elif isinstance(field, forms.FileField):
            continue
        elif isinstance(value, list | tuple):
            data[key] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[key] = "" if value is None else str(value)
    return data


def initial_data(response) -> dict:
    """What submitting the page unchanged would post: every field, management forms too."""
    found_forms, found_sets = forms_in(response)
    data = {}
    for form in found_forms:
        data.update(_initial(form))
    for formset in found_sets:
        data.update(_initial(formset.management_form))
        for form in formset.forms:
            data.update(_initial(form))
    return data
