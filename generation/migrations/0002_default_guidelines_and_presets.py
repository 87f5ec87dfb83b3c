"""The global brand guideline and the first style presets; leads edit both in the admin."""

from django.db import migrations

ALWAYS_INCLUDE = """natural diverse Colombian people
warm natural light
authentic everyday moment"""

NEGATIVE_TERMS = """watermark
signature
garbled letters
distorted text
oversaturated
plastic skin
deformed hands
extra fingers"""

FORBIDDEN_TERMS = """logo
trademark
brand name
celebrity
famous person
real person's likeness
politician
text with interest rates
percentage
price tag
minor
child
weapon
alcohol
gambling
cash pile"""

NOTES = (
    "Bank marketing in Colombia: inclusive, warm and trustworthy. Show real-looking people in "
    "everyday places (homes, small shops, streets, offices). Never promise returns or rates, "
    "never show money piles, never imitate a competitor's identity."
)

PRESETS = [
    (
        "natural-photo",
        "Fotografía natural",
        "Natural photography",
        "candid lifestyle photograph, 35mm, natural light, shallow depth of field",
        "studio backdrop, posed stock photo",
    ),
    (
        "clean-studio",
        "Estudio limpio",
        "Clean studio",
        "clean studio photograph, seamless light background, soft box lighting, crisp detail",
        "cluttered background, harsh shadows",
    ),
    (
        "warm-cinematic",
        "Cinemático cálido",
        "Warm cinematic",
        "cinematic still, golden hour, warm tones, gentle film grain",
        "cold tones, flat lighting",
    ),
    (
        "flat-illustration",
        "Ilustración plana",
        "Flat illustration",
        "flat vector illustration, bold simple shapes, limited palette, clean lines",
        "photorealistic, photograph, 3d render",
    ),
    (
        "soft-3d",
        "3D suave",
        "Soft 3D",
        "soft 3d render, rounded shapes, pastel palette, gentle global illumination",
        "photograph, harsh lighting",
    ),
]


def forwards(apps, schema_editor):
    BrandGuideline = apps.get_model("generation", "BrandGuideline")
    StylePreset = apps.get_model("generation", "StylePreset")
    BrandGuideline.objects.get_or_create(
        node=None,
        defaults={
            "always_include": ALWAYS_INCLUDE,
            "negative_terms": NEGATIVE_TERMS,
            "forbidden_terms": FORBIDDEN_TERMS,
            "notes": NOTES,
        },
    )
    for position, (slug, name_es, name_en, positive, negative) in enumerate(PRESETS):
        StylePreset.objects.get_or_create(
            slug=slug,
            defaults={
                "name_es": name_es,
                "name_en": name_en,
                "positive": positive,
                "negative": negative,
                "position": position,
            },
        )


def backwards(apps, schema_editor):
    apps.get_model("generation", "StylePreset").objects.filter(
        slug__in=[slug for slug, *_ in PRESETS]
    ).delete()
    apps.get_model("generation", "BrandGuideline").objects.filter(node=None).delete()


class Migration(migrations.Migration):
    dependencies = [("generation", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
