import datetime

import factory

from actions.factories import ActionSheetFactory

from .models import Indicator, Measurement


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    action_sheet = factory.SubFactory(ActionSheetFactory)
    name = factory.Sequence(lambda n: f"Indicateur {n}")
    unit = "places"
    baseline_value = 10
    baseline_date = datetime.date(2022, 1, 1)
    target_value = 20
    target_date = datetime.date(2025, 12, 31)


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    indicator = factory.SubFactory(IndicatorFactory)
    date = datetime.date(2023, 12, 31)
    value = 14
    # Counted at once, as before the validation by the Caf: the services follow the setting.
    validation_state = Measurement.State.VALIDATED
