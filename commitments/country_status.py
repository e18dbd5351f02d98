"""The status of a commitment in one country: one rule, in all its forms side by side.

A commitment is assessed either *regionally* (one status for the whole commitment: every one of its
countries shows it, labelled "regional") or *per country*. A per-country commitment's status in a
country is the latest published update for that country (by as-of date; on a past day, the latest
by that day); with none, "Not yet assessed" there: never its overall status, never another
country's. (Its overall status, from the updates that name no country, is assessed on its own.)

Each form below says the same thing for its engine; ``tests/test_rules.py`` runs them on the same
rows. SQL for pages counted in the database, numpy for the facet index, Python for reports and the
commitment page. This module imports only ``status`` (``querysets`` and ``models`` import it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from . import status as rules
from .status import Status

REGIONAL, PER_COUNTRY = "regional", "per_country"
NOT_ASSESSED = Status.NOT_ASSESSED.value
# What a stored ``CountryStatus`` column falls back to when a per-country commitment has no row there.
_MISSING = {"status": Value(NOT_ASSESSED)}


def label(scope: str) -> str:
    """How a status shown for one country is qualified: a regional status is the same in every country."""
    return "regional" if scope == REGIONAL else ""


# --- SQL -------------------------------------------------------------------------------------
# ``commitment``/``country``: how the outer row names them (``OuterRef("pk")`` and a country id on a
# commitment row; ``OuterRef("commitment_id")``/``OuterRef("country_id")`` on a link row); ``via``: the
# path from the outer row to the commitment's own columns ("" or "commitment__").


def per_country_q(via: str = "") -> Q:
    return Q(**{f"{via}assessment_scope": PER_COUNTRY})


def describes_q(countries: list[int], via: str = "") -> Q:
    """SQL, per status update: it describes one of ``countries`` (ids; every update when none): that country's
    own update of a per-country commitment, or an overall update of a regional one — never another country's
    update, nor a per-country commitment's overall one. (The feed and /updates/ filtered by country.)"""
    if not countries:
        return Q()
    commitment = f"{via}commitment__"
    return (Q(**{f"{via}country__in": countries}) & per_country_q(commitment)) | (
        Q(**{f"{via}country": None}) & ~per_country_q(commitment))


def current_expression(stored: models.QuerySet, *, field: str, overall: str, commitment=None, country,
                       via: str = "") -> Case:
    """SQL: ``field`` (``status``, ``status_date`` or ``status_precision``) of the status in ``country`` now.

    ``stored``: the ``CountryStatus`` rows (derived from the latest published country update);
    ``overall``: the commitment's own column for a regional commitment (e.g. ``current_status``).
    """
    commitment = OuterRef("pk") if commitment is None else commitment
    here = Subquery(stored.filter(commitment=commitment, country=country).values(field)[:1])
    if field in _MISSING:
        here = Coalesce(here, _MISSING[field])
    return Case(When(per_country_q(via), then=here), default=F(f"{via}{overall}"))


def current_joined_expression(joined: str, *, field: str, overall: str) -> Case:
    """SQL: as ``current_expression``, reading the stored row through a join (``joined``: the alias of a
    ``FilteredRelation`` of ``country_statuses`` to the one country), which a planner serves far better
    than a correlated subquery per row when a whole list is filtered or counted by it."""
    here = F(f"{joined}__{field}")
    if field in _MISSING:
        here = Coalesce(here, _MISSING[field])
    return Case(When(per_country_q(), then=here), default=F(overall))


def on_day_expression(published: models.QuerySet, day: date, *, field: str = "status", commitment=None, country,
                      via: str = "") -> Case:
    """SQL: ``field`` of the update that holds in ``country`` on ``day`` (status: ``not_assessed`` with none).

    A regional commitment's: its overall updates' (those naming no country); a per-country one's: that
    country's updates only.
    """
    commitment = OuterRef("pk") if commitment is None else commitment
    here = rules.status_on_subquery(published.filter(country=country), day, field=field, commitment=commitment)
    overall = rules.status_on_subquery(published.filter(country=None), day, field=field, commitment=commitment)
    expression = Case(When(per_country_q(via), then=here), default=overall)
    return Coalesce(expression, _MISSING[field]) if field in _MISSING else expression


