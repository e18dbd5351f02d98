"""Every public page type, on one set of data: what the HTML checker and axe-core walk.

``build()`` makes the shared catalogue (``factories.catalogue``: drafts and an archived commitment too),
assesses one commitment per country, and publishes a report (a draft one beside it). ``PAGES`` lists
one address of each public page type, with the status it answers.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools" / "node_modules"
AXE_JS = TOOLS / "axe-core" / "axe.min.js"
VNU_JAR = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"

# (name, path, status)
PAGES = [
    ("overview", "/", 200),
    ("list", "/commitments/", 200),
    ("list-filtered", "/commitments/?theme=pcve&status=achieved&q=expert", 200),
    ("list-one-country", "/commitments/?country=kz", 200),
    ("commitment-regional", "/commitments/deploy-ct-expert/", 200),
    ("commitment-per-country", "/commitments/reintegrate-returning-families/", 200),
    ("taxonomy", "/themes/pcve/", 200),
    ("country", "/countries/kg/", 200),
    ("source", "/sources/eu-strategy-2019/", 200),
    ("themes", "/themes/", 200),
    ("countries", "/countries/", 200),
    ("actors", "/actors/", 200),
    ("matrix", "/countries/matrix/", 200),
    ("updates", "/updates/", 200),
    ("about", "/about/", 200),
    ("data", "/about/data/", 200),
    ("methodology", "/methodology/", 200),
    ("reports", "/reports/", 200),
    ("report", "/reports/2025/", 200),
    ("archived", "/commitments/archived-commitment/", 410),
    ("not-found", "/no-such-page/", 404),
    ("bad-request", "/commitments/?status=bogus&theme=pcve", 400),
    ("bad-request-page", "/?as_of=31-12-2020", 400),
]

# A few of them in Russian (under /ru/): the checkers walk these too, since the language changes the markup
# (lang attributes on English fallbacks, longer labels, the switcher's current language).
RU_PAGES = [
    ("ru-overview", "/ru/", 200),
    ("ru-list-filtered", "/ru/commitments/?theme=pcve&status=achieved&q=expert", 200),
    ("ru-commitment-per-country", "/ru/commitments/reintegrate-returning-families/", 200),
    ("ru-about", "/ru/about/", 200),
]


def build():
    from commitments import cache, services
    from commitments.models import Commitment
    from commitments.reports.periods import parse_period

    from . import factories

    ns = factories.catalogue()
    ns.families.assessment_scope = Commitment.Scope.PER_COUNTRY
    ns.families.save()
    factories.update(ns.families, status="in_progress", as_of=date(2024, 2, 1), published=True, country=ns.kg,
                     summary="Kyrgyzstan: one centre open in Osh.")
    ns.report, _ = services.prepare_report(period=parse_period("2025"))
    ns.report = services.publish_report(report=ns.report, user=factories.publisher())
    ns.draft_report, _ = services.prepare_report(period=parse_period("2024"))
    cache.bump()
    return ns


def require(what: str, present: bool, reason: str) -> None:
    """Skip (saying why) when a checker is missing; in CI (``REQUIRE_STANDARDS_TOOLS``) fail instead."""
    if present:
        return
    if os.environ.get("REQUIRE_STANDARDS_TOOLS"):
        raise RuntimeError(f"REQUIRE_STANDARDS_TOOLS is set but {what} is missing: {reason}")
    pytest.skip(f"{what} missing ({reason}): run `make tools`", allow_module_level=True)


def java() -> str | None:
    return shutil.which("java")
