from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API de lecture"

    def ready(self) -> None:
        # The OpenAPI description of the token authentication (drf-spectacular extension).
        from . import schema  # noqa: F401
