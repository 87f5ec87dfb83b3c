from campaigns.models import Platform


def test_the_four_platforms_are_seeded_by_migration(db):
    assert sorted(Platform.objects.values_list("slug", flat=True)) == [
        "google_ads",
        "linkedin",
        "meta",
        "x",
    ]
