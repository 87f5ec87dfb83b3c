"""The competitor and public-figure lists leads edit on a brand guideline (issue 14 item 3).

The global default starts with the guardrails' default lists (a copy: a migration must not
change when the data file does). Leads already hold change_brandguideline (0009), so the
Marketing leads group edits these lists with no new permission.
"""

from django.db import migrations, models

COMPETITORS = [
    "Davivienda",
    "Daviplata",
    "Banco de Bogotá",
    "BBVA",
    "Banco Popular",
    "Banco de Occidente",
    "AV Villas",
    "Scotiabank",
    "Colpatria",
    "Itaú",
    "Banco Caja Social",
    "Banco Falabella",
    "Nubank",
    "Lulo Bank",
    "RappiPay",
    "Movii",
    "Bancamía",
]
PUBLIC_FIGURES = [
    "Shakira",
    "Karol G",
    "Maluma",
    "J Balvin",
    "Juanes",
    "Carlos Vives",
    "Sofía Vergara",
    "James Rodríguez",
    "Luis Díaz",
    "Radamel Falcao",
    "Egan Bernal",
    "Gustavo Petro",
    "Álvaro Uribe",
    "Iván Duque",
    "Juan Manuel Santos",
    "Gabriel García Márquez",
    "Fernando Botero",
    "Lionel Messi",
    "Elon Musk",
]


def forwards(apps, schema_editor):
    BrandGuideline = apps.get_model("generation", "BrandGuideline")
    BrandGuideline.objects.filter(node__isnull=True, competitors="").update(
        competitors="\n".join(COMPETITORS)
    )
    BrandGuideline.objects.filter(node__isnull=True, public_figures="").update(
        public_figures="\n".join(PUBLIC_FIGURES)
    )


class Migration(migrations.Migration):
    dependencies = [("generation", "0012_prompt_version_rationale_es")]

    operations = [
        migrations.AddField(
            model_name="brandguideline",
            name="competitors",
            field=models.TextField(
                blank=True,
                help_text="One per line: never allowed in a prompt (removed with a note when an "
                "analyst types one).",
                verbose_name="competitor banks and products",
            ),
        ),
        migrations.AddField(
            model_name="brandguideline",
            name="public_figures",
            field=models.TextField(
                blank=True,
                help_text="One per line, by name: never allowed in a prompt (removed with a note "
                "when an analyst types one).",
                verbose_name="public figures",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
