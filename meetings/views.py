"""The meeting page's actions (the page itself is ``conventions:meeting_detail``, whose
template shows :func:`meetings.templatetags.meeting_tags.meeting_panel`): attendees, the
agenda, the convocation, and the meeting as an ``.ics``.

Anyone who sees the convention reads them; only the Caf's staff
(``access.can_edit_convention``) change them. Every POST answers with a redirect to the
meeting page and a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from conventions.permissions import get_convention_or_404
from ctg import formatting

from . import selectors, services
from .forms import AgendaActionForm, AgendaItemForm


def _meeting(request, pk: int, committee_pk: int, meeting_pk: int, *, edit: bool):
    convention, access = get_convention_or_404(request.user, pk)
    if edit:
        access.require(access.can_edit_convention)
    meeting = selectors.meeting_of(
        convention=convention, committee_pk=committee_pk, meeting_pk=meeting_pk
    )
    return convention, meeting


def _back(meeting, anchor: str):
    url = reverse(
        "conventions:meeting_detail",
        kwargs={
            "pk": meeting.committee.convention_id,
            "committee_pk": meeting.committee_id,
            "meeting_pk": meeting.pk,
        },
    )
    return redirect(f"{url}#{anchor}")


def _error(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@login_required
@require_POST
def attendance(request, pk: int, committee_pk: int, meeting_pk: int):
    _, meeting = _meeting(request, pk, committee_pk, meeting_pk, edit=True)
    statuses = {}
    for key, value in request.POST.items():
        if key.startswith("presence-"):
            member_id = key.removeprefix("presence-")
            if not member_id.isascii() or not member_id.isdecimal() or len(member_id) > 18:
                messages.error(request, "Une des personnes n'est pas membre de cette instance.")
                return _back(meeting, "participants")
            statuses[int(member_id)] = value
    guests = request.POST.get("guests", "")
    if len(guests) > 2000:
        messages.error(request, "La liste des invités ne peut dépasser 2 000 caractères.")
        return _back(meeting, "participants")
    try:
        count = services.attendance_record(
            meeting=meeting, statuses=statuses, guests=guests, by=request.user
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            f"Présences enregistrées ({count} membre{'s' if count > 1 else ''} renseigné{'s' if count > 1 else ''}).",
        )
    return _back(meeting, "participants")


@login_required
@require_POST
def agenda(request, pk: int, committee_pk: int, meeting_pk: int):
    _, meeting = _meeting(request, pk, committee_pk, meeting_pk, edit=True)
    form = AgendaActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Action sur l'ordre du jour non reconnue.")
        return _back(meeting, "ordre-du-jour")
    action, key = form.cleaned_data["action"], form.cleaned_data["item"]
    try:
        if action == "add":
            item_form = AgendaItemForm(request.POST)
            if not item_form.is_valid():
                errors = [e for field in item_form.errors.values() for e in field]
                messages.error(request, "Point non ajouté : " + " ".join(errors))
                return _back(meeting, "ordre-du-jour")
            services.agenda_item_add(
                meeting=meeting,
                title=item_form.cleaned_data["title"],
                note=item_form.cleaned_data["note"],
                by=request.user,
            )
            messages.success(request, "Le point a été ajouté à la fin de l'ordre du jour.")
        elif action in ("up", "down"):
            services.agenda_item_move(meeting=meeting, key=key, direction=action, by=request.user)
            messages.success(request, "L'ordre du jour a été réordonné.")
        elif action == "remove":
            item = services.agenda_item_remove(meeting=meeting, key=key, by=request.user)
            messages.success(
                request,
                f"« {item.title} » a été retiré de l'ordre du jour."
                + ("" if item.is_free else " Vous pouvez le rétablir plus bas."),
            )
        elif action == "restore":
            services.agenda_item_restore(meeting=meeting, key=key, by=request.user)
            messages.success(request, "Le point a été rétabli à la fin de l'ordre du jour.")
        elif action == "freeze":
            services.agenda_freeze(meeting=meeting, by=request.user)
            messages.success(
                request,
                "L'ordre du jour est figé : il ne suit plus les fiches, indicateurs et rapports.",
            )
        else:
            services.agenda_unfreeze(meeting=meeting, by=request.user)
            messages.success(request, "L'ordre du jour suit de nouveau les données.")
    except ValidationError as exc:
        _error(request, exc)
    return _back(meeting, "ordre-du-jour")


@login_required
@require_POST
def convocation_send(request, pk: int, committee_pk: int, meeting_pk: int):
    _, meeting = _meeting(request, pk, committee_pk, meeting_pk, edit=True)
    try:
        convocation, outcome = services.convocation_send(meeting=meeting, by=request.user)
    except ValidationError as exc:
        _error(request, exc)
        return _back(meeting, "convocation")
    count = convocation.recipient_count
    people = f"{count} membre{'s' if count > 1 else ''}"
    if outcome == services.DUPLICATE:
        when = timezone.localtime(convocation.requested_at)
        messages.info(
            request,
            f"La convocation a déjà été envoyée à {when:%H:%M} et rien n'a changé depuis : "
            "elle n'est pas renvoyée.",
        )
    elif outcome == services.RESENT_CHANGED:
        messages.success(
            request,
            f"La convocation modifiée ({convocation.changes}) est renvoyée à {people} ; "
            "leur agenda est mis à jour.",
        )
    elif outcome == services.RESENT:
        messages.success(request, f"La convocation est renvoyée à {people}, sans changement.")
    else:
        messages.success(request, f"La convocation est envoyée à {people}.")
    return _back(meeting, "convocation")


@login_required
@require_GET
def calendar(request, pk: int, committee_pk: int, meeting_pk: int):
    """The meeting for one's own calendar (a published event, the convocation's UID)."""
    convention, meeting = _meeting(request, pk, committee_pk, meeting_pk, edit=False)
    meeting.committee.convention = convention
    panel = selectors.meeting_panel(meeting=meeting, convention=convention)
    convocation = panel["convocation"]
    content = services.convocation_content(meeting, panel["agenda"])
    text = services.calendar_text(
        meeting=meeting,
        content=content,
        sequence=(convocation.sequence - 1) if convocation else 0,
        method="PUBLISH",
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    day = formatting.date_short(meeting.date).replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="reunion-{day}.ics"'
    return response
