"""What the API returns, field by field. Decimals are strings ("12.50"), dates and
date-times ISO 8601, ids the database's (stable). Every figure comes from the selector that
computes it for the pages (the calendar, the progress rule, the fiche workflow, the funding
totals); nothing here recomputes one."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from actions import workflow
from actions.funding import funding_totals
from actions.models import ActionSheet, FundingLine, Objective
from conventions import calendar
from conventions.models import Caf, Collectivity, Convention, Signatory, Thematic, User
from diagnostics.models import Diagnostic, Finding, TerritoryStatistic
from evaluation import progress, sources
from evaluation.models import Indicator, Measurement
from reports.models import ProgressReport

DECIMAL = {"max_digits": 14, "decimal_places": 2, "read_only": True}

# --------------------------------------------------------------------------- references


class ThematicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Thematic
        fields = ["id", "code", "label"]


class CafSerializer(serializers.ModelSerializer):
    class Meta:
        model = Caf
        fields = ["id", "name", "department_code"]


class CollectivitySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Collectivity
        fields = ["id", "kind", "kind_label", "name", "code", "population"]


class PersonSerializer(serializers.ModelSerializer):
    """A user as shown in the pages: a name, never an e-mail address."""

    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]


# --------------------------------------------------------------------------- conventions


class SignatorySerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation_name", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    collectivity = CollectivitySerializer(read_only=True, allow_null=True)
    caf = CafSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Signatory
        fields = [
            "id",
            "organisation",
            "collectivity",
            "caf",
            "partner_kind",
            "partner_name",
            "role",
            "role_label",
            "representative_name",
            "representative_title",
            "resolution_reference",
            "resolution_date",
            "signed_on",
        ]


class TimeStatusSerializer(serializers.Serializer):
    """Where the convention stands in time (``conventions.calendar``)."""

    code = serializers.ChoiceField(choices=list(calendar.LABELS), read_only=True)
    label = serializers.CharField(read_only=True)
    message = serializers.CharField(read_only=True)
    overdue = serializers.BooleanField(read_only=True)
    days_left = serializers.IntegerField(read_only=True)
    days_to_start = serializers.IntegerField(read_only=True)


class ProgressSummarySerializer(serializers.Serializer):
    """A group's progress (``evaluation.progress``: the Synthèse's figures)."""

    indicator_count = serializers.IntegerField(read_only=True)
    avg_progress = serializers.FloatField(read_only=True, allow_null=True)
    avg_expected = serializers.FloatField(read_only=True, allow_null=True)
    ahead = serializers.IntegerField(read_only=True)
    on_track = serializers.IntegerField(read_only=True)
    late = serializers.IntegerField(read_only=True)
    no_measure = serializers.IntegerField(read_only=True)
    undefined = serializers.IntegerField(read_only=True)
    not_started = serializers.IntegerField(read_only=True)


class ThematicProgressSerializer(ProgressSummarySerializer):
    thematic_id = serializers.IntegerField(source="group_id", read_only=True, allow_null=True)
    thematic = serializers.CharField(source="group_title", read_only=True, allow_null=True)


class ConventionProgressSerializer(serializers.Serializer):
    summary = ProgressSummarySerializer(read_only=True)
    by_thematic = ThematicProgressSerializer(many=True, read_only=True)


class ConventionSerializer(serializers.ModelSerializer):
    caf = CafSerializer(read_only=True)
    phase_label = serializers.CharField(source="get_phase_display", read_only=True)
    time_status = serializers.SerializerMethodField()
    renewal_due = serializers.BooleanField(read_only=True)
    reporting_frequency_label = serializers.CharField(
        source="get_reporting_frequency_display", read_only=True
    )
    thematics = ThematicSerializer(many=True, read_only=True)
    territories = CollectivitySerializer(many=True, read_only=True)
    signatories = SignatorySerializer(many=True, read_only=True)
    previous = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Convention
        fields = [
            "id",
            "name",
            "caf",
            "phase",
            "phase_label",
            "time_status",
            "renewal_due",
            "start_date",
            "end_date",
            "signed_on",
            "horizon_year",
            "vision",
            "purpose",
            "reporting_frequency",
            "reporting_frequency_label",
            "previous",
            "thematics",
            "territories",
            "signatories",
            "version",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(TimeStatusSerializer)
    def get_time_status(self, convention: Convention) -> dict:
        status = calendar.time_status(convention, self.context.get("today"))
        return TimeStatusSerializer(status).data


class ConventionDetailSerializer(ConventionSerializer):
    progress = ConventionProgressSerializer(read_only=True)

    class Meta(ConventionSerializer.Meta):
        fields = [*ConventionSerializer.Meta.fields, "progress"]


# --------------------------------------------------------------------------- diagnostics


class FindingSerializer(serializers.ModelSerializer):
    thematic = ThematicSerializer(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    priority_label = serializers.CharField(source="get_priority_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "thematic",
            "kind",
            "kind_label",
            "text",
            "priority",
            "priority_label",
            "source",
            "source_label",
        ]


class StatisticSerializer(serializers.ModelSerializer):
    collectivity = CollectivitySerializer(read_only=True)
    code = serializers.CharField(source="statistic.code", read_only=True)
    label = serializers.CharField(source="statistic.label", read_only=True)
    unit = serializers.CharField(source="statistic.unit", read_only=True)
    value = serializers.DecimalField(**DECIMAL)

    class Meta:
        model = TerritoryStatistic
        fields = ["id", "collectivity", "code", "label", "unit", "year", "value", "source"]


class DiagnosticSerializer(serializers.ModelSerializer):
    convention = serializers.PrimaryKeyRelatedField(read_only=True)
    findings = FindingSerializer(many=True, read_only=True)

    class Meta:
        model = Diagnostic
        fields = [
            "id",
            "convention",
            "method",
            "start_date",
            "end_date",
            "summary",
            "participants_count",
            "participation",
            "sources",
            "version",
            "findings",
        ]


class DiagnosticDetailSerializer(DiagnosticSerializer):
    statistics = StatisticSerializer(many=True, read_only=True)

    class Meta(DiagnosticSerializer.Meta):
        fields = [*DiagnosticSerializer.Meta.fields, "statistics"]


# --------------------------------------------------------------------------- action plan


class ObjectiveSerializer(serializers.ModelSerializer):
    convention = serializers.PrimaryKeyRelatedField(read_only=True)
    thematic = ThematicSerializer(read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    parent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    stake = serializers.SerializerMethodField()
    findings = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Objective
        fields = [
            "id",
            "convention",
            "thematic",
            "level",
            "level_label",
            "title",
            "change_sought",
            "parent",
            "stake",
            "findings",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
            "required": ["id", "title"],
        }
    )
    def get_stake(self, objective: Objective) -> dict | None:
        stake = objective.stake
        return None if stake is None else {"id": stake.pk, "title": stake.title}


class FundingLineSerializer(serializers.ModelSerializer):
    planned_amount = serializers.DecimalField(**DECIMAL)
    spent_amount = serializers.DecimalField(**DECIMAL)

    class Meta:
        model = FundingLine
        fields = ["id", "funder", "year", "nature", "planned_amount", "spent_amount"]


class FunderTotalSerializer(serializers.Serializer):
    funder = serializers.CharField(read_only=True)
    planned = serializers.DecimalField(**DECIMAL)
    spent = serializers.DecimalField(**DECIMAL)
    gap = serializers.DecimalField(**DECIMAL, help_text="Dépensé − prévu.")


class YearTotalSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    planned = serializers.DecimalField(**DECIMAL)
    spent = serializers.DecimalField(**DECIMAL)
    gap = serializers.DecimalField(**DECIMAL, help_text="Dépensé − prévu.")


class FundingSerializer(serializers.Serializer):
    """The fiche's funding plan and its totals (``actions.funding.funding_totals``)."""

    lines = FundingLineSerializer(many=True, read_only=True)
    per_funder = FunderTotalSerializer(many=True, read_only=True)
    per_year = YearTotalSerializer(many=True, read_only=True)
    planned = serializers.DecimalField(**DECIMAL)
    spent = serializers.DecimalField(**DECIMAL)
    gap = serializers.DecimalField(**DECIMAL, help_text="Dépensé − prévu.")


