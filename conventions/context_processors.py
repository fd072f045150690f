from .permissions import is_caf_staff


def navigation(request):
    """Menu entries that depend on the user's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_is_caf_staff": is_caf_staff(user)}
