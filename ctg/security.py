"""Small security helpers referenced from the settings."""


def axes_username(request, credentials=None) -> str:
    """The login address as django-axes counts it: trimmed and lower-cased.

    The login form lower-cases the address before authenticating
    ("Claire@CAF82.fr" is the same person); failures must be counted the same
    way, or changing the case of one letter would buy five more tries.
    """
    if credentials and credentials.get("username"):
        value = credentials["username"]
    else:
        value = getattr(request, "POST", {}).get("username", "") if request is not None else ""
    return (value or "").strip().lower()


def axes_lockout(request, original_response=None, credentials=None):
    """The page shown once an address is locked out: French, status 429."""
    from axes.helpers import get_cool_off
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    return render(request, "registration/lockout.html", {"cooloff_minutes": minutes}, status=429)
