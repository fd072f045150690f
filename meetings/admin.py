from django.contrib import admin

from .models import Convocation, ConvocationDelivery


class ConvocationDeliveryInline(admin.TabularInline):
    model = ConvocationDelivery
    extra = 0
    readonly_fields = ["email", "sent_at"]


@admin.register(Convocation)
class ConvocationAdmin(admin.ModelAdmin):
    list_display = ["meeting", "sequence", "status", "requested_at", "recipient_count"]
    list_filter = ["status"]
    readonly_fields = ["content", "changes", "requested_at", "sent_at", "error"]
    inlines = [ConvocationDeliveryInline]