def link_annotations(*, day: date | None, stored: models.QuerySet | None = None,
                     published: models.QuerySet | None = None) -> tuple[Case, Case]:
    """SQL, per row of the commitment–country link table: (status, status date) in that country, now or on ``day``.

    ``stored``/``published``: the ``CountryStatus`` rows and the published updates (looked up from the
    apps registry when not given: this module never imports models).
    """
    from django.apps import apps

    where = {"commitment": OuterRef("commitment_id"), "country": OuterRef("country_id"), "via": "commitment__"}
    if day is None:
        stored = stored if stored is not None else apps.get_model("commitments", "CountryStatus").objects.all()
        return (current_expression(stored, field="status", overall="current_status", **where),
                current_expression(stored, field="status_date", overall="current_status_date", **where))
    if published is None:
        published = apps.get_model("commitments", "StatusUpdate").objects.published()
    return (on_day_expression(published, day, field="status", **where),
            on_day_expression(published, day, field="as_of", **where))


def link_evidence(*, day: date | None, stored: models.QuerySet | None = None,
                  published: models.QuerySet | None = None) -> tuple[Case, Case]:
    """SQL, per row of the link table, beside ``link_annotations``: (the precision of the status date, the id of
    the published update the status in that country comes from: its evidence; null when not assessed).

    Now, per country: the stored country status's update; regional: the commitment's latest overall update
    (the one its stored status is derived from). On ``day``: the update that held then, by the same rule.
    """
    from django.apps import apps

    where = {"commitment": OuterRef("commitment_id"), "country": OuterRef("country_id"), "via": "commitment__"}
    if published is None:
        published = apps.get_model("commitments", "StatusUpdate").objects.published()
    if day is not None:
        return (on_day_expression(published, day, field="as_of_precision", **where),
                on_day_expression(published, day, field="id", **where))
    stored = stored if stored is not None else apps.get_model("commitments", "CountryStatus").objects.all()
    here = Subquery(stored.filter(commitment=where["commitment"], country=where["country"]).values("update")[:1])
    overall = Subquery(published.filter(country=None, commitment=where["commitment"])
                       .order_by(*rules.EFFECTIVE_ORDER).values("id")[:1])
    update = Case(When(per_country_q("commitment__"), then=here), default=overall, output_field=models.IntegerField())
    return (current_expression(stored, field="status_precision", overall="current_status_precision", **where), update)


# --- numpy (the facet index: one entry per country link) ---------------------------------------


def link_status_array(*, per_country: np.ndarray, rows: np.ndarray, overall: np.ndarray,
                      stored: np.ndarray) -> np.ndarray:
    """numpy: each link's status in its country: the stored country status (``NOT_ASSESSED``'s code where
    none) for a per-country commitment, the row's overall status for a regional one.

    ``per_country``/``overall`` are per commitment row, ``rows`` maps each link to its row, ``stored`` is per link.
    """
    return np.where(per_country[rows], stored, overall[rows])


def link_last_news_array(*, per_country: np.ndarray, rows: np.ndarray, overall: np.ndarray, stored: np.ndarray,
                         made: np.ndarray) -> np.ndarray:
    """numpy: each link's last news for the stale rule: the country status date, else the date made (per
    country); the row's own last news (regional)."""
    mine = np.where(stored != rules.NO_DAY, stored, made[rows])
    return np.where(per_country[rows], mine, overall[rows])


# --- Python --------------------------------------------------------------------------------------


def status_in_country(*, scope: str, overall_updates: Iterable[tuple], country_updates: Iterable[tuple],
                      day: date = date.max) -> tuple[str, date | None]:
    """Python: the status in a country on ``day`` (default: now) and its date; updates as ``status.status_on``
    takes them, ``(as_of, published_at, id, status)``, published ones only."""
    return rules.status_on(country_updates if scope == PER_COUNTRY else overall_updates, day)
