"""``{% form_field bound_field %}``: a Bootstrap 5 field with crispy-forms' markup,
built in Python.

The fiche form renders some seventy fields in its funding and indicator rows;
through crispy's generic field template they were most of the page's time. Same
wrapper, label, classes, error and help blocks; widgets with several inputs
(radios, checkbox lists, files) still go through crispy.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from crispy_forms.utils import TEMPLATE_PACK
from django import template
from django.forms import (
    CheckboxInput,
    CheckboxSelectMultiple,
    FileInput,
    MultiWidget,
    RadioSelect,
    Select,
)
from django.forms.boundfield import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def form_field(field: BoundField) -> SafeString:
    widget = field.field.widget
    if field.is_hidden:
        return mark_safe(str(field))  # noqa: S308 - rendered by Django, escaped
    # Only crispy's plain case is reproduced here; anything else goes through crispy:
    # several inputs (a fieldset), form-level CSS classes, no ids, or a FormHelper
    # that changes the field template.
    if (
        isinstance(widget, RadioSelect | CheckboxSelectMultiple | FileInput | MultiWidget)
        or field.use_fieldset
        or field.css_classes()
        or not field.auto_id
    ):
        return as_crispy_field(field)
    error_tag = "p"
    helper = getattr(field.form, "helper", None)
    if helper is not None:
        options = helper.get_attributes(TEMPLATE_PACK)
        if (
            helper.field_template
            or "form-horizontal" in (options.get("form_class") or "")
            or options.get("label_class")
            or options.get("field_class")
            or options.get("help_text_inline")
            or not options.get("form_show_labels", True)
            or not options.get("form_show_errors", True)
        ):
            return as_crispy_field(field)
        if options.get("error_text_inline"):
            error_tag = "span"
    checkbox = isinstance(widget, CheckboxInput)
    if checkbox:
        bootstrap = "form-check-input"
    elif isinstance(widget, Select):
        bootstrap = "form-select"
    else:
        bootstrap = "form-control"
    # As crispy: the widget's own classes, its type unless already named there, then
    # Bootstrap's classes.
    css = widget.attrs.get("class", "")
    kind = type(widget).__name__.lower()
    classes = [*css.split(), *([] if kind in css else [kind]), bootstrap]
    if field.errors:
        classes.append("is-invalid")
    control = field.as_widget(attrs={"class": " ".join(dict.fromkeys(classes))})
    auto_id, required = field.auto_id, field.field.required
    star = mark_safe('<span class="asteriskField">*</span>') if required else ""
    feedback = mark_safe("")
    if field.errors:
        feedback = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            auto_id,
            format_html_join(
                "",
                '<{} id="error_{}_{}"><strong>{}</strong></{}>',
                (
                    (error_tag, n, auto_id, error, error_tag)
                    for n, error in enumerate(field.errors, start=1)
                ),
            ),
        )
    if field.help_text:
        feedback += format_html(
            '<div id="{}_helptext" class="form-text">{}</div>',
            auto_id,
            mark_safe(field.help_text),  # noqa: S308 - written in the code, as crispy does
        )
    required_class = " requiredField" if required else ""
    if checkbox:
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check">{}'
            '<label for="{}" class="form-check-label{}">{}{}</label>{}</div></div>',
            auto_id,
            control,
            field.id_for_label,
            required_class,
            field.label,
            star,
            feedback,
        )
    label = ""
    if field.label:
        label = format_html(
            '<label for="{}" class="form-label{}">{}{}</label>',
            field.id_for_label,
            required_class,
            field.label,
            star,
        )
    return format_html(
        '<div id="div_{}" class="mb-3">{}{}{}</div>', auto_id, label, control, feedback
    )
