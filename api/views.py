"""The read API (/api/v1/): lists and details of what the user may see, nothing more.

Scope is the pages' (``conventions.permissions.conventions_visible_to``): an object of a
convention out of scope is absent from the lists and a 404 on its own. Each list costs a
fixed number of queries per page whatever the number of objects (related rows are
prefetched), and every figure comes from its one home: the calendar
(``conventions.calendar``), the renewal flag (``conventions.lifecycle``), the progress and
late rules (``evaluation.progress``), the fiche workflow (``actions.workflow``), the funding
totals (``actions.selectors``), the diagnostic's statistics (``diagnostics.selectors``), the
report files (``reports.views``).
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from actions.models import ActionSheet, Objective
from conventions import lifecycle
from conventions.models import Collectivity, Convention, Signatory, Thematic
from conventions.permissions import conventions_visible_to
from diagnostics.models import Diagnostic, Finding
from diagnostics.selectors import statistics_of
from evaluation import progress, readmodel, sources
from evaluation.models import Indicator, Measurement
from reports.models import ProgressReport
from reports.views import _download as report_file_response

from . import filters
from . import serializers as s

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _covers(code: str, path: str = "pk") -> Exists:
    """The convention (at ``path``) covers the thematic of this code."""
    return Exists(
        Convention.thematics.through.objects.filter(
            convention_id=OuterRef(path), thematic__code=code
        )
    )


def _changed_since(model, moment: datetime.datetime) -> Exists:
    """A record of the object's history (django-simple-history) at or after ``moment``."""
    return Exists(model.history.model.objects.filter(id=OuterRef("pk"), history_date__gte=moment))


def filter_conventions(qs: QuerySet[Convention], params: dict) -> QuerySet[Convention]:
    """The ``convention``, ``caf``, ``collectivity`` and ``phase`` parameters."""
    if "convention" in params:
        qs = qs.filter(pk=params["convention"])
    if "caf" in params:
        qs = qs.filter(caf_id=params["caf"])
    if "phase" in params:
        qs = qs.filter(phase=params["phase"])
    if "collectivity" in params:
        collectivity = params["collectivity"]
        qs = qs.filter(
            Exists(
                Signatory.objects.filter(convention=OuterRef("pk"), collectivity_id=collectivity)
            )
            | Exists(
                Convention.territories.through.objects.filter(
                    convention_id=OuterRef("pk"), collectivity_id=collectivity
                )
            )
        )
    return qs


