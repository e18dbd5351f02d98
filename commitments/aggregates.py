"""A portable string aggregate: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite.

Lets one streamed query carry each commitment's themes, countries and actors, so exports and
report snapshots need no per-row queries and no model instances.
"""

from django.db.models import Aggregate, CharField, OuterRef, Subquery

SEPARATOR = "\x1f"  # ASCII unit separator: never typed into a name or slug


class ListAgg(Aggregate):
    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, CHR(31))"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="GROUP_CONCAT", template="%(function)s(%(expressions)s, CHAR(31))"
        )


def joined(through, owner: str, value: str) -> Subquery:
    """Per outer row: every ``value`` of its ``through`` rows, joined by ``SEPARATOR`` (NULL if none)."""
    rows = through.objects.filter(**{owner: OuterRef("pk")}).order_by().values(owner)
    return Subquery(rows.annotate(joined=ListAgg(value)).values("joined")[:1])


def split(value: str | None) -> list[str]:
    return sorted(value.split(SEPARATOR)) if value else []
