from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Pièces justificatives"

    def ready(self) -> None:
        from . import signals  # noqa: F401
