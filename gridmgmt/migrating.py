"""Migration helpers for moving models between apps while their tables and rows stay where they are."""

from django.db import migrations


def content_types_moved(*, models: tuple[str, ...], source: str, target: str) -> migrations.RunPython:
    """Relabel the moved models' content types (source app → target app, and back when unapplied), so that
    permissions, admin log entries and generic references follow the models instead of being orphaned."""

    def move(apps, schema_editor, *, frm: str, to: str) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        rows = content_type.objects.using(schema_editor.connection.alias)
        for model in models:
            if not rows.filter(app_label=to, model=model).exists():
                rows.filter(app_label=frm, model=model).update(app_label=to)
        content_type.objects.clear_cache()

    return migrations.RunPython(
        lambda apps, editor: move(apps, editor, frm=source, to=target),
        lambda apps, editor: move(apps, editor, frm=target, to=source),
    )
