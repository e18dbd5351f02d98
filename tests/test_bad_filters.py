"""Issue 15: one bad filter keeps the good ones.

An invalid value is refused beside its field, with the valid choices (or where to find them), and the list,
the matrix and /updates/ answer 400 showing what the *valid* filters leave; the exports and the feed answer a
plain 400. An empty value (``?status=``) filters nothing and is no error.
"""

from __future__ import annotations

import html
import re

import pytest
from django.http import QueryDict

from commitments.filtersets import CommitmentFilterSet
from commitments.status import Status

LIST = "/commitments/"
PCVE = ["deploy-ct-expert", "exchange-pcve-practice", "reintegrate-returning-families"]  # by title


@pytest.fixture
def ns(shared_catalogue, db):
    return shared_catalogue


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def listed(response) -> list[str]:
    return [c.slug for c in response.context["page"].object_list]


def test_a_bad_status_keeps_and_applies_the_theme(client, ns):
    response = client.get(f"{LIST}?status=bogus&theme=pcve")
    assert response.status_code == 400
    assert listed(response) == PCVE
    text = page_text(response)
    beside = re.search(r'<p class="error" id="facet-status-error">(.*?)</p>', text, re.S)
    assert beside, text[:3000]
    assert "“bogus” is not a status." in beside.group(1)
    for slug, label in Status.choices:  # every valid choice, slug and label
        assert f"{slug} ({label})" in beside.group(1)
    assert "Some filters could not be understood" in text
    # Facet counts, chips and every link come from the valid filters only.
    counts = {o.value: o.count for f in response.context["facets"] if f.name == "status" for o in f.options}
    assert sum(counts.values()) == 3
    assert [chip.label for chip in response.context["active"]] == ["Theme: P/CVE"]
    assert response.context["query"] == "theme=pcve"
    # The language switcher and the hreflang alternates are this same request in another language, as asked.
    same_request = r'<nav class="languages".*?</nav>|<link rel="alternate" hreflang=[^>]*>'
    assert "bogus" not in re.sub(rf'<p class="error".*?</p>|<div class="errors".*?</div>|{same_request}', "", text,
                                 flags=re.S)
    assert 'href="/commitments/export.csv?theme=pcve"' in text
    assert '<summary><h2 id="filters-heading">Filters (1 active)</h2></summary>' in text


def test_an_unknown_slug_links_to_the_index_and_keeps_the_status(client, ns):
    response = client.get(f"{LIST}?theme=no-such-theme&status=achieved")
    assert response.status_code == 400
    assert listed(response) == ["deploy-ct-expert"]
    text = page_text(response)
    beside = re.search(r'<p class="error" id="facet-theme-error">(.*?)</p>', text, re.S)
    assert beside and "No public theme has the slug “no-such-theme”." in beside.group(1)
    assert 'href="/themes/"' in beside.group(1)
    assert response.context["query"] == "status=achieved"


def test_a_repeated_filter_keeps_its_valid_values(client, ns):
    response = client.get(f"{LIST}?status=achieved&status=bogus&status=stalled")
    assert response.status_code == 400
    assert listed(response) == ["deploy-ct-expert", "exchange-pcve-practice"]
    assert response.context["query"] == "status=achieved&status=stalled"


@pytest.mark.parametrize(("query", "field", "message"), [
    ("due_after=2020-13-01", "due_after", "Enter a date as YYYY-MM-DD (e.g. 2026-07-01). Due dates can be from "
                                          "1 January 1900 to 31 December 2100."),
    ("as_of=2999-01-01", "as_of", "The as-of date cannot be in the future."),
    ("as_of=1.1.2020", "as_of", "The as-of date can be from 1 January 1900 to today."),
])
def test_a_bad_date_keeps_the_theme_and_stays_in_its_field(client, ns, query, field, message):
    response = client.get(f"{LIST}?{query}&theme=pcve")
    assert response.status_code == 400
    assert listed(response) == PCVE
    text = page_text(response)
    beside = re.search(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', text)
    assert beside and message in beside.group(1)
    bad_value = query.split("=", 1)[1]
    assert f'value="{bad_value}"' in text  # left in its field, to correct
    hidden = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', text)
    assert hidden == [("theme", "pcve")]  # the form submits the valid filters, not the refused one again
    assert response.context["as_of"] is None and response.context["query"] == "theme=pcve"


@pytest.mark.parametrize("query", ["status=", "theme=", "status=&theme=&country=&due_after=&as_of=&sort=&q="])
def test_empty_values_are_ignored(client, ns, query):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert len(listed(response)) == 5
    assert not response.context["given"].errors and not response.context["active"]
    assert client.get(f"{LIST}?{query}&theme=pcve").context["page"].paginator.count == 3
    assert client.get(f"/commitments/export.csv?{query}").status_code == 200


def test_matrix_and_updates_show_the_valid_filters_at_400(client, ns):
    matrix = client.get("/countries/matrix/?status=bogus&theme=pcve")
    assert matrix.status_code == 400
    assert [c.slug for c, _ in matrix.context["rows"]] == PCVE
    assert "“bogus” is not a status." in page_text(matrix)
    assert matrix.context["query"] == "theme=pcve"
    updates = client.get("/updates/?status=bogus&theme=pcve")
    assert updates.status_code == 400
    shown = {event.update.commitment.slug for event in updates.context["page"].object_list}
    assert shown and shown <= set(PCVE)
    assert "“bogus” is not a status." in page_text(updates)
    assert updates.context["query"] == "theme=pcve"
    assert 'href="/feeds/updates.atom?theme=pcve"' in page_text(updates)


@pytest.mark.parametrize("url", ["/commitments/export.csv", "/commitments/export.json", "/feeds/updates.atom",
                                 "/countries/matrix.csv"])
def test_exports_and_the_feed_still_refuse_a_bad_filter_outright(client, ns, url):
    response = client.get(f"{url}?status=bogus&theme=pcve")
    assert response.status_code == 400
    assert "pcve" not in response.content.decode().replace("theme=pcve", "")  # no rows
    assert client.get(f"{url}?status=&theme=pcve").status_code == 200


def test_valid_data_is_a_copy_without_the_invalid(ns):
    data = QueryDict("status=bogus&status=achieved&theme=nope&country=kz&due_after=x&q=water&page=2")
    filterset = CommitmentFilterSet(data)
    assert not filterset.is_valid()
    kept = filterset.valid_data()
    assert sorted(kept.lists()) == [("country", ["kz"]), ("page", ["2"]), ("q", ["water"]), ("status", ["achieved"])]
    assert data.getlist("status") == ["bogus", "achieved"]  # the request's own data untouched
    valid = filterset.keeping_valid()
    assert valid.is_valid() and valid is not filterset and valid.catalogue is filterset.catalogue
    assert valid.keeping_valid() is valid  # a valid FilterSet is kept as it is
