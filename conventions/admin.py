from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ctg.history_admin import NoDeleteHistoryAdmin, ReadOnlyHistoryAdmin

from .models import (
    Amendment,
    Caf,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    DeadlineNotice,
    Meeting,
    Signatory,
    Thematic,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "caf", "collectivity", "is_active"]
    list_filter = ["role", "caf", "is_active", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    autocomplete_fields = ["collectivity"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("first_name", "last_name", "job_title")}),
        ("Rôle", {"fields": ("role", "caf", "collectivity")}),
        (
            "Droits",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "role", "caf", "collectivity", "password1", "password2"),
            },
        ),
    )


@admin.register(Caf)
class CafAdmin(admin.ModelAdmin):
    list_display = ["name", "department_code"]
    search_fields = ["name", "department_code"]


@admin.register(Collectivity)
class CollectivityAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "kind", "code", "population", "parent_epci", "caf"]
    list_filter = ["kind", "caf"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent_epci"]
    list_select_related = ["parent_epci", "caf"]


class SignatoryInline(admin.StackedInline):
    model = Signatory
    extra = 0
    autocomplete_fields = ["collectivity"]


class AmendmentInline(admin.TabularInline):
    model = Amendment
    extra = 0


class CommitteeInline(admin.TabularInline):
    model = Committee
    extra = 0
    show_change_link = True


@admin.register(Convention)
class ConventionAdmin(NoDeleteHistoryAdmin):
    list_display = ["name", "caf", "phase", "start_date", "end_date", "signed_on"]
    list_filter = ["phase", "caf", "reporting_frequency"]
    search_fields = ["name", "caf__name"]
    date_hierarchy = "start_date"
    filter_horizontal = ["thematics"]
    autocomplete_fields = ["territories", "previous"]
    list_select_related = ["caf"]
    inlines = [SignatoryInline, CommitteeInline, AmendmentInline]


@admin.register(Signatory)
class SignatoryAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "convention", "role", "representative_name", "signed_on"]
    list_filter = ["role", "partner_kind"]
    search_fields = [
        "partner_name",
        "collectivity__name",
        "representative_name",
        "convention__name",
    ]
    autocomplete_fields = ["convention", "collectivity"]


class CommitteeMemberInline(admin.TabularInline):
    model = CommitteeMember
    extra = 0
    autocomplete_fields = ["user"]


class MeetingInline(admin.StackedInline):
    model = Meeting
    extra = 0


@admin.register(Committee)
class CommitteeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "kind", "convention", "approvals_required_per_side"]
    list_filter = ["kind"]
    search_fields = ["name", "convention__name"]
    autocomplete_fields = ["convention"]
    inlines = [CommitteeMemberInline, MeetingInline]


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "side", "function", "committee", "user"]
    list_filter = ["side", "committee__kind"]
    search_fields = ["name", "function", "committee__name"]
    autocomplete_fields = ["committee", "user"]


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyHistoryAdmin):
    list_display = ["committee", "date", "location"]
    list_filter = ["committee__kind"]
    search_fields = ["committee__name", "agenda"]
    date_hierarchy = "date"


@admin.register(Amendment)
class AmendmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "convention", "date"]
    search_fields = ["convention__name", "purpose"]
    filter_horizontal = ["signatories_added"]


@admin.register(Thematic)
class ThematicAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["label", "code"]


@admin.register(DeadlineNotice)
class DeadlineNoticeAdmin(admin.ModelAdmin):
    """The daily job's log of notices (conventions.tasks.send_deadline_notices): read only."""

    list_display = ["convention", "threshold", "end_date", "sent_at"]
    list_filter = ["threshold"]
    search_fields = ["convention__name", "recipients"]
    date_hierarchy = "sent_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
