"""A national-size data set for the benchmark (``generate_scale_data``).

Everything hangs off Cafs named ``Caf … (jeu d'échelle)``: their collectivities,
conventions and everything below, plus the users of those Cafs and
collectivities and the bench users (``…@jeu-echelle.ctg.test``). That is how
:func:`reset` finds the scale data and only it; demo and test data are never
touched (département codes and official codes already used are skipped).

Proportions for ``conventions=N`` (N=1,300 is a country): about ``N × 101/1300``
Cafs (at most one per département), ``N × 1250/1300`` EPCIs of 5 to 15 communes,
one convention per EPCI and renewals for the rest, 10 to 30 fiches per
convention (20 on average; the first convention of the first Caf, the largest
Caf, has 40), about 3.8 indicators per fiche and up to 22 monthly, quarterly,
half-yearly or yearly measurements per indicator.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, models, transaction

from actions.models import ActionSheet, Approval, FundingLine
from conventions.models import (
    Caf,
    CommitteeMember,
    Convention,
    User,
)
from diagnostics.models import TerritoryStatistic
from evaluation import readmodel
from evaluation.models import (
    Indicator,
    IndicatorTarget,
    Measurement,
    MeasurementPart,
)

from .fastinsert import bulk_load_session
from .generator import Generator
from .scale_data import EMAIL_DOMAIN, SUFFIX


def add_arguments(parser) -> None:
    """The options that describe the data set, shared by generate_scale_data and bench."""
    parser.add_argument("--conventions", type=int, default=1300)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--largest-fiches",
        type=int,
        default=40,
        help="Fiches de la plus grande convention (40 ; moins pour des essais rapides).",
    )


def scale_cafs() -> models.QuerySet[Caf]:
    return Caf.objects.filter(name__endswith=SUFFIX)


def existing_summary() -> dict[str, int] | None:
    cafs = scale_cafs()
    if not cafs.exists():
        return None
    return {
        "cafs": cafs.count(),
        "conventions": Convention.objects.filter(caf__in=cafs).count(),
    }


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    reused: bool = False
    phases: dict[str, float] = field(default_factory=dict)


def generate(
    *,
    conventions: int,
    seed: int = 42,
    today: datetime.date | None = None,
    largest_fiches: int = 40,
) -> Result:
    """Build the data set (or report that it exists). One transaction."""
    started = time.monotonic()
    existing = existing_summary()
    if existing:
        return Result(counts=existing, seconds=time.monotonic() - started, reused=True)
    generator = Generator(
        conventions=conventions, seed=seed, today=today, largest_fiches=largest_fiches
    )
    with transaction.atomic(), bulk_load_session() as triggers_off:
        generator.w.defer_indexes(
            Measurement, MeasurementPart, IndicatorTarget, TerritoryStatistic, Indicator,
            FundingLine, Approval, ActionSheet,
        )  # fmt: skip
        counts = generator.run()
        if triggers_off:
            generator.w.check_foreign_keys()
        # The COPIL seat held by the bench member (ids are known only now).
        CommitteeMember.objects.filter(pk=generator.largest_copil_member_id).update(
            user_id=generator.member_user_id
        )
        before_commit = time.monotonic()
    committed = time.monotonic()
    # The progress read model filled as a deployment has it (services keep it up to date),
    # so that the first view of a page measures the page, not the first fill of the table.
    readmodel.progress_rebuild()
    rebuilt = time.monotonic()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    done = time.monotonic()
    writing = generator.w.write_seconds
    indexing = generator.w.index_seconds
    return Result(
        counts=counts,
        seconds=done - started,
        phases={
            "génération (Python)": before_commit - started - writing - indexing,
            "écriture (COPY / INSERT)": writing,
            "index reconstruits": indexing,
            "validation (contraintes, COMMIT)": committed - before_commit,
            "modèle de lecture de la progression": rebuilt - committed,
            "statistiques (ANALYZE)": done - rebuilt,
        },
    )


# ---------------------------------------------------------------------- reset


def _delete_tree(model, qs, *, path: tuple, counts: Counter) -> None:
    """Delete the rows of ``qs`` and, first, every row that references them.

    Raw deletes (no signals, no per-object work): the children are found through
    the model's reverse relations, recursively; SET_NULL relations are cleared.
    """
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        child = rel.related_model
        on_delete = rel.on_delete
        if on_delete is models.DO_NOTHING or child in path:
            continue
        filter_ = {f"{rel.field.name}__in": qs.values("pk")}
        if on_delete is models.SET_NULL:
            child._base_manager.filter(**filter_).update(**{rel.field.name: None})
        elif child is model:
            continue  # self-reference: the rows are in the same set
        else:
            _delete_tree(child, child._base_manager.filter(**filter_), path=path + (child,),
                         counts=counts)  # fmt: skip
    counts[model._meta.label] += qs._raw_delete(qs.db)


def reset() -> dict[str, int]:
    """Remove the scale data (and only it), bottom-up, with raw deletes."""
    counts: Counter = Counter()
    with transaction.atomic(), bulk_load_session():
        cafs = Caf.objects.filter(name__endswith=SUFFIX)
        users = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
        _delete_tree(User, users, path=(User,), counts=counts)
        _delete_tree(Caf, cafs, path=(Caf,), counts=counts)
    return {label: n for label, n in counts.items() if n}
