"""Where evidence files are kept: the ``"evidence"`` alias of ``STORAGES``.

By default a folder of the file system, ``MEDIA_ROOT/evidence`` (it follows ``MEDIA_ROOT``,
also when a test changes it), with no public address: a file is only ever read back through
``evidence.views.download``, which checks that the person sees the convention. A deployment
moves the files to an object store by pointing the alias at another backend (django-storages'
S3 or Azure storage, with private objects): the code reads and writes through
``django.core.files.storage.storages["evidence"]`` only.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils.functional import cached_property


class EvidenceStorage(FileSystemStorage):
    """``MEDIA_ROOT/evidence`` unless given a location; no URL, ever."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, os.path.join(settings.MEDIA_ROOT, "evidence"))

    def url(self, name):
        raise ValueError("Une pièce justificative n'a pas d'adresse publique.")


def evidence_storage():
    """The storage of the evidence files (a callable, so that the model and its migration do
    not freeze the backend)."""
    return storages["evidence"]
