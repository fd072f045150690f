"""The stored file of a removed piece of evidence goes once the removal is committed, however
it was removed (the delete service, or the cascade of a measurement, an observation, a fiche
or a convention removed)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Evidence


@receiver(post_delete, sender=Evidence)
def remove_stored_file(sender, instance: Evidence, **kwargs) -> None:
    if not instance.file:
        return
    name, storage = instance.file.name, instance.file.storage
    transaction.on_commit(lambda: storage.delete(name))
