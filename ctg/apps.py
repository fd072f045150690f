from django.apps import AppConfig


class CtgConfig(AppConfig):
    """The base layer: settings, shared widgets, formatting and presentation of figures."""

    name = "ctg"
    verbose_name = "CTG"

    def ready(self):
        from . import lookups  # noqa: F401 - registers the project's lookups
