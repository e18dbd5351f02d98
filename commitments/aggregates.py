"""SQL building blocks: a portable string aggregate (STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite), UNION ALL.

Lets one streamed query carry each commitment's themes, countries and actors, so exports and
report snapshots need no per-row queries and no model instances (``with_lists``).
"""

from __future__ import annotations

from django.db import connections
from django.db.models import Aggregate, CharField, Expression, F, Model, OuterRef, QuerySet, Subquery
from django.db.models.sql import Query
from django.db.models.sql.constants import LOUTER

SEPARATOR = "\x1f"  # ASCII unit separator: never typed into a name or slug


class ListAgg(Aggregate):
    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, CHR(31))"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="GROUP_CONCAT", template="%(function)s(%(expressions)s, CHAR(31))"
        )


def split(value: str | None) -> list[str]:
    return sorted(value.split(SEPARATOR)) if value else []


def union_all(parts: list[QuerySet]) -> QuerySet:
    """``UNION ALL`` of same-shaped ``values``/``values_list`` querysets (one of them: itself)."""
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


class ListAggPerRow(ListAgg):
    """ListAgg that the ORM does not GROUP BY: a correlated subquery then aggregates all of its rows."""

    contains_aggregate = False


class _GroupedJoin:
    """``LEFT OUTER JOIN (rows grouped by "key") alias ON alias.key = parent.pk``, as a ``Query.alias_map`` entry.

    Django joins tables only; this implements the part of ``sql.datastructures.Join`` the compiler uses.
    """

    filtered_relation = None
    nullable = True

    def __init__(
        self,
        *,
        rows: Query,
        name: str,
        parent_alias: str,
        pk_column: str,
        join_type: str = LOUTER,
        table_alias: str | None = None,
    ):
        self.rows, self.table_name, self.parent_alias, self.pk_column = rows, name, parent_alias, pk_column
        self.join_type, self.table_alias = join_type, table_alias

    def as_sql(self, compiler, connection) -> tuple[str, tuple]:
        sql, params = self.rows.get_compiler(connection=connection).as_sql()
        alias, qn = compiler.quote_name_unless_alias(self.table_alias), connection.ops.quote_name
        on = f"{alias}.{qn('key')} = {compiler.quote_name_unless_alias(self.parent_alias)}.{qn(self.pk_column)}"
        return f"{self.join_type} ({sql}) {alias} ON ({on})", tuple(params)

    def relabeled_clone(self, change_map: dict) -> _GroupedJoin:
        return _GroupedJoin(
            rows=self.rows,
            name=self.table_name,
            pk_column=self.pk_column,
            join_type=self.join_type,
            parent_alias=change_map.get(self.parent_alias, self.parent_alias),
            table_alias=change_map.get(self.table_alias, self.table_alias),
        )


class _JoinedColumn(Expression):
    """The ``joined`` column of a ``_GroupedJoin``."""

    output_field = CharField()

    def __init__(self, alias: str):
        super().__init__()
        self.alias = alias

    def as_sql(self, compiler, connection) -> tuple[str, tuple]:
        return f"{compiler.quote_name_unless_alias(self.alias)}.{connection.ops.quote_name('joined')}", ()

    def relabeled_clone(self, change_map: dict) -> _JoinedColumn:
        return _JoinedColumn(change_map.get(self.alias, self.alias))


def with_lists(*, queryset: QuerySet, lists: dict[str, tuple[type[Model], str, str]], every_row: bool) -> QuerySet:
    """Annotate each name in ``lists`` (through, owner, value): every ``value`` of the row's ``through`` rows,
    joined by ``SEPARATOR`` (NULL if none), the fastest way for the database.

    PostgreSQL runs a correlated subquery per row and list slowly (~5 s for 100,000 rows and three
    lists), so there each link table is grouped once and joined in the same query: all of it when
    ``every_row`` (the queryset has every commitment; cheapest), else only the queryset's rows (its
    filter runs once more per list, which beats grouping a whole table when few rows match).
    SQLite runs correlated subqueries fast, fastest with no GROUP BY or LIMIT.
    """
    if connections[queryset.db].vendor != "postgresql":
        return queryset.annotate(
            **{
                name: Subquery(
                    through.objects.filter(**{owner: OuterRef("pk")}).order_by().values(joined=ListAggPerRow(value))
                )
                for name, (through, owner, value) in lists.items()
            }
        )
    ids = queryset.order_by().values("pk")  # taken before any join is added to the query
    queryset = queryset.all()
    query, columns = queryset.query, {}
    for name, (through, owner, value) in lists.items():
        rows = through.objects.order_by()
        if not every_row:
            rows = rows.filter(**{f"{owner}__in": ids})
        rows = rows.values(key=F(owner)).annotate(joined=ListAgg(value))
        join = _GroupedJoin(
            rows=rows.query,
            name=f"{name}_list",
            parent_alias=query.get_initial_alias(),
            pk_column=queryset.model._meta.pk.column,
        )
        columns[name] = _JoinedColumn(query.join(join))
    return queryset.annotate(**columns)
