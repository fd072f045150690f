from django.contrib import admin

from .models import PlanImport


@admin.register(PlanImport)
class PlanImportAdmin(admin.ModelAdmin):
    """Confirmed plan imports (one per preview token): read only."""

    list_display = ("filename", "convention", "imported_by", "imported_at", "historical")
    list_filter = ("historical",)
    readonly_fields = [f.name for f in PlanImport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
