from django.db import migrations

PACKS = [("5 credits", 5, 4495), ("10 credits", 10, 8490)]


def seed_packs(apps, schema_editor):
    CreditPack = apps.get_model("billing", "CreditPack")
    for name, credits, price in PACKS:
        CreditPack.objects.get_or_create(credits=credits, defaults={"name": name, "price_cents": price})


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_earnings_packs_refunds")]

    operations = [migrations.RunPython(seed_packs, migrations.RunPython.noop)]
