"""``seed_demo``: the demo's data, in the order each table always received it."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction

from conventions.models import Convention

from . import accounts, qrga, shared, sorbiers
from .builder import DemoBuilder, SeedResult

#: The demo data of the apps above portal (the publication of a convention…): each one is
#: called last, in the same transaction, with the builder and the demo conventions by key
#: (``"qrga"``, ``"sorbiers"``). Registered from the apps' ``ready()``, each once.
DemoSeeder = Callable[[DemoBuilder, dict[str, Convention]], None]
_EXTRA_SEEDERS: list[DemoSeeder] = []


def register_demo_seeder(seeder: DemoSeeder) -> DemoSeeder:
    if seeder not in _EXTRA_SEEDERS:
        _EXTRA_SEEDERS.append(seeder)
    return seeder


def seed_demo(*, today: datetime.date | None = None) -> SeedResult:
    """Create whatever the demo lacks, in one transaction, and say what was created."""
    builder = DemoBuilder(today=today)
    with transaction.atomic():
        qrga_territory = qrga.seed_territory(builder)
        sorbiers_territory = sorbiers.seed_territory(builder)
        users = accounts.seed_accounts(builder, qrga=qrga_territory, sorbiers=sorbiers_territory)
        conventions = {
            "qrga": qrga.seed_convention(builder, territory=qrga_territory, users=users),
            "sorbiers": sorbiers.seed_convention(
                builder, territory=sorbiers_territory, users=users
            ),
        }
        # The SDSF shared indicators of the Caf de la Loire, followed by Sorbiers.
        shared.seed_shared_indicators(builder, conventions["sorbiers"])
        for seeder in _EXTRA_SEEDERS:
            seeder(builder, conventions)
    return builder.result
