"""The moved tables take billing's names (a rename: every row stays)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="stripeevent", table=None),
        migrations.AlterModelTable(name="payment", table=None),
        migrations.AlterModelTable(name="creditledger", table=None),
        migrations.RenameIndex(
            model_name="creditledger",
            new_name="credit_customer_created",
            old_name="customers_c_custome_2d9980_idx",
        ),
    ]
