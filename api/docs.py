"""The OpenAPI schema and its browsable documentation (Swagger UI from our own static
files: drf-spectacular-sidecar). The page loads no inline script nor style: its start-up
script is served by the same view (``?script``), so the site's CSP stays as strict."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer


class SchemaView(SpectacularAPIView):
    """The schema in JSON by default (``?format=yaml`` or ``Accept`` for YAML); its errors
    in JSON, as everywhere in the API."""

    renderer_classes = [
        OpenApiJsonRenderer2,
        OpenApiJsonRenderer,
        OpenApiYamlRenderer,
        OpenApiYamlRenderer2,
    ]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class DocsView(SpectacularSwaggerSplitView):
    template_name = "api/docs.html"
    url_name = "api:schema"
    title = "Documentation de l'API"


schema = SchemaView.as_view()
# A page for people: without a session, the login page (then back here).
docs = login_required(DocsView.as_view())
