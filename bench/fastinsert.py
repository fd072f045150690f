"""Fast inserts for the scale data: rows are plain tuples, ids are allocated here.

On PostgreSQL every table is written with ``COPY … FROM STDIN`` (psycopg2's
``copy_expert``, text format); elsewhere (SQLite) with ``executemany``. Ids are
given explicitly (from ``MAX(id) + 1``) so that children can reference their
parents without reading anything back; on PostgreSQL the sequences are moved
past the new ids at the end (:meth:`FastWriter.finish`).
"""

from __future__ import annotations

import contextlib
import datetime
import io
import time
from collections.abc import Iterable, Sequence

from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

BATCH_ROWS = 100_000


def _pg_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


class Table:
    """One table being filled: explicit columns plus constant defaults for the rest."""

    def __init__(self, writer: FastWriter, model: type[models.Model], columns: Sequence[str]):
        self.writer = writer
        self.model = model
        self.name = model._meta.db_table
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise ValueError(f"{model.__name__}: unknown columns {unknown}")
        now = writer.now
        extra_fields, extra_values = [], []
        for attname, field in by_attname.items():
            if attname in columns or field.primary_key:
                continue  # an omitted primary key is left to the database
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            elif field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            elif field.empty_strings_allowed and not field.primary_key:
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{attname} needs a value")
            extra_fields.append(field)
            extra_values.append(value)
        self.fields = [by_attname[c] for c in columns] + extra_fields
        self.extra = tuple(extra_values)
        self.rows: list[tuple] = []
        self.count = 0
        self.seconds = 0.0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def extend(self, rows: Iterable[tuple]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        if not self.rows:
            return
        self.writer.write(self, self.rows)
        self.count += len(self.rows)
        self.rows = []


@contextlib.contextmanager
def bulk_load_session():
    """Inside a transaction on PostgreSQL: skip the per-row foreign key triggers.

    ``session_replication_role = replica`` (what ``pg_restore --disable-triggers``
    does) needs a superuser; without the right, the load runs with the triggers
    and is only slower. The rows are then checked set-wise by
    :meth:`FastWriter.check_foreign_keys`. Yields whether the triggers are off.
    """
    if connection.vendor != "postgresql":
        yield False
        return
    disabled = False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        disabled = True
    except DatabaseError:
        disabled = False
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
    yield disabled


class FastWriter:
    def __init__(self):
        self.vendor = connection.vendor
        self.now = timezone.now()
        self.tables: dict[type[models.Model], Table] = {}
        self._next_id: dict[str, int] = {}
        self.write_seconds = 0.0
        self._recreate: list[str] = []
        self.index_seconds = 0.0

    # -- indexes
    def defer_indexes(self, *model_classes: type[models.Model]) -> None:
        """PostgreSQL: drop the secondary indexes and unique constraints of these
        tables now and build them again in :meth:`finish` (a sorted build is many
        times faster than maintaining the indexes row by row; unique constraints
        are still enforced when they are added back)."""
        if self.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for model in model_classes:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'u'",
                    [model._meta.db_table],
                )
                for name, definition in cursor.fetchall():
                    quoted = connection.ops.quote_name(name)
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quoted}")
                    self._recreate.append(
                        f"ALTER TABLE {table} ADD CONSTRAINT {quoted} {definition}"
                    )
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                    [model._meta.db_table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                    self._recreate.append(definition)

    # -- ids
    def ids(self, model: type[models.Model], n: int) -> range:
        """Reserve ``n`` consecutive ids for ``model``."""
        table = model._meta.db_table
        if table not in self._next_id:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")
                self._next_id[table] = (cursor.fetchone()[0] or 0) + 1
        start = self._next_id[table]
        self._next_id[table] = start + n
        return range(start, start + n)

    def next_id(self, model: type[models.Model]) -> int:
        return self.ids(model, 1).start

    # -- rows
    def table(self, model: type[models.Model], columns: Sequence[str]) -> Table:
        if model not in self.tables:
            self.tables[model] = Table(self, model, columns)
        return self.tables[model]

    def write(self, table: Table, rows: list[tuple]) -> None:
        started = time.monotonic()
        try:
            self._write(table, rows)
        finally:
            elapsed = time.monotonic() - started
            self.write_seconds += elapsed
            table.seconds += elapsed

    def _write(self, table: Table, rows: list[tuple]) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in table.fields)
        extra = table.extra
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                buffer = io.StringIO()
                write = buffer.write
                for row in rows:
                    write("\t".join(map(_pg_text, row + extra)))
                    write("\n")
                buffer.seek(0)
                cursor.copy_expert(f"COPY {quote(table.name)} ({columns}) FROM STDIN", buffer)
            else:
                adapt = [
                    connection.ops.adapt_datetimefield_value
                    if isinstance(f, models.DateTimeField)
                    else None
                    for f in table.fields
                ]
                width = len(rows[0])
                extra = tuple(
                    adapt[width + i](v) if adapt[width + i] else v for i, v in enumerate(extra)
                )
                positions = [i for i in range(width) if adapt[i]]
                if positions:
                    prepared = []
                    for row in rows:
                        values = list(row)
                        for i in positions:
                            values[i] = adapt[i](values[i])
                        prepared.append(tuple(values) + extra)
                else:
                    prepared = [row + extra for row in rows]
                marks = ", ".join(["%s"] * len(table.fields))
                cursor.executemany(
                    f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})", prepared
                )

    def finish(self) -> dict[str, int]:
        """Flush every table (parents first: creation order) and fix the sequences."""
        for table in self.tables.values():
            table.flush()
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                started = time.monotonic()
                for statement in self._recreate:
                    cursor.execute(statement)
                self._recreate = []
                self.index_seconds = time.monotonic() - started
                for table in self.tables.values():
                    pk = table.model._meta.pk
                    if not isinstance(pk, models.AutoField | models.BigAutoField):
                        continue
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence(%s, %s), "
                        f"GREATEST((SELECT MAX({pk.column}) FROM "
                        f"{connection.ops.quote_name(table.name)}), 1))",
                        [table.name, pk.column],
                    )
        return {t.model._meta.label: t.count for t in self.tables.values()}

    def check_foreign_keys(self) -> None:
        """Every foreign key of the rows written points at an existing row (one
        anti-join per key, instead of one trigger per row)."""
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in self.tables.values():
                for f in table.model._meta.concrete_fields:
                    if not f.is_relation or not f.db_constraint:
                        continue
                    parent = f.related_model._meta
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {quote(table.name)} c "
                        f"LEFT JOIN {quote(parent.db_table)} p "
                        f"ON c.{quote(f.column)} = p.{quote(f.target_field.column)} "
                        f"WHERE c.{quote(f.column)} IS NOT NULL "
                        f"AND p.{quote(f.target_field.column)} IS NULL"
                    )
                    orphans = cursor.fetchone()[0]
                    if orphans:
                        raise DatabaseError(
                            f"{table.model._meta.label}.{f.name}: {orphans} référence(s) orpheline(s)"
                        )
