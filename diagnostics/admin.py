from django.contrib import admin

from ctg.history_admin import ReadOnlyHistoryAdmin

from .models import (
    Diagnostic,
    Facility,
    Finding,
    StatisticDefinition,
    StatisticImport,
    TerritoryStatistic,
)


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0


@admin.register(Diagnostic)
class DiagnosticAdmin(ReadOnlyHistoryAdmin):
    list_display = ["convention", "start_date", "end_date", "participants_count"]
    search_fields = ["convention__name"]
    autocomplete_fields = ["convention"]
    inlines = [FindingInline]


@admin.register(Finding)
class FindingAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "diagnostic", "thematic", "kind", "priority", "source"]
    list_filter = ["kind", "priority", "source", "thematic"]
    search_fields = ["text", "diagnostic__convention__name"]


@admin.register(StatisticDefinition)
class StatisticDefinitionAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "unit", "thematic"]
    search_fields = ["label", "code"]


@admin.register(TerritoryStatistic)
class TerritoryStatisticAdmin(ReadOnlyHistoryAdmin):
    list_display = ["statistic", "collectivity", "year", "value", "source_kind", "source"]
    list_filter = ["source_kind", "statistic", "year"]
    search_fields = ["collectivity__name", "statistic__label"]
    autocomplete_fields = ["collectivity"]
    list_select_related = ["statistic", "collectivity"]


@admin.register(StatisticImport)
class StatisticImportAdmin(admin.ModelAdmin):
    """Open-data imports are a record: read only."""

    list_display = ["imported_at", "caf", "dataset", "filename", "vintage", "imported_by"]
    list_filter = ["dataset", "caf"]
    list_select_related = ["caf", "imported_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "manager", "places", "collectivity"]
    list_filter = ["kind"]
    search_fields = ["name", "manager", "collectivity__name"]
    autocomplete_fields = ["collectivity"]
