"""Changes to published content go through review: an edit of a public record is a pending revision,
invisible to the public until a publisher approves it (with a reason), or rejected (with a reason)."""


import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from commitments import cache, revisions
from commitments.admin_review import DIVERTED
from commitments.models import Actor, Commitment, Country, PublicChange, Revision, Source, Theme

from . import factories as f
from .conftest import built_once
from .factories import admin_change_url as _change_url
from .factories import logged_in as _client

pytestmark = pytest.mark.django_db

NEW = "Zyxquorn"  # a word no page shows before the approval


def _review_url(revision) -> str:
    return reverse("admin:commitments_revision_change", args=[revision.pk])


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _public_text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode().lower()  # a URL shows the new word in lower case


# model -> (which record of the catalogue, the edit, the public surfaces that show the edited words)
EDITS = {
    "commitment": (
        lambda ns: ns.expert,
        {"title": f"Deploy a {NEW} expert"},
        ["detail", "list", "export_csv", "export_json", "feed"],
    ),
    "source": (
        lambda ns: ns.strategy,
        {"title": f"The {NEW} strategy", "url": f"https://example.org/{NEW.lower()}"},
        ["detail", "entry", "export_json"],
    ),
    "actor": (lambda ns: ns.eeas, {"name": f"{NEW} service"}, ["detail", "entry", "export_json"]),
    "theme": (lambda ns: ns.pcve, {"name": f"{NEW} prevention"}, ["detail", "entry", "list"]),
    "country": (lambda ns: ns.kz, {"name": f"{NEW}stan"}, ["detail", "entry", "list"]),
}


def _surfaces(ns, record) -> dict[str, str]:
    urls = {
        "detail": ns.expert.get_absolute_url(),
        "list": reverse("commitments:list"),
        "export_csv": reverse("commitments:export_csv"),
        "export_json": reverse("commitments:export_json"),
        "feed": reverse("commitments:feed"),
    }
    if not isinstance(record, Commitment):
        urls["entry"] = reverse(f"commitments:{record._meta.model_name}", args=[record.slug])
    return urls


@pytest.fixture(scope="class")
def catalogue_once(django_db_setup, django_db_blocker):
    """``factories.catalogue()`` built once for the class below, undone after it (so the other tests
    of this module do not see it)."""
    with built_once(django_db_blocker, f.catalogue) as ns:
        yield ns


class TestOnEveryPublicSurface:
    @pytest.mark.parametrize("model", list(EDITS))
    def test_an_edit_of_a_published_record_is_invisible_until_a_publisher_approves_it(self, catalogue_once, model):
        pick, edit, shown_on = EDITS[model]
        record = pick(catalogue_once)
        editor, publisher = f.editor(username="ayla"), f.publisher(username="pat")
        # Countries are changed by publishers only (editors cannot open the form): the publisher edits
        # them, and the edit waits for review all the same.
        author = publisher if model == "country" else editor
        staff, reader = _client(author), Client()
        surfaces = _surfaces(catalogue_once, record)

        response = staff.post(_change_url(record), f.admin_form_data(staff, _change_url(record)) | edit, follow=True)

        assert response.status_code == 200
        assert DIVERTED in _messages(response)
        revision = Revision.objects.get()
        assert (revision.subject_type, revision.subject_id, revision.review_state) == (model, record.pk, "pending")
        assert revision.created_by == author
        assert all(revision.data[name] == value for name, value in edit.items())
        stored = type(record).objects.get(pk=record.pk)
        assert all(getattr(stored, name) == getattr(record, name) for name in edit)  # not applied
        for name in shown_on:
            assert NEW.lower() not in _public_text(reader, surfaces[name]), name
        assert not PublicChange.objects.filter(kind=PublicChange.Kind.REVISED).exists()

        version = cache.current_version()
        reviewer = _client(publisher)
        approved = reviewer.post(_review_url(revision), {"action": "approve", "reason": "Corrected the wording."})

        assert approved.status_code == 302
        revision.refresh_from_db()
        assert (revision.review_state, revision.reviewed_by, revision.review_reason) == (
            "approved", publisher, "Corrected the wording.")
        assert cache.current_version() != version  # cached pages and counts follow at once
        for name in shown_on:
            assert NEW.lower() in _public_text(reader, surfaces[name]), name
        change = PublicChange.objects.get(kind=PublicChange.Kind.REVISED)
        assert (change.subject_type, change.subject_id, change.reason, change.by) == (
            model, record.pk, "Corrected the wording.", publisher)
        assert change.revision == revision
        assert change.commitment == (record if model == "commitment" else None)
        first = next(iter(edit))
        cited = next(c for c in change.changes if c["field"] == first)
        assert cited["new"] == edit[first] and cited["old"] == str(getattr(record, first))
        if hasattr(type(record), "history"):
            latest = type(record).history.filter(id=record.pk).latest("history_date", "history_id")
            assert (latest.history_change_reason, latest.history_user) == ("Corrected the wording.", publisher)


    @pytest.mark.page_cache
    def test_an_approval_is_seen_at_once_on_a_cached_page(self, catalogue_once):
        reader, url = Client(), reverse("commitments:list")
        assert NEW.lower() not in _public_text(reader, url)  # now cached
        revision = revisions.propose_revision(
            instance=catalogue_once.expert, data={"title": f"{NEW} expert"}, user=f.editor()
        )
        assert NEW.lower() not in _public_text(reader, url)
        revisions.approve_revision(revision=revision, user=f.publisher(), reason="Clearer title.")
        assert NEW.lower() in _public_text(reader, url)


