from django.contrib import admin

from .models import ProgressReport, ReportDelivery


class ReportDeliveryInline(admin.TabularInline):
    model = ReportDelivery
    extra = 0
    readonly_fields = ["email", "status", "sent_at", "error"]


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    list_display = ["convention", "kind", "period_start", "period_end", "status", "generated_at"]
    list_filter = ["kind", "status"]
    search_fields = ["convention__name"]
    readonly_fields = ["snapshot", "generated_at", "error", "attempts"]
    inlines = [ReportDeliveryInline]
