from django.contrib import admin

from ctg.history_admin import NoDeleteHistoryAdmin, ReadOnlyHistoryAdmin

from .models import ActionSheet, ActionSheetTransition, Approval, FundingLine, Objective, Stake


@admin.register(Stake)
class StakeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["title", "convention", "thematic"]
    list_filter = ["thematic"]
    search_fields = ["title", "convention__name"]
    filter_horizontal = ["findings"]


@admin.register(Objective)
class ObjectiveAdmin(ReadOnlyHistoryAdmin):
    list_display = ["title", "level", "convention", "thematic", "parent"]
    list_filter = ["level", "thematic"]
    search_fields = ["title", "change_sought", "convention__name"]
    filter_horizontal = ["findings"]


class FundingLineInline(admin.TabularInline):
    model = FundingLine
    extra = 0


class ApprovalInline(admin.TabularInline):
    model = Approval
    extra = 0
    readonly_fields = ["decided_at"]


class TransitionInline(admin.TabularInline):
    model = ActionSheetTransition
    extra = 0
    readonly_fields = ["from_status", "to_status", "version", "by", "at", "reason"]
    can_delete = False

    # The status changes are the fiche's audit trail: read-only.
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ActionSheet)
class ActionSheetAdmin(NoDeleteHistoryAdmin):
    list_display = ["number", "title", "convention", "thematic", "status", "version", "lead"]
    list_filter = ["status", "thematic"]
    search_fields = ["number", "title", "lead", "convention__name"]
    list_select_related = ["convention", "thematic"]
    autocomplete_fields = ["convention", "communes", "lead_user"]
    filter_horizontal = ["other_thematics"]
    inlines = [FundingLineInline, ApprovalInline, TransitionInline]


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    list_display = ["sheet", "member", "version", "decision", "decided_at"]
    list_filter = ["decision"]
    search_fields = ["sheet__number", "sheet__title", "member__name"]