def test_a_draft_commitment_and_a_source_no_public_commitment_uses_save_directly():
    draft = f.commitment(state=Commitment.State.DRAFT, title="Draft words")
    client = _client(f.editor())

    url = _change_url(draft)
    response = client.post(url, f.admin_form_data(client, url) | {"title": "New draft words"})
    assert response.status_code == 302
    assert Commitment.objects.get(pk=draft.pk).title == "New draft words"
    source = draft.source  # used only by a draft: not public
    assert not revisions.needs_review(source)
    client.post(_change_url(source), f.admin_form_data(client, _change_url(source)) | {"title": "Renamed source"})
    assert Source.objects.get(pk=source.pk).title == "Renamed source"
    assert not Revision.objects.exists()


def test_an_archived_commitment_needs_review_too():
    archived = f.commitment(state=Commitment.State.ARCHIVED)
    assert revisions.needs_review(archived)
    assert not revisions.needs_review(f.commitment(state=Commitment.State.DRAFT))


def test_many_to_many_changes_wait_for_review_and_the_diff_names_the_entries():
    commitment = f.commitment()
    pcve, borders = f.theme(name="P/CVE"), f.theme(name="Border security")
    commitment.themes.set([pcve])
    editor, publisher = _client(f.editor()), _client(f.publisher())
    url = _change_url(commitment)

    editor.post(url, f.admin_form_data(editor, url) | {"themes": [str(borders.pk)], "location": "Annex II"})

    revision = Revision.objects.get()
    assert revision.data["themes"] == [borders.pk] and revision.base["themes"] == [pcve.pk]
    assert list(commitment.themes.all()) == [pcve]
    page = publisher.get(_review_url(revision))
    rows = {row["label"]: (row["published"], row["proposed"]) for row in page.context["rows"]}
    assert rows == {"Themes": ("P/CVE", "Border security"), "Location": ("(empty)", "Annex II")}
    assert publisher.post(_review_url(revision), {"action": "approve", "reason": "Filed correctly."}).status_code == 302
    commitment.refresh_from_db()
    assert list(commitment.themes.all()) == [borders] and commitment.location == "Annex II"
    # One history record for the whole approval, holding the many-to-many values too.
    latest = commitment.history.latest("history_date", "history_id")
    assert latest.history_change_reason == "Filed correctly."
    assert [t.theme_id for t in latest.themes.all()] == [borders.pk]


def test_saving_without_a_change_makes_no_revision():
    commitment = f.commitment()
    client = _client(f.editor())
    response = client.post(_change_url(commitment), f.admin_form_data(client, _change_url(commitment)), follow=True)
    assert "No published field was changed, so there is nothing to review." in _messages(response)
    assert not Revision.objects.exists()


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_approval_and_rejection_need_a_reason(action):
    commitment = f.commitment(title="Old title")
    revision = revisions.propose_revision(instance=commitment, data={"title": "New title"}, user=f.editor())
    publisher = f.publisher()
    client = _client(publisher)

    response = client.post(_review_url(revision), {"action": action, "reason": "   "})

    assert response.status_code == 200
    assert "Give a reason." in response.content.decode()
    service = revisions.approve_revision if action == "approve" else revisions.reject_revision
    with pytest.raises(ValidationError, match="Give a short public reason"):
        service(revision=revision, user=publisher, reason="")
    revision.refresh_from_db()
    assert revision.review_state == "pending"
    assert Commitment.objects.get(pk=commitment.pk).title == "Old title"
    assert client.post(_review_url(revision), {"reason": "No button"}).status_code == 200  # a form error, not a 500


