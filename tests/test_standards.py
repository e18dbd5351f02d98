"""The web's standards: robots.txt, the sitemap (every public page, nothing else), meta descriptions and
Open Graph tags, a favicon, gzip only where no secret can leak (BREACH), and valid HTML by the
Nu Html Checker (vnu.jar, from npm into .tools/ by ``make tools``; skipped, saying why, without it or Java)."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from .conftest import built_once
from .public_pages import PAGES, RU_PAGES, VNU_JAR, build, java, require

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as ns:
        yield ns


@pytest.fixture
def client(client, data, db):
    return client


def test_robots_allows_everything_public_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def _locations(client, url: str, tag: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    return [el.text for el in root.findall(f"s:{tag}/s:loc", SITEMAP_NS)]


def test_sitemap_lists_every_public_page_and_nothing_else(client, data):
    sections = _locations(client, "/sitemap.xml", "sitemap")
    urls = [url for section in sections for url in _locations(client, section, "url")]
    assert len(urls) == len(set(urls))
    paths = {url.removeprefix("http://testserver") for url in urls}
    expected = {
        "/", "/commitments/", "/themes/", "/countries/", "/actors/", "/sources/", "/countries/matrix/",
        "/updates/", "/about/", "/about/data/", "/methodology/", "/reports/", f"/reports/{data.report.slug}/",
        *(c.get_absolute_url() for c in data.public),
        "/themes/pcve/", "/themes/terrorism-financing/", "/themes/border-management/",
        "/countries/kz/", "/countries/kg/", "/countries/tj/", "/countries/uz/",
        "/actors/eeas/", "/actors/european-commission/", "/actors/osce/",
        "/sources/eu-strategy-2019/", "/sources/joint-statement-2021/",
    }
    # Every page in English and in Russian; no draft or archived commitment, no entry only they use, no draft report
    assert paths == expected | {f"/ru{path}" for path in expected}
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_sitemap_names_each_pages_other_languages(client, data):
    root = ET.fromstring(client.get("/sitemap-pages.xml").content)  # noqa: S314 - our own output
    links = {
        url.find("s:loc", SITEMAP_NS).text: {
            link.get("hreflang"): link.get("href")
            for link in url.findall("{http://www.w3.org/1999/xhtml}link")
        }
        for url in root.findall("s:url", SITEMAP_NS)
    }
    expected = {"en": "http://testserver/about/", "ru": "http://testserver/ru/about/",
                "x-default": "http://testserver/about/"}
    assert links["http://testserver/about/"] == expected
    assert links["http://testserver/ru/about/"] == expected


def test_sitemap_leaves_out_what_turns_private(client, data):
    from commitments import services
    from commitments.models import Commitment

    services.set_commitment_state(commitment=data.exchange, state=Commitment.State.ARCHIVED, user=None,
                                  reason="Out of scope.")
    urls = _locations(client, "/sitemap-commitments.xml", "url")
    assert "http://testserver/commitments/exchange-pcve-practice/" not in urls
    assert "http://testserver/commitments/deploy-ct-expert/" in urls
    assert "http://testserver/countries/uz/" not in _locations(client, "/sitemap-country.xml", "url")


def _meta(html: str, attribute: str, name: str) -> list[str]:
    return re.findall(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', html)


@pytest.mark.parametrize(("name", "path", "status"), PAGES)
def test_every_page_has_one_description_and_the_favicon(client, name, path, status):
    response = client.get(path)
    assert response.status_code == status
    html = response.content.decode()
    [description] = _meta(html, "name", "description")
    assert 40 <= len(description) <= 300, description
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html


@pytest.mark.parametrize(("name", "path", "status"), PAGES)
def test_every_aria_reference_names_an_element_of_the_page(client, name, path, status):
    """aria-describedby / aria-labelledby name ids on the page (a help text named ``id_q_help`` when the field
    points at ``id_q_helptext`` is never announced)."""
    html = client.get(path).content.decode()
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    refs = re.findall(r'aria-(?:describedby|labelledby)="([^"]+)"', html)
    referenced = {ref for names in refs for ref in names.split()}
    assert referenced <= ids, referenced - ids
    if name == "list":
        assert "id_q_helptext" in referenced  # the search field's help, announced with it


def test_the_favicon_is_a_static_file(client, settings):
    from django.contrib.staticfiles import finders

    path = finders.find("img/favicon.svg")
    assert path
    with open(path) as svg:
        assert svg.read().startswith("<svg")


def test_a_commitment_page_has_open_graph_tags(client, data):
    html = client.get("/commitments/deploy-ct-expert/").content.decode()
    assert _meta(html, "property", "og:type") == ["article"]
    assert _meta(html, "property", "og:title") == ["Deploy a dedicated CT expert"]
    assert _meta(html, "property", "og:url") == ["http://testserver/commitments/deploy-ct-expert/"]
    [description] = _meta(html, "property", "og:description")
    assert description == _meta(html, "name", "description")[0]
    assert description.startswith("Achieved as of 1 March 2022.")
    assert "The EU will deploy a dedicated security and CT expert" in description


def test_public_pages_are_gzipped_for_clients_that_accept_it(client):
    for path in ["/", "/commitments/?q=expert", "/commitments/deploy-ct-expert/", "/sitemap.xml"]:
        response = client.get(path, headers={"Accept-Encoding": "gzip, deflate"})
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip", path
        assert "Accept-Encoding" in response["Vary"]
        assert gzip.decompress(response.content).lstrip().startswith((b"<!doctype html>", b"<?xml"))
    plain = client.get("/commitments/")
    assert not plain.has_header("Content-Encoding") and plain.content.startswith(b"<!doctype html>")


@pytest.mark.page_cache
def test_the_page_cache_keeps_pages_plain_and_serves_each_client_its_encoding(client):
    for accept in ["gzip", "", "gzip", ""]:  # the first is built and cached, the others come from the cache
        response = client.get("/commitments/", headers={"Accept-Encoding": accept} if accept else {})
        body = gzip.decompress(response.content) if accept else response.content
        assert response.has_header("Content-Encoding") == bool(accept)
        assert body.startswith(b"<!doctype html>")


def test_nothing_with_a_secret_is_gzipped(client, data):
    """BREACH: a compressed body that holds a secret and reflects input leaks the secret by its length."""
    accept = {"Accept-Encoding": "gzip"}
    login = client.get("/admin/login/", headers=accept)
    assert login.status_code == 200 and b"csrfmiddlewaretoken" in login.content
    assert not login.has_header("Content-Encoding")
    assert not client.post("/admin/login/", {"username": "x", "password": "y"}, headers=accept).has_header(
        "Content-Encoding")
    export = client.get("/commitments/export.csv", headers=accept)  # streamed: its abort must stay visible
    assert export.status_code == 200 and not export.has_header("Content-Encoding")
    from . import factories

    client.force_login(factories.editor())
    assert not client.get("/commitments/", headers=accept).has_header("Content-Encoding")


def test_every_page_type_is_valid_html(client, tmp_path):
    """One run of the Nu Html Checker (one JVM) over every public page type and a few in Russian; errors fail,
    warnings are listed."""
    require("vnu.jar", VNU_JAR.exists(), f"not found at {VNU_JAR}")
    require("Java", java() is not None, "no java on PATH")
    files = {}
    for name, path, status in PAGES + RU_PAGES:
        response = client.get(path)
        assert response.status_code == status, path
        file = tmp_path / f"{name}.html"
        file.write_bytes(response.content)
        files[f"file:{file.resolve()}"] = path  # how vnu names the file it was given
    command = [java(), "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always",
               *(name.removeprefix("file:") for name in files)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)  # noqa: S603 - our own files
    messages = json.loads(run.stderr or run.stdout)["messages"]
    lines = [f"{m.get('type')}{'/' + m['subType'] if m.get('subType') else ''} {files.get(m.get('url'), m.get('url'))}"
             f":{m.get('lastLine', '?')}: {m.get('message')} [{m.get('extract', '').strip()[:120]}]"
             for m in messages]
    errors = [line for m, line in zip(messages, lines, strict=True) if m.get("type") in ("error", "non-document-error")]
    assert not errors, "\n".join(["Nu Html Checker errors:", *errors, "All messages:", *lines])


def test_query_counts_of_robots_and_the_sitemap(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/robots.txt")
    with django_assert_num_queries(6):  # one count a section that reads the database (pages do not)
        client.get("/sitemap.xml")
    with django_assert_num_queries(1):  # the slugs (with languages, Django pairs each row with each language in memory)
        client.get("/sitemap-commitments.xml")