class WorkflowSerializer(serializers.Serializer):
    """Where the fiche stands in its workflow (``actions.workflow``)."""

    validated = serializers.BooleanField(read_only=True)
    editable = serializers.BooleanField(read_only=True)
    awaiting_opinion = serializers.BooleanField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    approved_version = serializers.IntegerField(read_only=True, allow_null=True)


class ActionSheetSerializer(serializers.ModelSerializer):
    convention = serializers.PrimaryKeyRelatedField(read_only=True)
    thematic = ThematicSerializer(read_only=True)
    other_thematics = ThematicSerializer(many=True, read_only=True)
    objective = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    workflow = serializers.SerializerMethodField()
    lead_user = PersonSerializer(read_only=True, allow_null=True)
    communes = CollectivitySerializer(many=True, read_only=True)
    funding = serializers.SerializerMethodField()

    class Meta:
        model = ActionSheet
        fields = [
            "id",
            "convention",
            "number",
            "title",
            "thematic",
            "other_thematics",
            "objective",
            "status",
            "status_label",
            "status_reason",
            "workflow",
            "lead",
            "lead_user",
            "partners",
            "target_public",
            "communes",
            "start_date",
            "end_date",
            "context",
            "goals",
            "description",
            "expected_results",
            "funding",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(WorkflowSerializer)
    def get_workflow(self, sheet: ActionSheet) -> dict:
        return WorkflowSerializer(
            {
                "validated": workflow.is_validated(sheet),
                "editable": workflow.is_editable(sheet),
                "awaiting_opinion": workflow.is_awaiting_opinion(sheet),
                "version": sheet.version,
                "approved_version": sheet.approved_version,
            }
        ).data

    @extend_schema_field(FundingSerializer)
    def get_funding(self, sheet: ActionSheet) -> dict:
        lines = list(sheet.funding_lines.all())  # prefetched
        return FundingSerializer({"lines": lines, **funding_totals(lines)}).data


# --------------------------------------------------------------------------- evaluation


class ProgressSerializer(serializers.Serializer):
    """An indicator's progress and late flag (``evaluation.progress.with_progress``)."""

    last_value = serializers.DecimalField(**DECIMAL, allow_null=True)
    last_date = serializers.DateField(read_only=True, allow_null=True)
    progress_pct = serializers.FloatField(read_only=True, allow_null=True)
    progress_bar_pct = serializers.FloatField(read_only=True, allow_null=True)
    expected_pct = serializers.FloatField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=list(progress.STATUS_LABELS), read_only=True)
    status_label = serializers.CharField(read_only=True)
    late = serializers.BooleanField(read_only=True)


