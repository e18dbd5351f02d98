"""Test data builders: one place, plain functions, sensible defaults, keyword overrides."""

from __future__ import annotations

import itertools
from datetime import date

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from commitments import roles, services
from commitments.models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme

_seq = itertools.count(1)
REASON = "Checked against the evidence."  # the public reason factories give when they publish or archive


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
    if values.get("due_date") and not values.get("due_text"):
        values["due_text"] = "by the stated date"  # a due date needs the source's words for it
    if "source" not in values:
        values["source"] = source()
    c = Commitment.objects.create(**values)
    services.refresh_known_since(commitment=c)  # as the admin and the importer do after a save
    return c


# What a status's supporting evidence shows by default: the kind its evidence rule asks for
# (``status.EVIDENCE_RULES``), so a factory update can be published.
INDICATES_FOR = {
    "not_started": Evidence.Indicates.ANNOUNCED,
    "in_progress": Evidence.Indicates.UNDER_WAY,
    "stalled": Evidence.Indicates.UNDER_WAY,
    "partially_achieved": Evidence.Indicates.DONE,
    "achieved": Evidence.Indicates.DONE,
    "abandoned": Evidence.Indicates.DROPPED,
}


def update(commitment: Commitment, *, status: str = "in_progress", as_of: date = date(2020, 1, 1),
           published: bool = False, evidence: int = 1, by: User | None = None, indicates: str | None = None,
           reason: str = REASON, **kw) -> StatusUpdate:
    """A status update with ``evidence`` supporting items; published through the service if asked.

    The items show what the status's evidence rule asks for (``INDICATES_FOR``) unless ``indicates`` says.
    """
    u = StatusUpdate.objects.create(commitment=commitment, status=status, as_of=as_of,
                                    summary=kw.pop("summary", "Summary."), **kw)
    for i in range(evidence):
        Evidence.objects.create(commitment=commitment, status_update=u, title=f"Evidence {i}",
                                publisher="Publisher", date=as_of, url=f"https://example.org/e/{u.pk}/{i}",
                                stance=Evidence.Stance.SUPPORTS, indicates=indicates or INDICATES_FOR[status])
    if evidence:
        services.refresh_known_since(commitment=commitment)
    if published:
        services.publish_status_update(update=u, user=by, reason=reason)
    return u


def staff(role: str | None = None, username: str | None = None) -> User:
    """A staff user in the given role (``roles.EDITORS`` or ``roles.PUBLISHERS``)."""
    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, password="pw-for-tests-only", is_staff=True)
    if role:
        if not Group.objects.filter(name=role).exists():
            # A transactional test (the browser tests' live server) empties every table after it,
            # the role groups made by the migrations too: make them again, as the migration does.
            roles.sync_roles(django_apps)
        user.groups.add(Group.objects.get(name=role))
    return user


def editor(**kw) -> User:
    return staff(roles.EDITORS, **kw)


def publisher(**kw) -> User:
    return staff(roles.PUBLISHERS, **kw)


# --- a small public catalogue for the public-pages, filter, export, feed and browser tests ---------


def set_published_at(u: StatusUpdate, when) -> StatusUpdate:
    """Backdate an update's publication time (the feed orders by it)."""
    StatusUpdate.objects.filter(pk=u.pk).update(published_at=when)
    u.refresh_from_db()
    return u


