from django.contrib import admin

from .models import (
    Convocation,
    ConvocationDelivery,
    DecisionDelivery,
    MeetingDecision,
    ReleveDelivery,
    ReleveSending,
)


class ConvocationDeliveryInline(admin.TabularInline):
    model = ConvocationDelivery
    extra = 0
    readonly_fields = ["email", "sent_at", "error"]


@admin.register(Convocation)
class ConvocationAdmin(admin.ModelAdmin):
    list_display = ["meeting", "sequence", "status", "requested_at", "recipient_count"]
    list_filter = ["status"]
    readonly_fields = ["content", "changes", "requested_at", "sent_at", "error"]
    inlines = [ConvocationDeliveryInline]


class DecisionDeliveryInline(admin.TabularInline):
    model = DecisionDelivery
    extra = 0
    readonly_fields = ["email", "sent_at", "error"]


@admin.register(MeetingDecision)
class MeetingDecisionAdmin(admin.ModelAdmin):
    list_display = ["meeting", "title", "outcome", "recorded_at", "notified_at"]
    list_filter = ["outcome"]
    readonly_fields = ["voters", "recorded_at", "notified_at"]
    inlines = [DecisionDeliveryInline]


class ReleveDeliveryInline(admin.TabularInline):
    model = ReleveDelivery
    extra = 0
    readonly_fields = ["email", "sent_at", "error"]


@admin.register(ReleveSending)
class ReleveSendingAdmin(admin.ModelAdmin):
    list_display = ["meeting", "sequence", "status", "requested_at", "recipient_count"]
    list_filter = ["status"]
    exclude = ["document"]
    readonly_fields = ["decisions", "requested_at", "sent_at", "error"]
    inlines = [ReleveDeliveryInline]
