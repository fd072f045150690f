"""Pages of the action plan: objectives, fiches action, their workflow and the committee inbox.

Every view resolves the convention with ``get_convention_or_404`` (out of scope: 404) and
checks the action with ``access.require(...)`` (in scope but not allowed: 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from conventions.permissions import get_convention_or_404
from ctg.forms import REASON_MAX_LENGTH, add_service_errors
from ctg.fragments import cached_fragment, convention_version, digest

from . import exports, history, selectors, services, workflow
from .forms import (
    ActionSheetForm,
    ApprovalForm,
    FundingFormSet,
    IndicatorFormSet,
    ObjectiveForm,
    ReasonForm,
    formset_rows,
)
from .funding import GAP_LABEL, funding_totals
from .models import ActionSheet, Approval, Objective
from .services import FUNDING_FIELDS, INDICATOR_FIELDS, WorkflowError

PAGE_SIZE = 25


def _context(convention, access, crumb, **extra):
    return {
        "convention": convention,
        "access": access,
        "active_tab": "plan",
        "crumb": crumb,
        **extra,
    }


def _sheet_or_404(convention, sheet_id: int) -> ActionSheet:
    return get_object_or_404(
        ActionSheet.objects.select_related(
            "thematic", "objective", "lead_user", "submitted_by", "created_by"
        ),
        convention=convention,
        pk=sheet_id,
    )


# --------------------------------------------------------------------------- plan and list


@login_required
def action_plan(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    if _plan_list_is_kept(request.GET):
        plan_list = cached_fragment(
            "plan-fiches",
            _plan_list_key(convention, access, request.GET),
            lambda: _plan_list(request, convention, access),
        )
    else:
        plan_list = _plan_list(request, convention, access)
    return render(
        request,
        "actions/action_plan.html",
        _context(convention, access, "Plan d'actions", plan_list=plan_list),
    )


def _plan_list_is_kept(query) -> bool:
    """Whether the list for this query string is kept in the cache: not for a free-text
    search nor unknown parameters, pages mostly seen once that would fill the cache."""
    return not query.get("q", "").strip() and set(query) <= {
        *selectors.SheetFilters.PARAMS,
        "page",
    }


def _plan_list_key(convention, access, query) -> tuple:
    """What the plan's list depends on: the convention's data (every write on its
    objectives, fiches, funding lines, opinions and on the findings shown under the
    objectives bumps ``data_version``), the thematics' labels, the buttons the user sees
    and the query string (filters, sort, page, echoed in the links). Nothing on the list
    moves with the day alone (no lateness shown)."""
    return (
        *convention_version(convention),
        selectors.thematics_version(),
        int(access.can_edit_actions),
        int(access.can_edit_convention),
        digest(query.urlencode()),
    )


def _plan_list(request, convention, access) -> str:
    """The objectives and the filtered, paginated fiches, drawn from scratch."""
    filters = selectors.SheetFilters.from_query(request.GET)
    sheets = selectors.action_sheets_of(convention=convention, filters=filters)
    page = Paginator(sheets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("tri", None)
    return render_to_string(
        "actions/_plan_list.html",
        {
            "convention": convention,
            "access": access,
            "request": request,  # the query string, for the pagination's links
            "objective_groups": selectors.objectives_tree(convention=convention),
            "page": page,
            "sheets": page.object_list,
            "filters": filters,
            "statuses": ActionSheet.Status.choices,
            "thematics": selectors.thematics_of_sheets(convention=convention),
            "leads": selectors.leads_of(convention=convention),
            "sorts": selectors.SORT_LABELS,
            "query_without_sort": query.urlencode(),
            "export_query": request.GET.urlencode(),
        },
    )


@login_required
def plan_export(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    filters = selectors.SheetFilters.from_query(request.GET)
    sheets = selectors.sheets_for_export(convention=convention, filters=filters)
    content = exports.plan_export(convention=convention, sheets=sheets)
    filename = f"fiches-action-{slugify(convention.name)}-{timezone.localdate():%Y-%m-%d}.xlsx"
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --------------------------------------------------------------------------- objectives


@login_required
def objective_edit(request, pk: int, objective_id: int | None = None):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_actions)
    objective = (
        get_object_or_404(Objective, convention=convention, pk=objective_id)
        if objective_id
        else None
    )
    form = ObjectiveForm(request.POST or None, instance=objective, convention=convention)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items()}
        try:
            saved = services.objective_save(
                convention=convention, by=request.user, data=data, objective=objective
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Objectif « {saved.title} » enregistré.")
            return redirect("actions:plan", pk=convention.pk)
    selected = {str(v) for v in (form["findings"].value() or [])}
    return render(
        request,
        "actions/objective_form.html",
        _context(
            convention,
            access,
            "Modifier l'objectif" if objective else "Nouvel objectif",
            form=form,
            objective=objective,
            finding_groups=selectors.findings_by_thematic(convention=convention),
            selected_findings=selected,
        ),
    )


@login_required
def objective_delete(request, pk: int, objective_id: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_actions)
    objective = get_object_or_404(Objective, convention=convention, pk=objective_id)
    if request.method == "POST":
        title = objective.title
        services.objective_delete(objective=objective, by=request.user)
        messages.success(request, f"Objectif « {title} » supprimé.")
        return redirect("actions:plan", pk=convention.pk)
    return render(
        request,
        "actions/objective_delete.html",
        _context(convention, access, "Supprimer l'objectif", objective=objective),
    )


# --------------------------------------------------------------------------- fiche editor


@login_required
def sheet_edit(request, pk: int, sheet_id: int | None = None):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_actions)
    sheet = _sheet_or_404(convention, sheet_id) if sheet_id else None
    refused = workflow.edit_refusal(sheet) if sheet is not None else None
    if refused:
        messages.error(request, refused)
        return redirect("actions:sheet", pk=convention.pk, sheet_id=sheet.pk)
    instance = sheet or ActionSheet(convention=convention)
    data = request.POST or None
    form = ActionSheetForm(data, instance=instance, convention=convention)
    funding = FundingFormSet(data, instance=instance, prefix="financement")
    indicators = IndicatorFormSet(data, instance=instance, prefix="indicateurs")
    if request.method == "POST":
        valid = all([form.is_valid(), funding.is_valid(), indicators.is_valid()])
        if valid:
            cleaned = dict(form.cleaned_data)
            revision = cleaned.pop("revision", None)
            reason = cleaned.pop("change_reason", "")
            try:
                saved = services.action_sheet_save(
                    convention=convention,
                    by=request.user,
                    data=cleaned,
                    funding_lines=formset_rows(funding, FUNDING_FIELDS),
                    indicators=formset_rows(indicators, INDICATOR_FIELDS),
                    sheet=sheet,
                    revision=revision,
                    change_reason=reason,
                )
            except WorkflowError as exc:
                messages.error(request, exc.message)
                form.add_error(None, exc.message)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if sheet is not None and saved.version != sheet.version:
                    messages.success(
                        request,
                        f"Fiche {saved.number} enregistrée : la version {saved.version} est "
                        "soumise au comité.",
                    )
                else:
                    messages.success(request, f"Fiche {saved.number} enregistrée.")
                return redirect("actions:sheet", pk=convention.pk, sheet_id=saved.pk)
    return render(
        request,
        "actions/sheet_form.html",
        _context(
            convention,
            access,
            f"Modifier la fiche {sheet.number}" if sheet else "Nouvelle fiche action",
            form=form,
            funding=funding,
            indicators=indicators,
            sheet=sheet,
            versioned=sheet is not None and workflow.is_versioned(sheet),
        ),
    )


# --------------------------------------------------------------------------- fiche page


@login_required
def sheet_detail(request, pk: int, sheet_id: int):
    convention, access = get_convention_or_404(request.user, pk)
    sheet = _sheet_or_404(convention, sheet_id)
    return _render_sheet(request, convention, access, sheet, approval_form=ApprovalForm())


def _render_sheet(request, convention, access, sheet, *, approval_form):
    """The fiche page; ``approval_form`` bound with its errors when an opinion was refused."""
    funding_lines = list(sheet.funding_lines.order_by("year", "funder"))
    state = selectors.approval_state(sheet=sheet)
    member = workflow.approving_member(
        user=request.user, convention=convention, committee=state.committee
    )
    refusal = workflow.opinion_refusal(
        sheet=sheet,
        member=member,
        committee=state.committee,
        already_given=state.given_by(member),
    )
    return render(
        request,
        "actions/sheet_detail.html",
        _context(
            convention,
            access,
            f"Fiche {sheet.number}",
            sheet=sheet,
            other_thematics=list(sheet.other_thematics.all()),
            communes=list(sheet.communes.order_by("name")),
            funding_lines=funding_lines,
            totals=funding_totals(funding_lines),
            gap_label=GAP_LABEL,
            indicators=list(sheet.indicators.select_related("shared").order_by("id")),
            state=state,
            member=member,
            can_give_opinion=refusal is None,
            opinion_refusal=refusal,
            awaiting_opinion=workflow.is_awaiting_opinion(sheet),
            can_edit_sheet=access.can_edit_actions and workflow.is_editable(sheet),
            status_buttons=workflow.status_buttons(sheet, can_edit=access.can_edit_actions),
            submission_gaps=(
                workflow.submission_gaps(sheet)
                if access.can_edit_actions and workflow.TRANSITIONS["submit"].allows(sheet.status)
                else []
            ),
            approval_form=approval_form,
            reason_max_length=REASON_MAX_LENGTH,
            transitions=selectors.transitions_of(sheet=sheet),
            history=history.sheet_history(sheet=sheet),
            diff=history.changes_since_approved(sheet=sheet),
            Status=ActionSheet.Status,
            Decision=Approval.Decision,
        ),
    )


@login_required
@require_POST
def sheet_transition(request, pk: int, sheet_id: int, action: str):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_actions)
    sheet = _sheet_or_404(convention, sheet_id)
    transition = workflow.button_transition(action)
    if transition is None:
        raise PermissionDenied("Changement de statut inconnu.")
    kwargs = {"sheet": sheet, "by": request.user}
    if transition.takes_reason:
        form = ReasonForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("actions:sheet", pk=convention.pk, sheet_id=sheet.pk)
        kwargs["reason"] = form.cleaned_data["reason"]
    try:
        getattr(services, transition.service)(**kwargs)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, transition.success.format(number=sheet.number))
    return redirect("actions:sheet", pk=convention.pk, sheet_id=sheet.pk)


@login_required
@require_POST
def sheet_opinion(request, pk: int, sheet_id: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_approve)
    sheet = _sheet_or_404(convention, sheet_id)
    member = workflow.approving_member(user=request.user, convention=convention)
    if member is None:
        raise PermissionDenied(workflow.NOT_A_MEMBER_MESSAGE)
    form = ApprovalForm(request.POST)
    if not form.is_valid():
        # The page again, the choice kept and the error under its field.
        return _render_sheet(request, convention, access, sheet, approval_form=form)
    try:
        with transaction.atomic():
            approval = services.approval_give(
                sheet=sheet,
                member=member,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        sheet.refresh_from_db()
        if sheet.status == ActionSheet.Status.VALIDATED:
            messages.success(request, f"Avis enregistré : la fiche {sheet.number} est validée.")
        else:
            messages.success(
                request, f"Avis « {approval.get_decision_display().lower()} » enregistré."
            )
    return redirect("actions:sheet", pk=convention.pk, sheet_id=sheet.pk)


# --------------------------------------------------------------------------- inbox


@login_required
def review_inbox(request):
    page = Paginator(selectors.inbox(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "actions/inbox.html", {"page": page})
