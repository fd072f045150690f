"""Governance pages: committees (COPIL, technical committee, thematic groups), their
members on each side and their meetings.

Anyone who may see the convention reads them; only Caf staff
(``access.can_edit_convention``) change them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ctg import formatting
from ctg.forms import add_service_errors

from . import selectors
from .committee_forms import CommitteeForm, CommitteeMemberForm, MeetingForm
from .models import Committee, CommitteeMember, Meeting
from .permissions import get_convention_or_404
from .services import governance

TEMPLATE_DIR = "conventions/committees"


def _editable(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    return convention, access


def _context(convention, access, committee=None, **extra) -> dict:
    context = {
        "convention": convention,
        "access": access,
        "active_tab": "gouvernance",
        "crumb": "Gouvernance",
        "governance_url": reverse("conventions:governance", args=[convention.pk]),
        "committee": committee,
    }
    context.update(extra)
    return context


def _committee_url(committee: Committee) -> str:
    return reverse("conventions:committee_detail", args=[committee.convention_id, committee.pk])


# --- Committees ---------------------------------------------------------------------------


@login_required
def committee_detail(request, pk: int, committee_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    committee = selectors.committee_of(convention=convention, committee_pk=committee_pk)
    return render(
        request, f"{TEMPLATE_DIR}/committee_detail.html", _context(convention, access, committee)
    )


@login_required
@require_http_methods(["GET", "POST"])
def committee_create(request, pk: int):
    convention, access = _editable(request, pk)
    form = CommitteeForm(request.POST or None, convention=convention)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            committee = governance.committee_create(
                convention=convention,
                kind=data["kind"],
                name=data["name"],
                thematic=data["thematic"],
                approvals_required_per_side=data["approvals_required_per_side"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"L'instance « {committee.name} » a été créée.")
            return redirect(_committee_url(committee))
    return render(
        request,
        f"{TEMPLATE_DIR}/committee_form.html",
        _context(convention, access, form=form, title="Nouvelle instance"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def committee_update(request, pk: int, committee_pk: int):
    convention, access = _editable(request, pk)
    committee = get_object_or_404(Committee, pk=committee_pk, convention=convention)
    initial = {
        "kind": committee.kind,
        "name": committee.name,
        "thematic": committee.thematic,
        "approvals_required_per_side": committee.approvals_required_per_side,
        "token": selectors.history_token(committee),
    }
    form = CommitteeForm(request.POST or None, initial=initial, convention=convention)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            governance.committee_update(
                committee=committee,
                kind=data["kind"],
                name=data["name"],
                thematic=data["thematic"],
                approvals_required_per_side=data["approvals_required_per_side"],
                token=data["token"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"L'instance « {committee.name} » a été modifiée.")
            return redirect(_committee_url(committee))
    return render(
        request,
        f"{TEMPLATE_DIR}/committee_form.html",
        _context(convention, access, committee, form=form, title=f"Modifier « {committee.name} »"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def committee_delete(request, pk: int, committee_pk: int):
    convention, access = _editable(request, pk)
    committee = selectors.committee_of(convention=convention, committee_pk=committee_pk)
    error = ""
    if request.method == "POST":
        try:
            governance.committee_delete(committee=committee)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"L'instance « {committee.name} » a été supprimée.")
            return redirect("conventions:governance", pk=convention.pk)
    members = len(committee.caf_members) + len(committee.territory_members)
    meetings = len(committee.upcoming_meetings) + len(committee.past_meetings)
    consequences = []
    if members:
        consequences.append(f"{members} membre{formatting.plural(members)}")
    if meetings:
        consequences.append(f"{meetings} réunion{formatting.plural(meetings)}")
    return render(
        request,
        f"{TEMPLATE_DIR}/confirm_delete.html",
        _context(
            convention,
            access,
            committee,
            title=f"Supprimer l'instance « {committee.name} » ?",
            question=(
                f"L'instance « {committee.name} » sera supprimée"
                + (f", avec ses {' et ses '.join(consequences)}" if consequences else "")
                + ". Cette action est définitive."
            ),
            error=error,
            cancel_url=_committee_url(committee),
            confirm_label="Supprimer l'instance",
        ),
        status=400 if error else 200,
    )


# --- Members ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request, pk: int, committee_pk: int):
    convention, access = _editable(request, pk)
    committee = get_object_or_404(Committee, pk=committee_pk, convention=convention)
    side = request.GET.get("college")
    form = CommitteeMemberForm(
        request.POST or None, convention=convention, initial={"side": side} if side else None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = governance.committee_member_add(
                committee=committee,
                side=data["side"],
                name=data["name"],
                function=data["function"],
                user=data["user"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{member.name} a rejoint « {committee.name} » ({member.get_side_display()}).",
            )
            return redirect(_committee_url(committee))
    return render(
        request,
        f"{TEMPLATE_DIR}/object_form.html",
        _context(convention, access, committee, form=form, title="Ajouter un membre"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_update(request, pk: int, committee_pk: int, member_pk: int):
    convention, access = _editable(request, pk)
    member = get_object_or_404(
        CommitteeMember.objects.select_related("committee", "user"),
        pk=member_pk,
        committee_id=committee_pk,
        committee__convention=convention,
    )
    committee = member.committee
    initial = {
        "side": member.side,
        "user": member.user,
        "name": member.name,
        "function": member.function,
        "token": selectors.history_token(member),
    }
    form = CommitteeMemberForm(
        request.POST or None, initial=initial, convention=convention, current_user=member.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            governance.committee_member_update(
                member=member,
                side=data["side"],
                name=data["name"],
                function=data["function"],
                user=data["user"],
                token=data["token"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Le membre {member.name} a été modifié.")
            return redirect(_committee_url(committee))
    return render(
        request,
        f"{TEMPLATE_DIR}/object_form.html",
        _context(
            convention, access, committee, form=form, member=member, title=f"Modifier {member.name}"
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_delete(request, pk: int, committee_pk: int, member_pk: int):
    convention, access = _editable(request, pk)
    member = get_object_or_404(
        CommitteeMember.objects.select_related("committee"),
        pk=member_pk,
        committee_id=committee_pk,
        committee__convention=convention,
    )
    committee = member.committee
    error = ""
    if request.method == "POST":
        try:
            governance.committee_member_remove(member=member)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"{member.name} a été retiré·e de « {committee.name} ».")
            return redirect(_committee_url(committee))
    return render(
        request,
        f"{TEMPLATE_DIR}/confirm_delete.html",
        _context(
            convention,
            access,
            committee,
            title=f"Retirer {member.name} ?",
            question=(
                f"{member.name} ({member.get_side_display()}) sera retiré·e de l'instance "
                f"« {committee.name} »."
            ),
            error=error,
            cancel_url=_committee_url(committee),
            confirm_label="Retirer le membre",
        ),
        status=400 if error else 200,
    )


# --- Meetings -----------------------------------------------------------------------------


def _meeting_of(convention, committee_pk: int, meeting_pk: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.select_related("committee"),
        pk=meeting_pk,
        committee_id=committee_pk,
        committee__convention=convention,
    )


@login_required
def meeting_detail(request, pk: int, committee_pk: int, meeting_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    meeting = _meeting_of(convention, committee_pk, meeting_pk)
    return render(
        request,
        f"{TEMPLATE_DIR}/meeting_detail.html",
        _context(convention, access, meeting.committee, meeting=meeting),
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request, pk: int, committee_pk: int):
    convention, access = _editable(request, pk)
    committee = get_object_or_404(Committee, pk=committee_pk, convention=convention)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = governance.meeting_create(
                committee=committee,
                date=data["date"],
                location=data["location"],
                agenda=data["agenda"],
                minutes=data["minutes"],
                decisions=data["decisions"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "La réunion a été enregistrée.")
            return redirect(
                "conventions:meeting_detail",
                pk=convention.pk,
                committee_pk=committee.pk,
                meeting_pk=meeting.pk,
            )
    return render(
        request,
        f"{TEMPLATE_DIR}/object_form.html",
        _context(convention, access, committee, form=form, title="Nouvelle réunion"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_update(request, pk: int, committee_pk: int, meeting_pk: int):
    convention, access = _editable(request, pk)
    meeting = _meeting_of(convention, committee_pk, meeting_pk)
    initial = MeetingForm.initial_for(meeting) | {"token": selectors.history_token(meeting)}
    form = MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            governance.meeting_update(
                meeting=meeting,
                date=data["date"],
                location=data["location"],
                agenda=data["agenda"],
                minutes=data["minutes"],
                decisions=data["decisions"],
                token=data["token"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "La réunion a été modifiée.")
            return redirect(
                "conventions:meeting_detail",
                pk=convention.pk,
                committee_pk=committee_pk,
                meeting_pk=meeting.pk,
            )
    return render(
        request,
        f"{TEMPLATE_DIR}/object_form.html",
        _context(
            convention,
            access,
            meeting.committee,
            form=form,
            meeting=meeting,
            title="Modifier la réunion",
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_delete(request, pk: int, committee_pk: int, meeting_pk: int):
    convention, access = _editable(request, pk)
    meeting = _meeting_of(convention, committee_pk, meeting_pk)
    committee = meeting.committee
    if request.method == "POST":
        governance.meeting_delete(meeting=meeting)
        messages.success(request, "La réunion a été supprimée.")
        return redirect(_committee_url(committee))
    return render(
        request,
        f"{TEMPLATE_DIR}/confirm_delete.html",
        _context(
            convention,
            access,
            committee,
            meeting=meeting,
            title="Supprimer la réunion ?",
            question=(
                f"La réunion du {formatting.date_time(meeting.date)}, "
                "son ordre du jour, son compte rendu et ses décisions seront supprimés. "
                "Cette action est définitive."
            ),
            error="",
            cancel_url=_committee_url(committee),
            confirm_label="Supprimer la réunion",
        ),
    )
