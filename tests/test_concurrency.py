"""No lost edits: two staff members editing the same record at once, each in their own browser."""

import sqlite3
import threading
from contextlib import closing, contextmanager

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from commitments.models import Commitment, StatusUpdate

from . import factories as f

pytestmark = pytest.mark.django_db

# Drafts: an edit of a published commitment is not saved but proposed for review (test_revisions.py),
# where this optimistic concurrency still guards the proposal.
DRAFT = Commitment.State.DRAFT


def test_the_second_save_is_refused_with_what_changed_and_keeps_what_was_typed():
    commitment = f.commitment(title="Deploy an expert", state=DRAFT)
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    ayla, bo = Client(), Client()
    ayla.force_login(f.editor(username="ayla"))
    bo.force_login(f.editor(username="bo"))
    ayla_form, bo_form = f.admin_form_data(ayla, url), f.admin_form_data(bo, url)  # both open the form

    assert ayla.post(url, ayla_form | {"title": "Deploy a regional CT expert"}).status_code == 302
    refused = bo.post(url, bo_form | {"title": "Deploy an EU security expert", "location": "Final paragraph"})

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Not saved: while you were editing, ayla saved it" in page
    assert "Deploy a regional CT expert" in page  # what changed meanwhile
    assert 'value="Deploy an EU security expert"' in page and "Final paragraph" in page  # what bo typed
    commitment.refresh_from_db()
    assert commitment.title == "Deploy a regional CT expert" and commitment.location == ""

    # Having seen the message, bo saves again on purpose: now it goes through.
    again = refused.context["adminform"].form.data.copy()
    assert bo.post(url, again).status_code == 302
    commitment.refresh_from_db()
    assert commitment.title == "Deploy an EU security expert" and commitment.location == "Final paragraph"


def _open_twice(commitment, url) -> tuple[Client, dict, Client, dict]:
    ayla, bo = Client(), Client()
    ayla.force_login(f.editor(username="ayla"))
    bo.force_login(f.editor(username="bo"))
    return ayla, f.admin_form_data(ayla, url), bo, f.admin_form_data(bo, url)


def test_saving_again_after_a_conflict_keeps_the_colleagues_values_of_fields_you_did_not_touch():
    kazakhstan, tajikistan = f.country("kz", "Kazakhstan"), f.country("tj", "Tajikistan")
    commitment = f.commitment(title="Deploy an expert", due_text="shortly", location="Annex", state=DRAFT)
    commitment.countries.set([tajikistan])
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    ayla, ayla_form, bo, bo_form = _open_twice(commitment, url)

    ayla_saves = {"title": "Deploy a regional CT expert", "countries": [str(kazakhstan.pk)], "due_text": "by 2020"}
    assert ayla.post(url, ayla_form | ayla_saves).status_code == 302
    refused = bo.post(url, bo_form | {"location": "Final paragraph", "due_text": "by 2021"})

    assert refused.status_code == 200
    page = refused.content.decode()
    assert 'value="Deploy a regional CT expert"' in page  # ayla's title, which bo did not touch
    assert 'value="Final paragraph"' in page and 'value="by 2021"' in page  # what bo typed, kept
    assert "Fields you had not changed now show their saved values (Title, Countries)." in page
    # bo saves again: ayla's title and countries stand, bo's own changes win where bo made them.
    assert bo.post(url, refused.context["adminform"].form.data.copy()).status_code == 302
    commitment.refresh_from_db()
    assert commitment.title == "Deploy a regional CT expert"
    assert list(commitment.countries.all()) == [kazakhstan]
    assert (commitment.location, commitment.due_text) == ("Final paragraph", "by 2021")


def test_the_conflict_message_names_the_entries_added_and_removed():
    kazakhstan, tajikistan = f.country("kz", "Kazakhstan"), f.country("tj", "Tajikistan")
    kyrgyzstan = f.country("kg", "Kyrgyzstan")
    borders, financing = f.theme(slug="borders", name="Border security"), f.theme(slug="cft", name="CT financing")
    commitment = f.commitment(state=DRAFT)
    commitment.countries.set([tajikistan])
    commitment.themes.set([borders])
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    ayla, ayla_form, bo, bo_form = _open_twice(commitment, url)

    ayla_saves = {"countries": [str(kazakhstan.pk), str(kyrgyzstan.pk)], "themes": [str(borders.pk), str(financing.pk)]}
    assert ayla.post(url, ayla_form | ayla_saves).status_code == 302
    page = bo.post(url, bo_form | {"title": "Reworded"}).content.decode()

    assert "Countries: added Kazakhstan and Kyrgyzstan, removed Tajikistan" in page
    assert "Themes: added CT financing" in page
    assert "(changed)" not in page


