from django.contrib import admin

from ctg.history_admin import ReadOnlyHistoryAdmin

from .models import Publication


@admin.register(Publication)
class PublicationAdmin(ReadOnlyHistoryAdmin):
    """Read only: the Caf publishes from the convention's « Publication » page (with its
    confirmation); the admin sees which conventions are public, and their history."""

    list_display = ["convention", "published", "published_at", "mode", "slug", "noindex"]
    list_filter = ["published", "mode", "noindex"]
    search_fields = ["convention__name", "slug"]
    readonly_fields = [f.name for f in Publication._meta.fields if f.name != "token"]
    exclude = ["token"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
