"""``seed_demo``: the demo's data, in the order each table always received it."""

from __future__ import annotations

import datetime

from django.db import transaction

from . import accounts, qrga, sorbiers
from .builder import DemoBuilder, SeedResult


def seed_demo(*, today: datetime.date | None = None) -> SeedResult:
    """Create whatever the demo lacks, in one transaction, and say what was created."""
    builder = DemoBuilder(today=today)
    with transaction.atomic():
        qrga_territory = qrga.seed_territory(builder)
        sorbiers_territory = sorbiers.seed_territory(builder)
        users = accounts.seed_accounts(builder, qrga=qrga_territory, sorbiers=sorbiers_territory)
        qrga.seed_convention(builder, territory=qrga_territory, users=users)
        sorbiers.seed_convention(builder, territory=sorbiers_territory, users=users)
    return builder.result
