"""``{% form_field bound_field %}``: a Bootstrap 5 field with crispy-forms' markup.

The fiche form renders some seventy fields in its funding and indicator rows;
through crispy's generic field template they were most of the page's time. For the
plain case this tag gives crispy's output (same wrapper, label, classes, error and
help blocks) from three small templates, ``ctg/forms/field.html`` (a label above
its input), ``ctg/forms/checkbox.html`` (a single checkbox before its label) and
``ctg/forms/feedback.html`` (errors, help text), loaded once per page through the
page's own engine (cached loader) and rendered within the page's render. The tag
only decides: which case, which classes on the widget. Widgets with several inputs
(radios, checkbox lists, files), fieldsets, form-level CSS classes, fields without
id, and FormHelper options that change the field's layout still go through crispy.
"""

from functools import lru_cache
from typing import NamedTuple

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
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
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

FIELD_TEMPLATE = "ctg/forms/field.html"
CHECKBOX_TEMPLATE = "ctg/forms/checkbox.html"

#: Widgets of several inputs, or a file input: crispy's own templates draw them.
_CRISPY_WIDGETS = (RadioSelect, CheckboxSelectMultiple, FileInput, MultiWidget)
#: Key of this library's cache in the render context: templates and forms, per page.
_CACHE = object()


class _FormLayout(NamedTuple):
    form: object  # kept alive while cached: its id stays its own
    crispy: bool  # its FormHelper asks for a layout only crispy draws
    error_tag: str  # "p", or "span" for inline errors
    css_classes: bool  # the form may give its fields CSS classes (required, error)


def _form_layout(form, page: dict) -> _FormLayout:
    """What the form and its FormHelper ask of every field (the attributes crispy
    reads), once per form and page."""
    helper = getattr(form, "helper", None)
    crispy, error_tag = False, "p"
    if helper is not None:
        crispy = bool(
            helper.field_template
            or "form-horizontal" in (helper.form_class or "")
            or helper.label_class
            or helper.field_class
            or helper.help_text_inline
            or not helper.form_show_labels
            or not helper.form_show_errors
        )
        if helper.error_text_inline:
            error_tag = "span"
    css_classes = bool(
        getattr(form, "error_css_class", None) or getattr(form, "required_css_class", None)
    )
    layout = page[id(form)] = _FormLayout(form, crispy, error_tag, css_classes)
    return layout


@lru_cache(maxsize=256)
def _widget_classes(widget_type: type, css: str, invalid: bool) -> str:
    """The input's classes, as crispy sets them: the widget's own classes, its type
    unless already named there, then Bootstrap's."""
    if issubclass(widget_type, CheckboxInput):
        bootstrap = "form-check-input"
    elif issubclass(widget_type, Select):
        bootstrap = "form-select"
    else:
        bootstrap = "form-control"
    kind = widget_type.__name__.lower()
    classes = [*css.split(), *([] if kind in css else [kind]), bootstrap]
    if invalid:
        classes.append("is-invalid")
    return " ".join(dict.fromkeys(classes))


@register.simple_tag(takes_context=True)
def form_field(context: Context, field: BoundField) -> SafeString:
    widget = field.field.widget
    if field.is_hidden:
        return mark_safe(str(field))  # noqa: S308 - rendered by Django, escaped
    # The render context's first dict lives for the whole page ({% include %} keeps
    # its templates there too).
    page = context.render_context.dicts[0].get(_CACHE)
    if page is None:
        page = context.render_context.dicts[0][_CACHE] = {}
    form = field.form
    layout = page.get(id(form)) or _form_layout(form, page)
    auto_id = field.auto_id
    # Only crispy's plain case is drawn by our templates; anything else goes through
    # crispy: several inputs (a fieldset), no ids, a FormHelper that changes the
    # field's layout, or CSS classes on the field's wrapper (BoundField.css_classes
    # only gives some when the form names them, unless a subclass overrides it).
    if (
        layout.crispy
        or isinstance(widget, _CRISPY_WIDGETS)
        or field.use_fieldset
        or not auto_id
        or (
            (layout.css_classes or type(field).css_classes is not BoundField.css_classes)
            and field.css_classes()
        )
    ):
        return as_crispy_field(field)
    errors = field.errors
    classes = _widget_classes(type(widget), widget.attrs.get("class", ""), bool(errors))
    name = CHECKBOX_TEMPLATE if isinstance(widget, CheckboxInput) else FIELD_TEMPLATE
    field_template = page.get(name)
    if field_template is None:
        field_template = page[name] = context.template.engine.get_template(name)
    # Values computed once here (several are properties doing work on each access);
    # the templates also get the bound field itself.
    with context.push(
        field=field,
        widget_html=field.as_widget(attrs={"class": classes}),
        auto_id=auto_id,
        id_for_label=field.id_for_label,
        label=field.label,
        required=field.field.required,
        errors=errors,
        error_tag=layout.error_tag,
        help_text=field.help_text,
    ):
        # Rendered within the page's render, as {% block %} renders its nodes:
        # Template.render() would also set up a render-context state of its own for
        # each field (a contextlib context manager, a fifth of this tag's cost on
        # the fiche form), which these templates do not use (no {% cycle %},
        # {% ifchanged %} or {% extends %} in them).
        return field_template.nodelist.render(context)
