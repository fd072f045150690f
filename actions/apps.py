from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = "Plan d'actions"

    def ready(self) -> None:
        from conventions.lifecycle import register_phase_guard

        from .lifecycle import plan_has_validated_sheet

        register_phase_guard(plan_has_validated_sheet)
