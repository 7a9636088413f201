"""CreditLedger, Payment and StripeEvent now belong to billing (billing 0001 took them over in
Django's state, on the same tables): forget them here without touching the database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_initial"),
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="StripeEvent"),
                migrations.DeleteModel(name="Payment"),
                migrations.DeleteModel(name="CreditLedger"),
            ],
        ),
    ]
