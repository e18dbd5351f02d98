"""``bench/served.py``: its grouping and summaries, and one short end-to-end run under gunicorn."""

import importlib.util
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def load_served():
    spec = importlib.util.spec_from_file_location("bench_served", ROOT / "bench" / "served.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


served = load_served()
measure = sys.modules["measure"]
WORDS = measure.word_set("health", "kz", "uz")


def test_groups_split_the_word_set_by_band_country_and_order():
    groups, _ = served.plan(WORDS)
    lists = groups["list, word set"]
    assert len(lists) == len(set(lists)) == 40
    assert {band: len(groups[f"list, word set: {band} words"]) for band in measure.WORDS} == {
        band: 4 * len(words) for band, words in measure.WORDS.items()}
    one_country = groups["list, word set, one country"]
    assert len(one_country) == 20 and all("country=kz&" in url or "country=uz&" in url for url in one_country)
    relevance, title = groups["list, word set, relevance order"], groups["list, word set, title order"]
    assert len(relevance) == 10 and all("sort=relevance" in url for url in relevance)
    assert sorted(relevance + title) == sorted(lists)
    assert groups["matrix, word set"] == [url.replace("/commitments/", "/countries/matrix/") for url in lists]
    assert groups["list, unfiltered"] == ["/commitments/"] and groups["overview"] == ["/"]


def test_a_round_asks_every_address_and_the_unfiltered_pages_repeats_times_spread_out():
    groups, order = served.plan(WORDS)
    for url in groups["list, word set"] + groups["matrix, word set"]:
        assert order.count(url) == 1
    assert order.count("/") == order.count("/commitments/") == served.REPEATS
    overview_at = [i for i, url in enumerate(order) if url == "/"]
    assert overview_at[0] < len(order) // 4 and overview_at[-1] > len(order) * 3 // 4  # spread over the round


def test_summary_is_over_every_sample_of_the_group_with_each_rounds_median():
    found = {
        "/a": {"ms": [[1, 2], [3, 100]], "cpu": [[1, 1], [1, 3]], "bytes": 10},
        "/b": {"ms": [[4, 5], [6, 7]], "cpu": [[2, 2], [2, 2]], "bytes": 30},
    }
    summary = served.summarize(found, ["/a", "/b"])
    assert summary["median_ms"] == 4.5 and summary["min_ms"] == 1 and summary["max_ms"] == 100
    assert summary["p95_ms"] == pytest.approx(measure.percentile([1, 2, 3, 100, 4, 5, 6, 7], 0.95), abs=0.01)
    assert summary["round_medians_ms"] == [3.0, 6.5]
    assert summary["samples"] == 8 and summary["addresses"] == 2 and summary["bytes"] == 20
    assert summary["server_cpu_median_ms"] == 2 and summary["round_cpu_medians_ms"] == [1.5, 2]
    assert summary["slowest"] == "/b"  # by each address's median, not its worst sample


@pytest.mark.skipif(shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None,
                    reason="gunicorn is not installed")
@pytest.mark.django_db(transaction=True)
def test_it_serves_a_small_database_end_to_end(tmp_path, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("served from a copy of the SQLite test database")
    call_command("generate_demo_data", commitments=20, updates_per_commitment=1, seed=1, stdout=None)
    path = tmp_path / "served.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as copy:
        connection.connection.backup(copy)
    monkeypatch.setenv("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
    words = [w for w in measure.word_set(*measure.word_set_choices()) if w[1] in ("border", "submarine")]

    out = served.run(f"sqlite:///{path}", runs=1, log=tmp_path / "gunicorn.log", words=words)

    assert out["vendor"] == "sqlite" and out["commitments"] == 20 and out["rounds"] == 1
    assert out["warm_up"]["index_in_every_worker"] is True and out["warm_up"]["every_page_in_every_worker"] is True
    assert len(out["requests_per_worker"]) == served.WORKERS and not out["workers_replaced"]
    pages = out["pages"]
    assert pages["list, word set"]["samples"] == len(words) and pages["matrix, word set"]["samples"] == len(words)
    assert pages["overview"]["samples"] == pages["list, unfiltered"]["samples"] >= 1
    assert all(page["median_ms"] > 0 for page in pages.values())
