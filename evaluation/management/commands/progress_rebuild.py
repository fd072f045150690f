"""``manage.py progress_rebuild``: the progress read model rebuilt from scratch."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from evaluation import readmodel


class Command(BaseCommand):
    help = (
        "Recalcule de zéro le modèle de lecture de la progression (indicateurs et conventions) "
        "par la règle de progression."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        count = readmodel.progress_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Progression recalculée pour {count} convention(s) "
                f"en {time.monotonic() - started:.1f} s."
            )
        )