def test_an_editor_cannot_approve_or_reject():
    commitment = f.commitment(title="Old title")
    editor = f.editor()
    revision = revisions.propose_revision(instance=commitment, data={"title": "New title"}, user=editor)
    client = _client(editor)

    page = client.get(_review_url(revision))
    assert page.status_code == 200 and not page.context["can_review"]
    assert "Only publishers can approve or reject it." in page.content.decode()
    assert client.post(_review_url(revision), {"action": "approve", "reason": "Mine is right."}).status_code == 403
    with pytest.raises(PermissionDenied):
        revisions.approve_revision(revision=revision, user=editor, reason="Mine is right.")
    with pytest.raises(PermissionDenied):
        revisions.reject_revision(revision=revision, user=editor, reason="Never mind.")
    revision.refresh_from_db()
    assert revision.review_state == "pending"
    assert Commitment.objects.get(pk=commitment.pk).title == "Old title"


def test_a_rejected_revision_keeps_what_was_typed_and_its_author_sees_why():
    commitment = f.commitment(title="Old title")
    ayla, bo = f.editor(username="ayla"), f.editor(username="bo")
    mine = revisions.propose_revision(instance=commitment, data={"title": "Ayla's title"}, user=ayla)
    theirs = revisions.propose_revision(instance=commitment, data={"title": "Bo's title"}, user=bo)
    revisions.reject_revision(revision=mine, user=f.publisher(), reason="The source says otherwise.")
    client = _client(ayla)

    listing = client.get(reverse("admin:commitments_revision_changelist") + "?review_state__exact=rejected")
    assert [r.pk for r in listing.context["cl"].result_list] == [mine.pk]
    assert "The source says otherwise." in listing.content.decode()
    assert client.get(_review_url(theirs)).status_code == 404  # another editor's revision
    page = client.get(_review_url(mine)).content.decode()
    assert "Ayla&#x27;s title" in page and "The source says otherwise." in page
    # A new edit starts from the rejected values.
    form = client.get(f"{_change_url(commitment)}?from_revision={mine.pk}").context["adminform"].form
    assert form["title"].value() == "Ayla's title"
    assert Revision.objects.get(pk=mine.pk).data == {"title": "Ayla's title"}


def test_the_change_form_of_a_record_with_a_pending_revision_links_to_it():
    commitment = f.commitment()
    revision = revisions.propose_revision(instance=commitment, data={"title": "Proposed"}, user=f.editor())
    page = _client(f.editor()).get(_change_url(commitment)).content.decode()
    assert f'href="{_review_url(revision)}"' in page
    assert "A change to this record is waiting for a publisher" in page


def test_the_admin_home_counts_pending_revisions_with_a_link_to_the_queue():
    commitment, source = f.commitment(), f.source()
    f.commitment(source=source)
    editor = f.editor()
    revisions.propose_revision(instance=commitment, data={"title": "One"}, user=editor)
    revisions.propose_revision(instance=source, data={"title": "Two"}, user=f.editor())
    done = revisions.propose_revision(instance=commitment, data={"location": "Three"}, user=editor)
    revisions.reject_revision(revision=done, user=f.publisher(), reason="Not in the source.")

    home = _client(f.publisher()).get(reverse("admin:index"))
    assert home.status_code == 200
    page = home.content.decode()
    assert "?review_state__exact=pending" in page
    assert "Pending revisions to review</a></th><td>2</td>" in page
    own = _client(editor).get(reverse("admin:index")).content.decode()
    assert "Your revisions pending review</a></th><td>1</td>" in own
    assert "Your rejected revisions</a></th><td>1</td>" in own


def test_a_second_approval_of_the_same_field_is_refused_and_names_it():
    commitment = f.commitment(title="Old title", location="Annex")
    publisher = f.publisher()
    first = revisions.propose_revision(instance=commitment, data={"title": "First"}, user=f.editor())
    second = revisions.propose_revision(instance=commitment, data={"title": "Second"}, user=f.editor())
    other = revisions.propose_revision(instance=commitment, data={"location": "Annex II"}, user=f.editor())
    revisions.approve_revision(revision=first, user=publisher, reason="Shorter title.")

    response = _client(publisher).post(_review_url(second), {"action": "approve", "reason": "Better."})

    assert response.status_code == 200
    assert "Not applied: since this edit began, Title changed on the published record" in response.content.decode()
    assert Revision.objects.get(pk=second.pk).review_state == "pending"
    # A revision of another field still applies, and leaves the first one's title in place.
    revisions.approve_revision(revision=other, user=publisher, reason="Located precisely.")
    commitment.refresh_from_db()
    assert (commitment.title, commitment.location) == ("First", "Annex II")
    with pytest.raises(ValidationError, match="already approved"):
        revisions.approve_revision(revision=first, user=publisher, reason="Again.")


