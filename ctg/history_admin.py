"""The admin base class of every model with an audit history (django-simple-history).

The history pages stay readable (who changed what, when), but nothing there writes:
SimpleHistoryAdmin's "revert" form saves the object back to a past version on POST even
when its button is hidden (SIMPLE_HISTORY_REVERT_DISABLED only hides it), so any method
other than GET or HEAD is refused on the history views.
"""

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    def history_view(self, request, object_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("L'historique ne se modifie pas.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("L'historique ne se modifie pas.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True

    def has_change_history_permission(self, request, obj=None):
        return False


class NoDeleteHistoryAdmin(ReadOnlyHistoryAdmin):
    """For conventions and fiches action: deleting one from the admin would cascade through
    its whole plan (fiches, indicators, measurements, opinions). A convention ends through
    its lifecycle (« Échue », « Renouvelée ») and a fiche through the status « Abandonnée »;
    both keep everything."""

    def has_delete_permission(self, request, obj=None):
        return False
