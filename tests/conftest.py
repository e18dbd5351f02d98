import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Uploaded evidence documents go to a throwaway folder.
    settings.MEDIA_ROOT = tmp_path / "media"
