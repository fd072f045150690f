"""Test settings: the same configuration, with fast hashing and in-memory e-mail."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
# Tests run tasks in-process; the integration tests that need a real worker
# switch this off themselves.
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Factories write around the services (no data version bumped): fragments are drawn at every
# view, but in the tests of the cache itself (tests/test_fragment_cache.py).
FRAGMENT_CACHE_SECONDS = 0
# Connections of worker threads (real-worker tests) close after each task instead of
# lingering until the test database is dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