class IndicatorSerializer(serializers.ModelSerializer):
    convention = serializers.IntegerField(source="convention_id", read_only=True)
    action_sheet = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    objective = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    direction_label = serializers.CharField(source="get_direction_display", read_only=True)
    frequency_label = serializers.CharField(source="get_frequency_display", read_only=True)
    baseline_value = serializers.DecimalField(**DECIMAL)
    target_value = serializers.DecimalField(**DECIMAL)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = [
            "id",
            "convention",
            "action_sheet",
            "objective",
            "name",
            "kind",
            "kind_label",
            "unit",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_date",
            "direction",
            "direction_label",
            "source",
            "frequency",
            "frequency_label",
            "progress",
        ]

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, indicator: Indicator) -> dict:
        return ProgressSerializer(
            {
                "last_value": indicator.last_value,
                "last_date": indicator.last_date,
                "progress_pct": indicator.progress_pct,
                "progress_bar_pct": indicator.progress_bar_pct,
                "expected_pct": indicator.expected_pct,
                "status": indicator.status,
                "status_label": progress.STATUS_LABELS[indicator.status],
                "late": indicator.status == progress.LATE,
            }
        ).data


class MeasurementSerializer(serializers.ModelSerializer):
    convention = serializers.IntegerField(source="convention_id", read_only=True)
    indicator = serializers.PrimaryKeyRelatedField(read_only=True)
    value = serializers.DecimalField(**DECIMAL)
    source = serializers.CharField(source="indicator.source", read_only=True)
    source_kind = serializers.ChoiceField(
        choices=Measurement.SourceKind.choices,
        read_only=True,
        help_text="Origine de la valeur : saisie, import du classeur de mesures ou données "
        "ouvertes de la Caf (une valeur des données ouvertes ne se modifie pas à la main).",
    )
    source_label = serializers.SerializerMethodField(
        help_text="D'où vient la valeur, en toutes lettres : qui l'a saisie et quand, ou le "
        "producteur, le jeu de données, le millésime et le fichier importé."
    )
    entered_by = PersonSerializer(read_only=True, allow_null=True)
    validation_state = serializers.ChoiceField(
        choices=Measurement.State.choices,
        read_only=True,
        help_text="Validation par la Caf : seules les mesures « validee » comptent dans les "
        "indicateurs (dernière valeur, progression).",
    )

    class Meta:
        model = Measurement
        fields = [
            "id",
            "convention",
            "indicator",
            "date",
            "value",
            "comment",
            "source",
            "source_kind",
            "source_label",
            "entered_by",
            "entered_at",
            "validation_state",
        ]

    def get_source_label(self, measurement: Measurement) -> str:
        return sources.source_label(measurement)


# --------------------------------------------------------------------------- reports


class ReportFilesSerializer(serializers.Serializer):
    pdf = serializers.URLField(read_only=True, allow_null=True)
    xlsx = serializers.URLField(read_only=True, allow_null=True)


class ReportSerializer(serializers.ModelSerializer):
    convention = serializers.PrimaryKeyRelatedField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    meeting = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    files = serializers.SerializerMethodField()

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "convention",
            "kind",
            "kind_label",
            "meeting",
            "period_start",
            "period_end",
            "status",
            "status_label",
            "requested_at",
            "generated_at",
            "files",
        ]

    @extend_schema_field(ReportFilesSerializer)
    def get_files(self, report: ProgressReport) -> dict:
        """Links to the API's downloads, for a report that is ready."""
        request = self.context.get("request")
        ready = report.status == ProgressReport.Status.READY

        def link(field: str) -> str | None:
            if not ready or not getattr(report, field):
                return None
            url = reverse(f"api:report_{field}", kwargs={"pk": report.pk})
            return request.build_absolute_uri(url) if request is not None else url

        return {"pdf": link("pdf"), "xlsx": link("xlsx")}


__all__ = [
    "ActionSheetSerializer",
    "ConventionDetailSerializer",
    "ConventionSerializer",
    "DiagnosticDetailSerializer",
    "DiagnosticSerializer",
    "IndicatorSerializer",
    "MeasurementSerializer",
    "ObjectiveSerializer",
    "ReportSerializer",
]