def catalogue():
    """Five public commitments over three themes, five countries, three actors and two sources,
    with published updates (and evidence), a draft update, a draft and an archived commitment.

    Returns a ``SimpleNamespace`` of everything made. Dates are fixed in the past; "today" decides
    overdue and stale (written for any today after 2026-11-01).
    """
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from django.utils import timezone

    ns = SimpleNamespace()
    ns.pcve = theme(slug="pcve", name="P/CVE")
    ns.finance = theme(slug="terrorism-financing", name="Terrorism financing")
    ns.borders = theme(slug="border-management", name="Border management")
    ns.returnees = theme(slug="returnees", name="Returnees and reintegration")  # no commitment
    ns.kz, ns.kg = country("kz", "Kazakhstan"), country("kg", "Kyrgyzstan")
    ns.tj, ns.uz = country("tj", "Tajikistan"), country("uz", "Uzbekistan")
    ns.tm = country("tm", "Turkmenistan")  # no commitment
    ns.eeas = actor(slug="eeas", name="EEAS")
    ns.commission = actor(slug="european-commission", name="European Commission")
    ns.osce = actor(slug="osce", name="OSCE")
    ns.strategy = source(slug="eu-strategy-2019", title="The EU and Central Asia: New Opportunities for a Stronger "
                         "Partnership", date=date(2019, 5, 15), url="https://example.org/strategy-2019")
    ns.statement = source(slug="joint-statement-2021", title="Joint statement on CT cooperation",
                          date=date(2021, 6, 1), kind=Source.Kind.CONFERENCE_STATEMENT,
                          url="https://example.org/statement-2021")

    def make(slug, title, *, themes, countries, actors, src, made, due=None, state=Commitment.State.PUBLISHED, **kw):
        # Written as a draft, then published, as staff do: the public change history starts at publication.
        c = commitment(slug=slug, title=title, quote=kw.pop("quote", f"Verbatim words for {slug}."), source=src,
                       date_made=made, due_date=due, state=Commitment.State.DRAFT, **kw)
        c.themes.set(themes)
        c.countries.set(countries)
        c.actors.set(actors)
        if state != Commitment.State.DRAFT:
            c = services.set_commitment_state(commitment=c, state=state, user=None, reason=REASON)
        return c

    def published(c, status, as_of, summary, when):
        u = update(c, status=status, as_of=as_of, summary=summary, published=True)
        return set_published_at(u, when)

    def at(y, m, d):
        return datetime(y, m, d, 12, 0, tzinfo=UTC)

    today = timezone.localdate()
    ns.expert = make("deploy-ct-expert", "Deploy a dedicated CT expert", themes=[ns.pcve], countries=[ns.kz, ns.kg],
                     actors=[ns.eeas], src=ns.strategy, made=date(2019, 5, 15), due=date(2020, 12, 31),
                     quote="The EU will deploy a dedicated security and CT expert to the region.",
                     location="Section 2.1, paragraph 4")
    ns.expert_u1 = published(ns.expert, "in_progress", date(2020, 6, 1), "Expert recruited on a short contract.",
                             at(2020, 6, 5))
    ns.expert_u2 = published(ns.expert, "achieved", date(2022, 3, 1), "Expert in post in Bishkek since March.",
                             at(2022, 3, 10))
    ns.exchange = make("exchange-pcve-practice", "Exchange good practice on P/CVE", themes=[ns.pcve],
                       countries=[ns.uz], actors=[ns.commission], src=ns.strategy, made=date(2019, 5, 15))
    ns.exchange_u1 = published(ns.exchange, "stalled", date(2023, 1, 10), "Exchanges paused after one workshop.",
                               at(2023, 1, 20))
    ns.draft_update = update(ns.exchange, status="achieved", as_of=date(2024, 1, 1),
                             summary="SECRETDRAFTSUMMARY achieved according to an unpublished draft.")
    ns.financing = make("cut-terrorism-financing", "Cut off terrorism financing", themes=[ns.finance],
                        countries=[ns.kz, ns.tj], actors=[ns.commission, ns.osce], src=ns.statement,
                        made=date(2021, 6, 1), due=date(2030, 1, 1))
    ns.borders_c = make("border-management-programme", "Border management programme", themes=[ns.borders],
                        countries=[ns.tj], actors=[ns.osce], src=ns.statement, made=date(2021, 6, 1),
                        due=date(2022, 6, 30))
    ns.borders_u1 = published(ns.borders_c, "not_started", date(2022, 1, 1), "No tender issued by January.",
                              at(2022, 1, 5))
    ns.families = make("reintegrate-returning-families", "Reintegrate returning families", themes=[ns.borders, ns.pcve],
                       countries=[ns.kg], actors=[ns.eeas, ns.osce], src=ns.strategy, made=date(2019, 5, 15),
                       due=date(2025, 1, 1))
    recent = today - timedelta(days=30)
    ns.families_u1 = published(ns.families, "partially_achieved", recent, "Two of five rehabilitation centres open.",
                               timezone.now() - timedelta(days=20))
    # Not public: a draft and an archived commitment, each with a published update.
    ns.draft_c = make("draft-commitment", "DRAFTCOMMITMENTTITLE", themes=[ns.returnees], countries=[ns.tm],
                      actors=[ns.eeas], src=ns.strategy, made=date(2019, 5, 15), due=date(2020, 1, 1),
                      state=Commitment.State.DRAFT)
    ns.draft_c_u = published(ns.draft_c, "achieved", date(2021, 1, 1), "LEAKDRAFTCOMMITMENTUPDATE delivered.",
                             at(2024, 5, 1))
    ns.archived_c = make("archived-commitment", "ARCHIVEDCOMMITMENTTITLE", themes=[ns.returnees],
                         countries=[ns.tm], actors=[ns.eeas], src=ns.strategy, made=date(2019, 5, 15))
    ns.archived_c_u = published(ns.archived_c, "abandoned", date(2021, 1, 1), "LEAKARCHIVEDUPDATE dropped.",
                                at(2024, 6, 1))
    ns.archived_c = services.set_commitment_state(commitment=ns.archived_c, state=Commitment.State.ARCHIVED, user=None,
                                                 reason="Out of scope: not a commitment of the region.")
    ns.public = [ns.expert, ns.exchange, ns.financing, ns.borders_c, ns.families]
    ns.hidden_text = ["SECRETDRAFTSUMMARY", "DRAFTCOMMITMENTTITLE", "LEAKDRAFTCOMMITMENTUPDATE",
                      "ARCHIVEDCOMMITMENTTITLE", "LEAKARCHIVEDUPDATE"]
    return ns


def admin_form_data(client, url: str) -> dict:
    """The change form's current values, as a browser would submit them."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif value is None:
            data[name] = ""
        elif isinstance(value, date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = str(management[name].value() or 0)
        for inline in formset.formset.forms:
            for name in inline.fields:
                value = inline[name].value()
                data[f"{inline.prefix}-{name}"] = "" if value is None else str(value)
    return data


def logged_in(user) -> Client:
    """A test client signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


def admin_change_url(obj) -> str:
    """The admin's change page of ``obj``."""
    return reverse(f"admin:commitments_{obj._meta.model_name}_change", args=[obj.pk])
