from django.contrib import admin

from ctg.history_admin import ReadOnlyHistoryAdmin

from .models import Diagnostic, Facility, Finding, StatisticDefinition, TerritoryStatistic


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
    list_display = ["statistic", "collectivity", "year", "value", "source"]
    list_filter = ["statistic", "year"]
    search_fields = ["collectivity__name", "statistic__label"]
    autocomplete_fields = ["collectivity"]
    list_select_related = ["statistic", "collectivity"]


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "manager", "places", "collectivity"]
    list_filter = ["kind"]
    search_fields = ["name", "manager", "collectivity__name"]
    autocomplete_fields = ["collectivity"]
