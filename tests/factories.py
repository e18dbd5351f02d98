"""Test data builders: one place, plain functions, sensible defaults, keyword overrides."""

from __future__ import annotations

import itertools
from datetime import date

from django.contrib.auth.models import Group, User

from commitments import roles, services
from commitments.models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme

_seq = itertools.count(1)


def source(**kw) -> Source:
    n = next(_seq)
    defaults = {
        "slug": f"source-{n}",
        "title": f"Source {n}",
        "issuer": "European Commission",
        "date": date(2019, 5, 15),
        "kind": Source.Kind.STRATEGY,
        "url": f"https://example.org/source-{n}",
    }
    return Source.objects.create(**(defaults | kw))


def theme(**kw) -> Theme:
    n = next(_seq)
    return Theme.objects.create(**({"slug": f"theme-{n}", "name": f"Theme {n}"} | kw))


def actor(**kw) -> Actor:
    n = next(_seq)
    return Actor.objects.create(**({"slug": f"actor-{n}", "name": f"Actor {n}"} | kw))


def country(slug: str = "kz", name: str = "Kazakhstan") -> Country:
    return Country.objects.get_or_create(slug=slug, defaults={"name": name})[0]


def commitment(**kw) -> Commitment:
    n = next(_seq)
    defaults = {
        "slug": f"commitment-{n}",
        "title": f"Commitment {n}",
        "quote": f"The EU will do thing {n}.",
        "date_made": date(2019, 5, 15),
        "state": Commitment.State.PUBLISHED,
    }
    values = defaults | kw
    if "source" not in values:
        values["source"] = source()
    return Commitment.objects.create(**values)


def update(commitment: Commitment, *, status: str = "in_progress", as_of: date = date(2020, 1, 1),
           published: bool = False, evidence: int = 1, by: User | None = None, **kw) -> StatusUpdate:
    """A status update with ``evidence`` supporting items; published through the service if asked."""
    u = StatusUpdate.objects.create(commitment=commitment, status=status, as_of=as_of,
                                    summary=kw.pop("summary", "Summary."), **kw)
    for i in range(evidence):
        Evidence.objects.create(commitment=commitment, status_update=u, title=f"Evidence {i}",
                                publisher="Publisher", date=as_of, url=f"https://example.org/e/{u.pk}/{i}",
                                stance=Evidence.Stance.SUPPORTS)
    if published:
        services.publish_status_update(update=u, user=by)
    return u


def staff(role: str | None = None, username: str | None = None) -> User:
    """A staff user in the given role (``roles.EDITORS`` or ``roles.PUBLISHERS``)."""
    user = User.objects.create_user(username=username or f"user{next(_seq)}", password="pw-for-tests-only", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def editor(**kw) -> User:
    return staff(roles.EDITORS, **kw)


def publisher(**kw) -> User:
    return staff(roles.PUBLISHERS, **kw)
