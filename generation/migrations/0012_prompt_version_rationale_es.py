"""A Spanish rationale beside the English one (issue 16 item 6), filled where it can be derived.

Edits and restores were saved through gettext in the saver's language, so an old row holds
either "Edited by X." or "Editado por X." in `rationale`: both become the English text there
and the Spanish one in `rationale_es`. The LLM's stand-in sentence gets its Spanish one. The
composer's rationales cannot be re-derived without the references of the day: they stay
English only, and the page marks them lang="en". The texts are written out here, not read from
the catalogue, so the migration gives the same rows whatever the catalogue says later.
"""

import re

from django.db import migrations, models

# (English pattern, Spanish pattern, English text, Spanish text)
KNOWN = [
    (
        r"Edited by (?P<name>.+)\.",
        r"Editado por (?P<name>.+)\.",
        "Edited by {name}.",
        "Editado por {name}.",
    ),
    (
        r"Restored from version (?P<number>\d+) by (?P<name>.+)\.",
        r"Restaurada desde la versión (?P<number>\d+) por (?P<name>.+)\.",
        "Restored from version {number} by {name}.",
        "Restaurada desde la versión {number} por {name}.",
    ),
]
LLM_STAND_IN = re.compile(
    r"Written by the language model from the brief and (?P<count>\d+) references\."
)


def both_languages(rationale: str) -> tuple[str, str] | None:
    """(English, Spanish) for a rationale of a known form, else None."""
    for english, spanish, english_text, spanish_text in KNOWN:
        for pattern in (english, spanish):
            match = re.fullmatch(pattern, rationale)
            if match:
                return (
                    english_text.format(**match.groupdict()),
                    spanish_text.format(**match.groupdict()),
                )
    match = LLM_STAND_IN.fullmatch(rationale)
    if match:
        count = int(match["count"])
        references = "1 referencia" if count == 1 else f"{count} referencias"
        return rationale, (
            f"Prompt escrito por el modelo de lenguaje a partir de {references} "
            "y las pautas de la marca."
        )
    return None


def fill_spanish(apps, schema_editor):
    PromptVersion = apps.get_model("generation", "PromptVersion")
    for version in PromptVersion.objects.filter(rationale_es="").exclude(rationale="").iterator():
        texts = both_languages(version.rationale)
        if texts:
            version.rationale, version.rationale_es = texts
            version.save(update_fields=["rationale", "rationale_es"])


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0011_prompt_version_restored_from"),
    ]

    operations = [
        migrations.AddField(
            model_name="promptversion",
            name="rationale_es",
            field=models.TextField(blank=True, verbose_name="rationale (Spanish)"),
        ),
        migrations.RunPython(fill_spanish, migrations.RunPython.noop),
    ]
