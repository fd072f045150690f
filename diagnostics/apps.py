from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = "Diagnostic partagé"

    def ready(self) -> None:
        from conventions.lifecycle import register_phase_guard

        from .lifecycle import findings_cover_thematics

        register_phase_guard(findings_cover_thematics)
