import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Uploaded evidence documents go to a throwaway folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(db):
    """The small public catalogue of ``factories.catalogue()`` (five public commitments and hidden ones)."""
    from . import factories

    return factories.catalogue()
