from actions.selectors import review_navigation
from conventions.permissions import is_caf_staff


def navigation(request):
    """Menu entries that depend on the user's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # "À examiner": committee membership and fiches waiting for the user's opinion (one query).
    return {"nav_is_caf_staff": is_caf_staff(user), **review_navigation(user=user)}
