"""Templates are parsed once per process in every environment, not on each render (issue 18)."""

from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader


def test_templates_are_cached_in_every_environment(settings):
    # Django wraps the loaders in the cached loader whenever OPTIONS["loaders"] is unset, DEBUG on or off
    # (the autoreloader empties it when a template changes). Setting "loaders" would silently lose that.
    assert "loaders" not in settings.TEMPLATES[0]["OPTIONS"]
    loaders = engines["django"].engine.template_loaders
    assert [type(loader) for loader in loaders] == [CachedLoader]
