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
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from conventions.permissions import get_convention_or_404
from ctg import formatting

from . import pack as pack_document
from . import releve as releve_document
from . import selectors, services
from .forms import DECISION_DRAFT, AgendaActionForm, AgendaItemForm, DecisionForm


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
            f"Présences enregistrées ({count} membre{formatting.plural(count)} renseigné{formatting.plural(count)}).",
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
    people = f"{count} membre{formatting.plural(count)}"
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


FORM_LIMITS = {
    "item": "Ce point ne figure plus à l'ordre du jour : la page a été actualisée.",
    "caf_comment": "Le commentaire ne peut dépasser 2 000 caractères.",
    "territory_comment": "Le commentaire ne peut dépasser 2 000 caractères.",
    "follow_up": "Les suites à donner ne peuvent dépasser 4 000 caractères.",
    "caf_vote": "Choisissez le vote du collège Caf : favorable ou à revoir.",
    "territory_vote": "Choisissez le vote du collège territoire : favorable ou à revoir.",
}


@login_required
@require_POST
def decision(request, pk: int, committee_pk: int, meeting_pk: int):
    """Record the committee's decision on one point; a refusal comes back on the page with
    the choices kept and the message under its field."""
    _, meeting = _meeting(request, pk, committee_pk, meeting_pk, edit=True)
    # A NUL byte is noise from a hostile client: dropped, not refused.
    form = DecisionForm({name: value.replace("\x00", "") for name, value in request.POST.items()})
    key = str(request.POST.get("item", ""))[:40]
    anchor = f"decision-{key.replace(':', '')}" if key else "ordre-du-jour"
    if not form.is_valid():
        errors = {name: FORM_LIMITS.get(name, "Valeur refusée.") for name in form.errors}
        _keep_draft(request, key, request.POST, errors)
        messages.error(request, "Décision non enregistrée : " + " ".join(errors.values()))
        return _back(meeting, anchor)
    data = form.cleaned_data
    try:
        recorded = services.decision_record(
            meeting=meeting,
            key=data["item"],
            caf_vote=data["caf_vote"],
            caf_comment=data["caf_comment"],
            territory_vote=data["territory_vote"],
            territory_comment=data["territory_comment"],
            follow_up=data["follow_up"],
            by=request.user,
        )
    except ValidationError as exc:
        errors = (
            {name: " ".join(msgs) for name, msgs in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"__all__": " ".join(exc.messages)}
        )
        _keep_draft(request, data["item"], data, errors)
        messages.error(request, "Décision non enregistrée : " + " ".join(exc.messages))
        return _back(meeting, anchor)
    request.session.pop(DECISION_DRAFT, None)
    if recorded.outcome == recorded.Outcome.NOTED:
        messages.success(request, f"Les suites à donner à « {recorded.title} » sont enregistrées.")
    else:
        messages.success(
            request,
            f"Décision enregistrée sur « {recorded.title} » : {recorded.get_outcome_display().lower()}.",
        )
    return _back(meeting, anchor)


def _keep_draft(request, key: str, data, errors: dict[str, str]) -> None:
    fields = ("caf_vote", "caf_comment", "territory_vote", "territory_comment", "follow_up")
    request.session[DECISION_DRAFT] = {
        "key": key,
        "data": {name: str(data.get(name, ""))[:4000] for name in fields},
        "errors": errors,
    }


def _document(request, pk: int, committee_pk: int, meeting_pk: int):
    convention, meeting = _meeting(request, pk, committee_pk, meeting_pk, edit=False)
    meeting.committee.convention = convention
    return convention, meeting


@login_required
@require_GET
def pack_pdf(request, pk: int, committee_pk: int, meeting_pk: int):
    """The dossier de séance (PDF), for anyone who sees the convention: built from the
    data when it is opened, once per content (``services.pack_build``)."""
    _convention, meeting = _document(request, pk, committee_pk, meeting_pk)
    built = services.pack_build(meeting=meeting)
    response = HttpResponse(bytes(built.document), content_type=pack_document.PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, pack_document.filename(meeting)
    )
    return response


@login_required
@require_GET
def releve_pdf(request, pk: int, committee_pk: int, meeting_pk: int):
    """The relevé de décisions (PDF), for anyone who sees the convention."""
    convention, meeting = _document(request, pk, committee_pk, meeting_pk)
    response = HttpResponse(
        releve_document.render_pdf(meeting=meeting, convention=convention),
        content_type=releve_document.PDF_CONTENT_TYPE,
    )
    response["Content-Disposition"] = content_disposition_header(
        True, releve_document.filename(meeting, "pdf")
    )
    return response


@login_required
@require_GET
def releve_sent_pdf(request, pk: int, committee_pk: int, meeting_pk: int, sending_pk: int):
    """The relevé as it was sent (the archive of the meeting page), for anyone who sees the
    convention."""
    _convention, meeting = _document(request, pk, committee_pk, meeting_pk)
    sending = selectors.sent_releve(meeting=meeting, sending_pk=sending_pk)
    response = HttpResponse(bytes(sending.document), content_type=releve_document.PDF_CONTENT_TYPE)
    name = releve_document.filename(meeting, "pdf").removesuffix(".pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{name}-envoi-{sending.sequence}.pdf"
    )
    return response


@login_required
@require_GET
def releve_docx(request, pk: int, committee_pk: int, meeting_pk: int):
    """The relevé de décisions in Word: the PDF's text, editable."""
    convention, meeting = _document(request, pk, committee_pk, meeting_pk)
    response = HttpResponse(
        releve_document.render_docx(meeting=meeting, convention=convention),
        content_type=releve_document.DOCX_CONTENT_TYPE,
    )
    response["Content-Disposition"] = content_disposition_header(
        True, releve_document.filename(meeting, "docx")
    )
    return response


@login_required
@require_POST
def releve_send(request, pk: int, committee_pk: int, meeting_pk: int):
    """« Envoyer le relevé » to the committee's members (e-mails after the commit)."""
    convention, meeting = _meeting(request, pk, committee_pk, meeting_pk, edit=True)
    meeting.committee.convention = convention
    try:
        sending, outcome = services.releve_send(meeting=meeting, by=request.user)
    except ValidationError as exc:
        _error(request, exc)
        return _back(meeting, "releve")
    count = sending.recipient_count
    people = f"{count} membre{formatting.plural(count)}"
    if outcome == services.DUPLICATE:
        when = timezone.localtime(sending.requested_at)
        messages.info(
            request,
            f"Le relevé a déjà été envoyé à {when:%H:%M} et aucune décision n'a changé depuis : "
            "il n'est pas renvoyé.",
        )
    else:
        messages.success(request, f"Le relevé de décisions est envoyé à {people}.")
    return _back(meeting, "releve")
