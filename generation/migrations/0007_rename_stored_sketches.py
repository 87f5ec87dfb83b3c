"""Give sketches stored before 0006 a server-made name, as new ones get.

They kept the analyst's file name (evil.html stayed evil.html). Each is copied to
sketches/YYYY/MM/<random>.<extension of the format Pillow reads>, its row points there and keeps
the old base name as sketch_name, and the old file is deleted once the migration commits. A
file missing from storage is left as it is. The naming rule is copied here, frozen, as
migrations should not follow later code.
"""

import io
import uuid
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.db import migrations, transaction
from django.utils import timezone

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _extension(data: bytes) -> str:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            return EXTENSIONS.get(image.format or "", "")
    except Exception:  # not an image: stored without an extension, served as bytes
        return ""


def rename_stored_sketches(apps, schema_editor):
    Brief = apps.get_model("generation", "Brief")
    for brief in Brief.objects.exclude(sketch="").only("pk", "sketch").iterator():
        old = brief.sketch.name
        storage = brief.sketch.storage
        try:
            with storage.open(old, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        extension = _extension(data)
        suffix = f".{extension}" if extension else ""
        new = storage.save(
            f"sketches/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}", ContentFile(data)
        )
        Brief.objects.filter(pk=brief.pk).update(
            sketch=new, sketch_name=PurePosixPath(old).name[:255]
        )
        transaction.on_commit(lambda name=old, where=storage: where.delete(name))


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0006_brief_sketch_server_name"),
    ]

    operations = [
        migrations.RunPython(rename_stored_sketches, migrations.RunPython.noop, elidable=True),
    ]