class JsonOnly(BaseContentNegotiation):
    """The downloads answer their file, and their errors in JSON, whatever ``Accept`` says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return JSONRenderer(), JSONRenderer.media_type


# --------------------------------------------------------------------------- base classes


class ScopedMixin:
    """The objects of the conventions the user sees."""

    def visible_conventions(self) -> QuerySet[Convention]:
        return conventions_visible_to(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


class ScopedDetail(ScopedMixin, generics.RetrieveAPIView):
    not_found = "Introuvable."

    def get_object(self):
        # Out of scope as missing: the same 404, so that nobody learns what exists.
        if self.kwargs["pk"] > filters.MAX_ID:  # no such id in a bigint column
            raise exceptions.NotFound(self.not_found)
        try:
            return super().get_object()
        except Http404:
            raise exceptions.NotFound(self.not_found) from None


class ScopedList(ScopedMixin, generics.ListAPIView):
    params_class = filters.ListParams

    def list(self, request, *args, **kwargs):
        self.params = filters.validated(self.params_class, request.query_params)
        return super().list(request, *args, **kwargs)

    def filtered_conventions(self) -> QuerySet[Convention]:
        return filter_conventions(self.visible_conventions(), self.params)

    def filter_queryset(self, queryset):
        queryset = self.in_conventions(queryset, self.filtered_conventions().values("pk"))
        if "thematic" in self.params:
            queryset = self.on_thematic(queryset, self.params["thematic"])
        if "updated_since" in self.params:
            queryset = self.updated_since(queryset, self.params["updated_since"])
        return self.filter_more(queryset, self.params)

    def in_conventions(self, queryset, conventions):
        return queryset.filter(convention_id__in=conventions)

    # Every list that keeps this filter_queryset says what its thematic and its last change
    # are (the conventions and indicators lists filter on their own).
    def on_thematic(self, queryset, code: str):
        raise NotImplementedError(f"{type(self).__name__} must say how it filters by thematic")

    def updated_since(self, queryset, moment: datetime.datetime):
        raise NotImplementedError(f"{type(self).__name__} must say what « updated since » means")

    def filter_more(self, queryset, params: dict):
        return queryset


def list_schema(summary: str, description: str, *, extra: list | None = None):
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[*filters.COMMON_PARAMETERS, *(extra or [])],
    )


def detail_schema(summary: str, description: str = ""):
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[
            OpenApiParameter(
                "id",
                {"type": "integer", "minimum": 1, "maximum": filters.MAX_ID},
                OpenApiParameter.PATH,
                description="Identifiant (stable).",
            )
        ],
    )


# --------------------------------------------------------------------------- conventions


def conventions_queryset(qs: QuerySet[Convention]) -> QuerySet[Convention]:
    return lifecycle.with_renewal_flag(
        qs.select_related("caf").prefetch_related(
            Prefetch("thematics", queryset=Thematic.objects.order_by("order", "label")),
            Prefetch("territories", queryset=Collectivity.objects.order_by("name", "pk")),
            Prefetch(
                "signatories",
                queryset=Signatory.objects.select_related("collectivity", "caf").order_by(
                    "order", "id"
                ),
            ),
        )
    ).order_by("pk")


@list_schema(
    "Conventions",
    "Les conventions visibles par l'utilisateur, avec leurs signataires, thématiques, "
    "territoires, phase et statut dans le temps (calendrier).",
)
class ConventionList(ScopedList):
    serializer_class = s.ConventionSerializer

    def get_queryset(self):
        return conventions_queryset(self.visible_conventions())

    def filter_queryset(self, queryset):
        queryset = filter_conventions(queryset, self.params)
        if "thematic" in self.params:
            queryset = queryset.filter(_covers(self.params["thematic"]))
        if "updated_since" in self.params:
            queryset = queryset.filter(updated_at__gte=self.params["updated_since"])
        return queryset


@detail_schema(
    "Une convention",
    "Avec, en plus de la liste, l'avancement de ses indicateurs au total et par thématique "
    "(les chiffres de la Synthèse).",
)
class ConventionDetail(ScopedDetail):
    not_found = "Convention introuvable."
    serializer_class = s.ConventionDetailSerializer

    def get_queryset(self):
        return conventions_queryset(self.visible_conventions())

    def get_object(self):
        convention = super().get_object()
        by_thematic, summary = readmodel.thematic_and_total(convention=convention)
        convention.progress = {"summary": summary, "by_thematic": by_thematic}
        return convention


# --------------------------------------------------------------------------- diagnostics


def diagnostics_queryset() -> QuerySet[Diagnostic]:
    return Diagnostic.objects.prefetch_related(
        Prefetch(
            "findings",
            queryset=Finding.objects.select_related("thematic").order_by(
                "thematic__order", "priority", "id"
            ),
        )
    ).order_by("pk")


@list_schema(
    "Diagnostics",
    "Les diagnostics partagés, avec leurs constats. Les statistiques du territoire sont "
    "données par le diagnostic seul (/diagnostics/{id}/).",
)
class DiagnosticList(ScopedList):
    serializer_class = s.DiagnosticSerializer

    def get_queryset(self):
        return diagnostics_queryset()

    def on_thematic(self, queryset, code):
        return queryset.filter(_covers(code, "convention_id"))

    def updated_since(self, queryset, moment):
        return queryset.filter(_changed_since(Diagnostic, moment))


@detail_schema(
    "Un diagnostic",
    "Avec ses constats et les statistiques des collectivités de la convention.",
)
class DiagnosticDetail(ScopedDetail):
    not_found = "Diagnostic introuvable."
    serializer_class = s.DiagnosticDetailSerializer

    def get_queryset(self):
        return (
            diagnostics_queryset()
            .select_related("convention")
            .filter(convention_id__in=self.visible_conventions().values("pk"))
        )

    def get_object(self):
        diagnostic = super().get_object()
        diagnostic.statistics = list(statistics_of(convention=diagnostic.convention))
        return diagnostic


# --------------------------------------------------------------------------- objectives


def objectives_queryset() -> QuerySet[Objective]:
    return (
        Objective.objects.select_related("thematic", "stake")
        .prefetch_related(Prefetch("findings", queryset=Finding.objects.order_by("pk")))
        .order_by("pk")
    )


@list_schema("Objectifs", "Les objectifs (généraux et opérationnels) des plans d'actions.")
class ObjectiveList(ScopedList):
    serializer_class = s.ObjectiveSerializer

    def get_queryset(self):
        return objectives_queryset()

    def on_thematic(self, queryset, code):
        return queryset.filter(thematic__code=code)

    def updated_since(self, queryset, moment):
        return queryset.filter(_changed_since(Objective, moment))


@detail_schema("Un objectif")
class ObjectiveDetail(ScopedDetail):
    not_found = "Objectif introuvable."
    serializer_class = s.ObjectiveSerializer

    def get_queryset(self):
        return objectives_queryset().filter(
            convention_id__in=self.visible_conventions().values("pk")
        )


# --------------------------------------------------------------------------- fiches


def sheets_queryset() -> QuerySet[ActionSheet]:
    return (
        ActionSheet.objects.select_related("thematic", "lead_user")
        .prefetch_related(
            Prefetch("other_thematics", queryset=Thematic.objects.order_by("order", "label")),
            Prefetch("communes", queryset=Collectivity.objects.order_by("name", "pk")),
            Prefetch("funding_lines"),
        )
        .order_by("pk")
    )


class SheetParams(filters.ListParams):
    status = serializers.ChoiceField(choices=ActionSheet.Status.choices, required=False)


@list_schema(
    "Fiches action",
    "Les fiches action : statut et étape du circuit de validation, pilote, calendrier, "
    "plan de financement et ses totaux.",
    extra=[
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            OpenApiParameter.QUERY,
            enum=ActionSheet.Status.values,
            description="Statut de la fiche.",
        )
    ],
)
class SheetList(ScopedList):
    serializer_class = s.ActionSheetSerializer
    params_class = SheetParams

    def get_queryset(self):
        return sheets_queryset()

    def on_thematic(self, queryset, code):
        return queryset.filter(
            Q(thematic__code=code)
            | Exists(
                ActionSheet.other_thematics.through.objects.filter(
                    actionsheet_id=OuterRef("pk"), thematic__code=code
                )
            )
        )

    def updated_since(self, queryset, moment):
        return queryset.filter(updated_at__gte=moment)

    def filter_more(self, queryset, params):
        if "status" in params:
            queryset = queryset.filter(status=params["status"])
        return queryset


@detail_schema("Une fiche action")
class SheetDetail(ScopedDetail):
    not_found = "Fiche action introuvable."
    serializer_class = s.ActionSheetSerializer

    def get_queryset(self):
        return sheets_queryset().filter(convention_id__in=self.visible_conventions().values("pk"))


# --------------------------------------------------------------------------- indicators


def indicators_queryset(conventions) -> QuerySet[Indicator]:
    """The indicators of these conventions with their progress and late flag: the rule of
    the Synthèse (``evaluation.progress.with_progress``), not another."""
    return (
        progress.with_progress(progress.conventions_indicators(conventions))
        .annotate(
            convention_id=Coalesce(F("action_sheet__convention_id"), F("objective__convention_id"))
        )
        .order_by("pk")
    )


class IndicatorParams(filters.ListParams):
    status = serializers.ChoiceField(choices=list(progress.STATUS_LABELS), required=False)
    late = serializers.BooleanField(required=False, allow_null=True, default=None)
    action_sheet = filters.Id()
    objective = filters.Id()


@list_schema(
    "Indicateurs",
    "Les indicateurs des fiches et des objectifs : référence, cible, dernière mesure, "
    "progression, progression attendue, état et retard, calculés par la même règle que la "
    "Synthèse.",
    extra=[
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            OpenApiParameter.QUERY,
            enum=list(progress.STATUS_LABELS),
            description="État d'avancement.",
        ),
        OpenApiParameter(
            "late",
            OpenApiTypes.BOOL,
            OpenApiParameter.QUERY,
            description="true : les indicateurs en retard seuls ; false : les autres.",
        ),
        OpenApiParameter(
            "action_sheet",
            {"type": "integer", "minimum": 1, "maximum": filters.MAX_ID},
            OpenApiParameter.QUERY,
            description="Identifiant d'une fiche action.",
        ),
        OpenApiParameter(
            "objective",
            {"type": "integer", "minimum": 1, "maximum": filters.MAX_ID},
            OpenApiParameter.QUERY,
            description="Identifiant d'un objectif.",
        ),
    ],
)
class IndicatorList(ScopedList):
    serializer_class = s.IndicatorSerializer
    params_class = IndicatorParams

    def get_queryset(self):
        return Indicator.objects.none()  # built by filter_queryset, from the conventions

    def filter_queryset(self, queryset):
        queryset = indicators_queryset(self.filtered_conventions().values("pk"))
        params = self.params
        if "thematic" in params:
            code = params["thematic"]
            queryset = queryset.filter(
                Q(action_sheet__thematic__code=code) | Q(objective__thematic__code=code)
            )
        if "updated_since" in params:
            queryset = queryset.filter(_changed_since(Indicator, params["updated_since"]))
        if "status" in params:
            queryset = queryset.filter(status=params["status"])
        if params.get("late") is True:
            queryset = queryset.filter(status=progress.LATE)
        elif params.get("late") is False:
            queryset = queryset.exclude(status=progress.LATE)
        if "action_sheet" in params:
            queryset = queryset.filter(action_sheet_id=params["action_sheet"])
        if "objective" in params:
            queryset = queryset.filter(objective_id=params["objective"])
        return queryset


@detail_schema("Un indicateur", "Avec sa progression et son retard (règle de la Synthèse).")
class IndicatorDetail(ScopedDetail):
    not_found = "Indicateur introuvable."
    serializer_class = s.IndicatorSerializer

    def get_queryset(self):
        return indicators_queryset(self.visible_conventions().values("pk"))


# --------------------------------------------------------------------------- measurements


def measurements_queryset() -> QuerySet[Measurement]:
    return (
        # Where each value comes from (evaluation.sources.RELATED), joined.
        Measurement.objects.select_related("indicator", *sources.RELATED)
        .annotate(
            convention_id=Coalesce(
                F("indicator__action_sheet__convention_id"),
                F("indicator__objective__convention_id"),
            )
        )
        .order_by("pk")
    )


class MeasurementParams(filters.ListParams):
    indicator = filters.Id()


@list_schema(
    "Mesures",
    "Les mesures des indicateurs, avec leur source (celle de l'indicateur), leur origine "
    "(saisie, classeur, données ouvertes de la Caf), qui les a saisies et quand.",
    extra=[
        OpenApiParameter(
            "indicator",
            {"type": "integer", "minimum": 1, "maximum": filters.MAX_ID},
            OpenApiParameter.QUERY,
            description="Identifiant d'un indicateur.",
        )
    ],
)
class MeasurementList(ScopedList):
    serializer_class = s.MeasurementSerializer
    params_class = MeasurementParams

    def get_queryset(self):
        return measurements_queryset()

    def in_conventions(self, queryset, conventions):
        return queryset.filter(
            indicator_id__in=progress.conventions_indicators(conventions).values("pk")
        )

    def on_thematic(self, queryset, code):
        return queryset.filter(
            Q(indicator__action_sheet__thematic__code=code)
            | Q(indicator__objective__thematic__code=code)
        )

    def updated_since(self, queryset, moment):
        return queryset.filter(entered_at__gte=moment)

    def filter_more(self, queryset, params):
        if "indicator" in params:
            queryset = queryset.filter(indicator_id=params["indicator"])
        return queryset


@detail_schema("Une mesure")
class MeasurementDetail(ScopedDetail):
    not_found = "Mesure introuvable."
    serializer_class = s.MeasurementSerializer

    def get_queryset(self):
        return measurements_queryset().filter(
            indicator_id__in=progress.conventions_indicators(
                self.visible_conventions().values("pk")
            ).values("pk")
        )


# --------------------------------------------------------------------------- reports


def reports_queryset() -> QuerySet[ProgressReport]:
    # Without the frozen snapshot (tens of kilobytes each), as reports.selectors.reports_of.
    return ProgressReport.objects.defer("snapshot").order_by("pk")


@list_schema(
    "Rapports",
    "Les rapports d'avancement et dossiers de séance : période, état, liens vers leurs "
    "fichiers PDF et XLSX quand ils sont prêts.",
)
class ReportList(ScopedList):
    serializer_class = s.ReportSerializer

    def get_queryset(self):
        return reports_queryset()

    def on_thematic(self, queryset, code):
        return queryset.filter(_covers(code, "convention_id"))

    def updated_since(self, queryset, moment):
        return queryset.filter(Q(requested_at__gte=moment) | Q(generated_at__gte=moment))


@detail_schema("Un rapport")
class ReportDetail(ScopedDetail):
    not_found = "Rapport introuvable."
    serializer_class = s.ReportSerializer

    def get_queryset(self):
        return reports_queryset().filter(convention_id__in=self.visible_conventions().values("pk"))


class ReportFile(ReportDetail):
    """A report's file, as the Rapports tab gives it (``reports.views``)."""

    content_negotiation_class = JsonOnly
    field = ""
    content_type = ""

    def retrieve(self, request, *args, **kwargs):
        return report_file_response(self.get_object(), self.field, self.content_type)


def _file_schema(content_type: str, summary: str):
    return extend_schema(
        summary=summary,
        description="Le fichier d'un rapport prêt ; 404 tant qu'il ne l'est pas.",
        parameters=[
            OpenApiParameter(
                "id",
                {"type": "integer", "minimum": 1, "maximum": filters.MAX_ID},
                OpenApiParameter.PATH,
                description="Identifiant du rapport.",
            )
        ],
        responses={
            (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="Le fichier.")
        },
    )


@_file_schema(PDF, "Le PDF d'un rapport")
class ReportPdf(ReportFile):
    field, content_type = "pdf", PDF


@_file_schema(XLSX, "Le classeur XLSX d'un rapport")
class ReportXlsx(ReportFile):
    field, content_type = "xlsx", XLSX


class UnknownAddress(APIView):
    """Any other address under /api/v1/ (a mistyped path, an id that is not a number): a
    404 in the API's JSON, not the HTML page of the site."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound(f"Adresse inconnue de l'API : {request.path}")
