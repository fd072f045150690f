"""The demo publishes the QRGA convention at a readable address (``make run`` shows it at
/public/ctg-quercy-rouergue/). Called by ``portal.demo.seed_demo`` after the conventions,
through the builder: created once, never modified (the seed stays idempotent)."""

from __future__ import annotations

from django.utils import timezone

from .models import Publication

DEMO_SLUG = "ctg-quercy-rouergue"


def seed_publication(builder, conventions: dict) -> None:
    qrga = conventions.get("qrga")
    if qrga is None:
        return
    # On a database where another convention took the address, the secret one.
    taken = Publication.objects.filter(slug=DEMO_SLUG).exclude(convention=qrga).exists()
    address = {"mode": Publication.Mode.SLUG, "slug": DEMO_SLUG} if not taken else {}
    builder.ensure(
        Publication,
        {"convention": qrga},
        {"published": True, "published_at": timezone.now(), "noindex": True, **address},
    )
