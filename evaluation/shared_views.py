"""Pages of the shared indicators of a Caf (:mod:`evaluation.shared`): the Caf's list,
create, edit and delete them; link one to a fiche, « retirer » it; the cross-convention
view of the portfolio and its XLSX export.

The Caf pages are for Caf staff (others: 403); a shared indicator of another Caf is a 404.
The convention pages resolve the convention with ``get_convention_or_404`` (out of scope:
404) and check ``access.can_edit_actions`` (in scope, not allowed: 403).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from actions import workflow
from actions.models import ActionSheet
from actions.services import WorkflowError
from conventions.permissions import get_convention_or_404, is_caf_staff
from ctg.forms import add_service_errors, parse_id

from . import shared, shared_portfolio
from .models import Indicator, SharedIndicator
from .shared_forms import SharedIndicatorForm, SharedLinkForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_caf_staff(user) -> None:
    if not is_caf_staff(user):
        raise PermissionDenied("Les indicateurs partagés sont réservés aux agents de la Caf.")


def _shared_or_404(user, pk: int) -> SharedIndicator:
    _require_caf_staff(user)
    found = shared_portfolio.shared_scope(user=user).select_related("caf").filter(pk=pk).first()
    if found is None:
        raise Http404("Indicateur partagé introuvable.")
    return found


# ------------------------------------------------------------------- the Caf's set


@login_required
def shared_list(request):
    _require_caf_staff(request.user)
    return render(
        request,
        "evaluation/shared_list.html",
        {"shared_indicators": list(shared_portfolio.shared_list(user=request.user))},
    )


def _form_page(request, form, *, instance=None):
    return render(
        request,
        "evaluation/shared_form.html",
        {"form": form, "shared": instance},
    )


@login_required
def shared_create(request):
    _require_caf_staff(request.user)
    choose_caf = request.user.caf_id is None
    form = SharedIndicatorForm(request.POST or None, choose_caf=choose_caf)
    if request.method == "POST" and form.is_valid():
        caf = form.cleaned_data["caf"] if choose_caf else request.user.caf
        try:
            created = shared.shared_indicator_create(
                caf=caf, by=request.user, data=form.service_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"L'indicateur partagé « {created.name} » est créé.")
            return redirect("evaluation:shared_list")
    return _form_page(request, form)


@login_required
def shared_edit(request, shared_pk: int):
    instance = _shared_or_404(request.user, shared_pk)
    form = SharedIndicatorForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            saved = shared.shared_indicator_update(
                shared=instance, by=request.user, data=form.service_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"L'indicateur partagé « {saved.name} » est enregistré, ainsi que sa définition "
                "dans chaque convention qui le suit.",
            )
            return redirect("evaluation:shared_list")
    linked = shared_portfolio.shared_list(user=request.user).get(pk=instance.pk)
    return _form_page(request, form, instance=linked)


@login_required
def shared_delete(request, shared_pk: int):
    instance = _shared_or_404(request.user, shared_pk)
    refusal = ""
    if request.method == "POST":
        try:
            shared.shared_indicator_delete(shared=instance, by=request.user)
        except ValidationError as exc:
            refusal = " ".join(exc.messages)
            messages.error(request, refusal)
        else:
            messages.success(request, f"L'indicateur partagé « {instance.name} » est supprimé.")
            return redirect("evaluation:shared_list")
    blocks = shared_portfolio.cross_convention(user=request.user, shared_id=instance.pk)
    return render(
        request,
        "evaluation/shared_delete.html",
        {"shared": instance, "rows": blocks[0].rows if blocks else [], "refusal": refusal},
    )


# ------------------------------------------------------------ the convention side


def _sheet_or_404(convention, sheet_id: int) -> ActionSheet:
    sheet = ActionSheet.objects.filter(convention=convention, pk=sheet_id).first()
    if sheet is None:
        raise Http404("Fiche introuvable.")
    sheet.convention = convention
    return sheet


@login_required
def shared_link(request, pk: int, sheet_id: int):
    convention, access = get_convention_or_404(request.user, pk)
    sheet = _sheet_or_404(convention, sheet_id)
    access.require(access.can_edit_actions)
    refused = workflow.edit_refusal(sheet)
    if refused:
        messages.error(request, refused)
        return redirect("actions:sheet", pk=convention.pk, sheet_id=sheet.pk)
    offered = (
        SharedIndicator.objects.filter(caf_id=convention.caf_id)
        .exclude(indicators__action_sheet=sheet)
        .order_by("code")
    )
    form = SharedLinkForm(
        request.POST or None, offered=offered, versioned=workflow.is_versioned(sheet)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            indicator = shared.shared_indicator_link(
                sheet=sheet,
                by=request.user,
                shared=data.pop("shared"),
                change_reason=data.pop("change_reason", ""),
                **data,
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"L'indicateur partagé « {indicator.name} » est suivi par la fiche "
                f"{sheet.number} ({indicator.code}).",
            )
            return redirect("actions:sheet", pk=convention.pk, sheet_id=sheet.pk)
    return render(
        request,
        "evaluation/shared_link.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "plan",
            "crumb": f"Fiche {sheet.number}",
            "sheet": sheet,
            "form": form,
            "has_offer": offered.exists(),
        },
    )


@login_required
@require_POST
def shared_unlink(request, pk: int, indicator_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    indicator = (
        Indicator.objects.filter(pk=indicator_pk)
        .filter(Q(action_sheet__convention=convention) | Q(objective__convention=convention))
        .select_related("action_sheet", "objective", "shared")
        .first()
    )
    if indicator is None:
        raise Http404("Indicateur introuvable.")
    access.require(access.can_edit_actions)
    name = indicator.shared.name if indicator.shared_id else indicator.name
    try:
        shared.shared_indicator_unlink(indicator=indicator, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"L'indicateur « {name} » est retiré du cadre partagé : il reste sur la fiche avec "
            "ses mesures, et sa définition devient modifiable.",
        )
    if indicator.action_sheet_id:
        return redirect("actions:sheet", pk=convention.pk, sheet_id=indicator.action_sheet_id)
    return redirect("evaluation:indicator", pk=convention.pk, indicator_pk=indicator.pk)


# ------------------------------------------------------- the cross-convention view


def _cross_convention(request):
    _require_caf_staff(request.user)
    sort = shared_portfolio.valid_sort(request.GET.get("tri"))
    shared_id = parse_id(request.GET.get("indicateur"))
    blocks = shared_portfolio.cross_convention(
        user=request.user, sort=sort, shared_id=shared_id, today=timezone.localdate()
    )
    return blocks, sort, shared_id


def _sort_headers(sort: str, shared_id: int | None) -> dict[str, dict]:
    """Per sortable column: its label, the query that sorts by it (the other way when it
    is the current sort) and its ``aria-sort``."""
    extra = {"indicateur": shared_id} if shared_id else {}
    headers = {}
    for key, (_, label) in shared_portfolio.SORTS.items():
        current = sort.lstrip("-") == key
        descending = current and sort.startswith("-")
        headers[key] = {
            "label": label,
            "query": urlencode({"tri": key if descending or not current else f"-{key}", **extra}),
            "state": ("descending" if descending else "ascending") if current else "",
        }
    return headers


@login_required
def shared_portfolio_view(request):
    blocks, sort, shared_id = _cross_convention(request)
    return render(
        request,
        "evaluation/shared_portfolio.html",
        {
            "blocks": blocks,
            "sort": sort,
            "shared_id": shared_id,
            "headers": _sort_headers(sort, shared_id),
            "export_query": urlencode(
                {"tri": sort, **({"indicateur": shared_id} if shared_id else {})}
            ),
        },
    )


@login_required
def shared_portfolio_xlsx(request):
    blocks, _, _ = _cross_convention(request)
    response = HttpResponse(shared_portfolio.cross_convention_xlsx(blocks), content_type=XLSX)
    filename = f"indicateurs-partages-{timezone.localdate():%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
