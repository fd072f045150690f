"""Integer lookups that a hostile id cannot turn into a server error.

Django answers ``pk=99999999999999999999`` with no row (``IntegerFieldExact``), but not
``pk__in=[99999999999999999999]``: SQLite's driver raises ``OverflowError`` (a 500 under
``make run``), and that is what a multiple choice field (``ModelMultipleChoiceField``) asks
with the ids a form posts. ``IntegerFieldIn`` drops the values no integer column can hold
(nothing can match them) before the query is built; registered on ``IntegerField`` (and so
on every auto primary key) by ``ctg.apps``.
"""

from __future__ import annotations

from django.db.models import IntegerField
from django.db.models.lookups import In


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


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)
