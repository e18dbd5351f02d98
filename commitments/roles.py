"""The two staff roles and their permissions: least privilege, defined once.

Editors write commitments, drafts and evidence, and propose revisions of published content;
Publishers also publish, withdraw, archive, review revisions and delete.
Applied by data migrations through ``sync_roles`` (safe to re-run).
"""

EDITORS = "Editors"
PUBLISHERS = "Publishers"

_EDIT = [
    "view_source",
    "add_source",
    "change_source",
    "view_actor",
    "add_actor",
    "change_actor",
    "view_country",
    "view_theme",
    "add_theme",
    "change_theme",
    "view_commitment",
    "add_commitment",
    "change_commitment",
    "view_statusupdate",
    "add_statusupdate",
    "change_statusupdate",
    "delete_statusupdate",
    "view_evidence",
    "add_evidence",
    "change_evidence",
    "delete_evidence",
    "view_progressreport",
    "add_progressreport",
    "change_progressreport",
    "view_revision",
    "view_publicchange",
]
_PUBLISH = [
    "publish_statusupdate",
    "publish_commitment",
    "delete_commitment",
    "delete_source",
    "delete_actor",
    "delete_theme",
    "add_country",
    "change_country",
    "publish_progressreport",
    "delete_progressreport",
    "review_revision",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    EDITORS: _EDIT,
    PUBLISHERS: _EDIT + _PUBLISH,
}


def sync_roles(apps, schema_editor=None) -> None:
    """Create the groups and give each exactly its permissions (app label ``commitments``)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # create_permissions skips apps without models
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # A migration sees the models as they were then: grant only permissions of models that exist yet.
    existing = {m._meta.model_name for m in apps.get_app_config("commitments").get_models()}
    for name, all_codenames in ROLE_PERMISSIONS.items():
        codenames = [c for c in all_codenames if c.split("_", 1)[1] in existing]
        group, _ = Group.objects.get_or_create(name=name)
        perms = list(Permission.objects.filter(content_type__app_label="commitments", codename__in=codenames))
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"Role {name}: unknown permissions {sorted(missing)}")
        group.permissions.set(perms)
