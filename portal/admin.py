from django.contrib import admin

from .models import ConventionDocument


@admin.register(ConventionDocument)
class ConventionDocumentAdmin(admin.ModelAdmin):
    list_display = ["convention", "amendment_number", "status", "requested_at", "built_at"]
    list_filter = ["status"]
    search_fields = ["convention__name"]
    readonly_fields = [
        "convention",
        "fingerprint",
        "amendment_number",
        "pdf",
        "error",
        "attempts",
        "requested_by",
        "requested_at",
        "enqueued_at",
        "built_at",
    ]
