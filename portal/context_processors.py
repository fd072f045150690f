from dataclasses import dataclass

from django.urls import reverse

from actions.selectors import review_navigation
from conventions.permissions import is_caf_staff
from ctg import formatting

from .todo import todo_count


@dataclass(frozen=True)
class MenuEntry:
    """One link of the top menu; ``current`` when it is the page shown (the template
    marks it active and ``aria-current="page"``)."""

    label: str
    url: str
    current: bool
    icon: str = ""
    count: int = 0  # a badge (fiches waiting for the user's opinion, things to do)
    count_label: str = ""  # the badge said in words, for screen readers


def navigation(request):
    """The top menu: its entries depend on the user's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else None
    caf_staff = is_caf_staff(user)
    # "À examiner": committee membership and fiches waiting for the user's opinion (one query).
    review = review_navigation(user=user)

    def entry(label, name, **kwargs):
        return MenuEntry(label, reverse(name), view_name == name, **kwargs)

    # "À faire": the count of the person's list (portal.todo; kept in the session, no query).
    todo = todo_count(request) or 0
    menu = [
        entry(
            "À faire",
            "home",
            icon="bi-check2-square",
            count=todo,
            count_label=f"{todo} chose{formatting.plural(todo)} à faire",
        ),
        entry("Mes conventions", "conventions:list"),
    ]
    if caf_staff:
        menu += [
            entry("Portefeuille", "evaluation:portfolio"),
            entry("Indicateurs partagés", "evaluation:shared_list"),
            entry("Collectivités", "conventions:collectivities"),
            entry("Nouvelle convention", "conventions:create", icon="bi-plus-lg"),
        ]
    if review["nav_is_committee_member"]:
        waiting = review["nav_review_count"]
        menu.append(
            entry(
                "À examiner",
                "actions:inbox",
                count=waiting,
                count_label=f"{waiting} fiche{formatting.plural(waiting)} en attente de votre avis",
            )
        )
    return {"nav_is_caf_staff": caf_staff, **review, "nav_menu": menu}
