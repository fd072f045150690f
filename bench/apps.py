from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Performance tooling at national scale (make bench): above every app, never below."""

    name = "bench"
    verbose_name = "Banc de performance"
