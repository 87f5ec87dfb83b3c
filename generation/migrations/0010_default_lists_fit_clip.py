"""Shorter default negative and forbidden lists, so the mandatory negative prompt fits CLIP.

Issue 14 item 4. Counted exactly with CLIP's BPE (instant-clip-tokenizer), start and end markers
included, the default lists of 0002 filled 71 of the 77 tokens the image model reads, leaving 6
for a style preset's negatives (the longest takes 9 with its comma), so the end of the negative
prompt was cut off unread. The same meaning in fewer tokens:

- "real person's likeness" (5 tokens) -> "lookalike" (1);
- "text with interest rates" (4) -> "interest rates" (2): written text is already refused;
- "garbled letters, distorted text" (7 with the comma) -> "garbled text" (3).

Now 61 of 77 (70 with the longest preset's negatives). Only a global default still holding
0002's lists exactly is changed: a lead's own edits are kept.
"""

from django.db import migrations

OLD_NEGATIVE = [
    "watermark",
    "signature",
    "garbled letters",
    "distorted text",
    "oversaturated",
    "plastic skin",
    "deformed hands",
    "extra fingers",
]
NEW_NEGATIVE = [
    "watermark",
    "signature",
    "garbled text",
    "oversaturated",
    "plastic skin",
    "deformed hands",
    "extra fingers",
]
OLD_FORBIDDEN = [
    "logo",
    "trademark",
    "brand name",
    "celebrity",
    "famous person",
    "real person's likeness",
    "politician",
    "text with interest rates",
    "percentage",
    "price tag",
    "minor",
    "child",
    "weapon",
    "alcohol",
    "gambling",
    "cash pile",
]
NEW_FORBIDDEN = [
    "logo",
    "trademark",
    "brand name",
    "celebrity",
    "famous person",
    "lookalike",
    "politician",
    "interest rates",
    "percentage",
    "price tag",
    "minor",
    "child",
    "weapon",
    "alcohol",
    "gambling",
    "cash pile",
]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _swap(apps, negative: tuple[list[str], list[str]], forbidden: tuple[list[str], list[str]]):
    BrandGuideline = apps.get_model("generation", "BrandGuideline")
    for guideline in BrandGuideline.objects.filter(node=None):
        changed = []
        if _lines(guideline.negative_terms) == negative[0]:
            guideline.negative_terms = "\n".join(negative[1])
            changed.append("negative_terms")
        if _lines(guideline.forbidden_terms) == forbidden[0]:
            guideline.forbidden_terms = "\n".join(forbidden[1])
            changed.append("forbidden_terms")
        if changed:
            guideline.save(update_fields=changed)


def forwards(apps, schema_editor):
    _swap(apps, (OLD_NEGATIVE, NEW_NEGATIVE), (OLD_FORBIDDEN, NEW_FORBIDDEN))


def backwards(apps, schema_editor):
    _swap(apps, (NEW_NEGATIVE, OLD_NEGATIVE), (NEW_FORBIDDEN, OLD_FORBIDDEN))


class Migration(migrations.Migration):
    dependencies = [("generation", "0009_lead_permissions")]

    operations = [migrations.RunPython(forwards, backwards)]