def test_a_publish_in_between_also_counts_as_a_change():
    commitment = f.commitment(title="Cut terrorism financing")
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    editor = Client()
    editor.force_login(f.editor())
    form = f.admin_form_data(editor, url)
    from commitments import services

    services.set_commitment_state(commitment=commitment, state="archived", user=f.publisher(), reason=f.REASON)
    refused = editor.post(url, form | {"title": "Cut off terrorism financing"})
    assert refused.status_code == 200 and "Not saved" in refused.content.decode()
    assert Commitment.objects.get(pk=commitment.pk).title == "Cut terrorism financing"


def test_two_editors_on_one_draft_status_update():
    update = f.update(f.commitment(), summary="First words.")
    url = reverse("admin:commitments_statusupdate_change", args=[update.pk])
    one, two = Client(), Client()
    one.force_login(f.editor(username="one"))
    two.force_login(f.editor(username="two"))
    first, second = f.admin_form_data(one, url), f.admin_form_data(two, url)
    assert one.post(url, first | {"summary": "Summary by one."}).status_code == 302
    refused = two.post(url, second | {"summary": "Summary by two."})
    assert refused.status_code == 200
    assert "one saved it" in refused.content.decode() and "Summary by two." in refused.content.decode()
    assert StatusUpdate.objects.get(pk=update.pk).summary == "Summary by one."


def test_saving_without_a_conflict_just_works_and_raises_the_version():
    commitment = f.commitment(state=DRAFT)
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    client = Client()
    client.force_login(f.editor())
    before = Commitment.objects.get(pk=commitment.pk).version
    assert client.post(url, f.admin_form_data(client, url) | {"title": "Reworded"}).status_code == 302
    assert Commitment.objects.get(pk=commitment.pk).version == before + 1


# --- two saves at the same moment, each on its own connection ---------------------------------


@pytest.fixture
def shared_db(tmp_path):
    """A database that threads reach on connections of their own, as gunicorn's workers do.

    Returns ``on_connection()``: a context manager each thread (the test's too) enters to use it.
    Tests using it are marked ``django_db(transaction=True)``: no test transaction holds a lock and
    every save commits. PostgreSQL: the test database. SQLite: the in-memory
    test database is shared-cache, whose table locks are nothing like a file's, so a file copy of it
    is used instead, opened with the settings' own OPTIONS (transaction mode, timeout, journal mode).
    """
    if connection.vendor != "sqlite":

        @contextmanager
        def on_connection():
            try:
                yield
            finally:
                connections["default"].close()

        return on_connection

    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    settings_dict = {**connection.settings_dict, "NAME": str(path)}

    @contextmanager
    def on_connection():
        own = connections["default"]
        connections["default"] = file_connection = type(own)(settings_dict, "default")
        try:
            yield
        finally:
            file_connection.close()
            connections["default"] = own

    return on_connection


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_one_conflict_message_and_never_a_500(shared_db):
    rounds = 10
    with shared_db():
        commitment = f.commitment(title="Deploy an expert", state=DRAFT)
        url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
        clients = [Client(raise_request_exception=False) for _ in range(2)]
        for client, name in zip(clients, ["ayla", "bo"], strict=True):
            client.force_login(f.editor(username=name))

    def save(who: int, data: dict, start: threading.Barrier, results: dict) -> None:
        with shared_db():
            start.wait(timeout=30)
            try:
                response = clients[who].post(url, data)
                results[who] = (response.status_code, response.content.decode())
            except Exception as exc:  # what a browser would get: a 500  # noqa: BLE001
                results[who] = (500, repr(exc))

    for n in range(rounds):
        with shared_db():
            forms = [f.admin_form_data(client, url) for client in clients]  # both open the form
        typed = [f"Round {n}: title by {name}" for name in ("ayla", "bo")]
        results: dict = {}
        start = threading.Barrier(2)
        threads = [
            threading.Thread(target=save, args=(who, forms[who] | {"title": typed[who]}, start, results))
            for who in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        codes = sorted(code for code, _ in results.values())
        assert codes == [200, 302], f"round {n}: {[(code, body[:300]) for code, body in results.values()]}"
        winner, loser = sorted(results, key=lambda who: results[who][0], reverse=True)
        refused = results[loser][1]
        assert refused.count("Not saved: while you were editing") == 1
        assert f'value="{typed[loser]}"' in refused  # nothing typed is lost
        with shared_db():
            assert Commitment.objects.get(pk=commitment.pk).title == typed[winner]

    if connection.vendor == "sqlite":  # readers go on while one writes: the settings' journal mode
        with shared_db():
            assert connection.cursor().execute("PRAGMA journal_mode").fetchone() == ("wal",)
