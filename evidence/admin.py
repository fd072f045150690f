from django.contrib import admin

from ctg.history_admin import ReadOnlyHistoryAdmin

from .models import Evidence


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyHistoryAdmin):
    """Read-only: pieces are added and removed from the convention's pages (checked content,
    scope); the file itself is downloaded from there too (no public address)."""

    list_display = ["title", "convention", "original_name", "content_type", "size", "uploaded_at"]
    list_filter = ["content_type"]
    search_fields = ["title", "original_name", "convention__name"]
    # The file has no address (evidence.storage): its stored name is shown, not a link.
    fields = readonly_fields = [
        "stored_name" if f.name == "file" else f.name
        for f in Evidence._meta.fields
        if f.name != "id"
    ]

    @admin.display(description="fichier enregistré sous")
    def stored_name(self, obj):
        return obj.file.name or "—"

    def has_add_permission(self, request):
        return False
