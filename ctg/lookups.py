"""The project's own lookups, registered when this module is imported (``ctg.apps``).

``pk__in_ids=<subquery>``: ``__in`` that PostgreSQL answers from the primary key index.
With ``pk IN (SELECT … UNION SELECT …)`` the planner estimated the subquery badly and
hash-joined a sequential scan of the whole table (100,000 indicators for the 2,000 of
a Caf's portfolio: two thirds of the page's query). ``pk = ANY(ARRAY(subquery))`` runs
the subquery once and fetches its rows by index. Other databases keep ``IN``.

``IntegerFieldIn``: integer ``__in`` that a hostile id cannot turn into a server error.
Django answers ``pk=99999999999999999999`` with no row (``IntegerFieldExact``), but not
``pk__in=[99999999999999999999]``: SQLite's driver raises ``OverflowError`` (a 500 under
``make run``), and that is what a multiple choice field (``ModelMultipleChoiceField``) asks
with the ids a form posts. The values no integer column can hold (nothing can match them)
are dropped before the query is built.
"""

from __future__ import annotations

from django.db.models import AutoField, BigAutoField, IntegerField
from django.db.models.lookups import In
from django.db.models.sql.query import Query


class InIds(In):
    lookup_name = "in_ids"

    def as_postgresql(self, compiler, connection):
        if not isinstance(self.rhs, Query):
            return self.as_sql(compiler, connection)  # a list of values: plain IN
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


class IntegerFieldIn(In):
    def as_sql(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type()
            )
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().as_sql(compiler, connection)


AutoField.register_lookup(InIds)
BigAutoField.register_lookup(InIds)
IntegerField.register_lookup(IntegerFieldIn)
