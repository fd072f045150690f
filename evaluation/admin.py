from django.contrib import admin

from ctg.history_admin import ReadOnlyHistoryAdmin

from .models import (
    ChangeSought,
    Indicator,
    Measurement,
    MeasurementImport,
    Observation,
    ProgressMarker,
)


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "kind", "action_sheet", "objective", "baseline_value", "target_value"]
    list_filter = ["kind", "direction", "frequency"]
    search_fields = ["name", "action_sheet__title", "objective__title"]
    inlines = [MeasurementInline]


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyHistoryAdmin):
    list_display = ["indicator", "date", "value", "entered_by"]
    search_fields = ["indicator__name"]
    date_hierarchy = "date"


class ProgressMarkerInline(admin.TabularInline):
    model = ProgressMarker
    extra = 0


@admin.register(ChangeSought)
class ChangeSoughtAdmin(ReadOnlyHistoryAdmin):
    list_display = ["title", "convention", "thematic", "actor"]
    search_fields = ["title", "convention__name"]
    inlines = [ProgressMarkerInline]


@admin.register(ProgressMarker)
class ProgressMarkerAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "change", "level"]
    list_filter = ["level"]


@admin.register(Observation)
class ObservationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["marker", "date", "degree"]
    list_filter = ["degree"]


@admin.register(MeasurementImport)
class MeasurementImportAdmin(admin.ModelAdmin):
    """Confirmed workbook imports (one per preview token): read only."""

    list_display = ["convention", "imported_by", "imported_at", "created", "updated", "unchanged"]
    search_fields = ["convention__name", "imported_by__email"]
    date_hierarchy = "imported_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
