"""The committee cycle on the meeting page (``conventions:meeting_detail``, whose view
lives in conventions, below this app): attendees, the agenda built by the tool, the
convocation and the meeting pack, read by :func:`meetings.selectors.meeting_panel`."""

from django import template

from meetings import selectors, services
from meetings.forms import DECISION_DRAFT, AgendaItemForm
from meetings.models import Attendance, MeetingDecision

register = template.Library()


@register.inclusion_tag("meetings/_meeting_panel.html", takes_context=True)
def meeting_panel(context):
    meeting, convention, access = context["meeting"], context["convention"], context["access"]
    panel = selectors.meeting_panel(meeting=meeting, convention=convention)
    request = context.get("request")
    draft = None
    if request is not None and hasattr(request, "session"):
        draft = request.session.pop(DECISION_DRAFT, None)
    for item in panel["agenda"].rows:
        mine = draft if draft and draft.get("key") == item.key else {}
        item.draft = _decision_fields(mine)
    return {
        **panel,
        "meeting": meeting,
        "convention": convention,
        "access": access,
        "can_edit": access.can_edit_convention,
        "statuses": Attendance.Status.choices,
        "votes": MeetingDecision.Vote.choices,
        "present_count": panel["attendance_counts"]["present"],
        "item_form": AgendaItemForm(),
        "resend_minutes": int(services.RESEND_WINDOW.total_seconds() // 60),
        "csrf_token": context.get("csrf_token"),
    }


def _decision_fields(draft: dict) -> dict:
    """A point's decision form: the values and errors of a refused attempt, per side."""
    data, errors = draft.get("data", {}), draft.get("errors", {})
    return {
        "open": bool(draft),
        "sides": [
            {
                "name": name,
                "label": label,
                "vote": data.get(f"{name}_vote", ""),
                "comment": data.get(f"{name}_comment", ""),
                "vote_error": errors.get(f"{name}_vote", ""),
                "comment_error": errors.get(f"{name}_comment", ""),
            }
            for name, label in (("caf", "Caf"), ("territory", "territoire"))
        ],
        "follow_up": data.get("follow_up", ""),
        "follow_up_error": errors.get("follow_up", ""),
        "error": errors.get("__all__", ""),
    }