def test_an_approval_that_would_break_a_rule_is_refused_whole():
    commitment = f.commitment(slug="taken-later", title="Old title")
    revision = revisions.propose_revision(
        instance=commitment, data={"title": "New title", "slug": "clash"}, user=f.editor()
    )
    f.commitment(slug="clash")
    response = _client(f.publisher()).post(_review_url(revision), {"action": "approve", "reason": "Renamed."})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not applied, the record would not be valid. Slug: A commitment with this slug already exists" in page
    commitment.refresh_from_db()
    assert (commitment.slug, commitment.title) == ("taken-later", "Old title")
    assert not PublicChange.objects.filter(kind=PublicChange.Kind.REVISED).exists()


def _queue_with(n: int) -> tuple:
    publisher = f.publisher()
    for i in range(n):
        kind = i % 3
        record = f.commitment() if kind == 0 else f.actor() if kind == 1 else f.theme()
        revisions.propose_revision(instance=record, data={"slug": f"renamed-{i}"}, user=f.editor())
    return publisher


@pytest.mark.parametrize("n", [1, 6])
def test_the_queue_page_takes_the_same_queries_however_long(n, django_assert_num_queries):
    client = _client(_queue_with(n))
    url = reverse("admin:commitments_revision_changelist") + "?review_state__exact=pending"
    client.get(url)  # the session and permissions, once
    with django_assert_num_queries(7):
        response = client.get(url)
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert len(rows) == n and all(row.subject_name for row in rows)
    assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)  # oldest first


def test_the_review_page_takes_a_fixed_number_of_queries(django_assert_num_queries):
    commitment = f.commitment()
    themes = [f.theme() for _ in range(4)]
    revision = revisions.propose_revision(
        instance=commitment, data={"themes": themes, "source": f.source(), "title": "T"}, user=f.editor()
    )
    client = _client(f.publisher())
    client.get(_review_url(revision))
    with django_assert_num_queries(9):
        response = client.get(_review_url(revision))
    assert [row["label"] for row in response.context["rows"]] == ["Title", "Source", "Themes"]


@pytest.mark.parametrize("model", [Actor, Theme, Country, Source])
def test_needs_review_follows_public_use(model):
    record = {Actor: f.actor, Theme: f.theme, Source: f.source, Country: lambda: f.country("tj", "Tajikistan")}[model]()
    assert not revisions.needs_review(record)
    commitment = f.commitment(state=Commitment.State.DRAFT, **({"source": record} if model is Source else {}))
    if model is not Source:
        getattr(commitment, f"{model._meta.verbose_name_plural}").add(record)
    assert not revisions.needs_review(record)
    Commitment.objects.filter(pk=commitment.pk).update(state=Commitment.State.PUBLISHED)
    assert revisions.needs_review(record)


def test_a_proposal_from_a_form_opened_before_an_approval_is_refused_as_a_conflict():
    commitment = f.commitment(title="Old title")
    client = _client(f.editor(username="bo"))
    form = f.admin_form_data(client, _change_url(commitment))  # bo opens the form
    earlier = revisions.propose_revision(instance=commitment, data={"title": "Approved title"}, user=f.editor())
    revisions.approve_revision(revision=earlier, user=f.publisher(username="pat"), reason="Clearer.")

    refused = client.post(_change_url(commitment), form | {"location": "Annex"})

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Not saved: while you were editing, pat saved it" in page and "Approved title" in page
    assert Revision.objects.filter(review_state="pending").count() == 0
    # Saving again on purpose proposes bo's change on top of the approved title.
    assert client.post(_change_url(commitment), refused.context["adminform"].form.data.copy()).status_code == 302
    revision = Revision.objects.get(review_state="pending")
    assert revisions.changed_fields(revision) == ["location"]
    assert revision.base_version == Commitment.objects.get(pk=commitment.pk).version


def test_revisions_are_never_deleted_nor_edited_in_the_admin():
    commitment = f.commitment()
    revision = revisions.propose_revision(instance=commitment, data={"title": "Proposed"}, user=f.editor())
    client = _client(f.publisher())
    assert client.get(reverse("admin:commitments_revision_delete", args=[revision.pk])).status_code == 403
    assert client.get(reverse("admin:commitments_revision_add")).status_code == 403
    assert client.get(reverse("admin:commitments_revision_change", args=["not-a-number"])).status_code == 404
    assert Revision.objects.filter(pk=revision.pk).exists()


def test_recent_actions_name_the_record_by_its_published_title_not_the_proposed_one():
    from django.contrib.admin.models import LogEntry

    commitment = f.commitment(title="Old title")
    editor = f.editor()
    client = _client(editor)
    data = f.admin_form_data(client, _change_url(commitment)) | {"title": f"A {NEW} title"}
    client.post(_change_url(commitment), data)
    (entry,) = LogEntry.objects.filter(user=editor)
    assert entry.object_repr == "Old title"
    assert entry.get_change_message().startswith("Proposed revision #")
    assert NEW not in client.get(reverse("admin:index")).content.decode()
