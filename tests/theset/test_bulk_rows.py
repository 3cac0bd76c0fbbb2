"""Rows for bulk_upsert are built by field name, in the order of the fields written."""

import pytest

from theset.bulk import row_of


@pytest.mark.parametrize(
    ("fields", "values", "row"),
    [
        (["name", "city"], {"city": "Austin", "name": "Hall"}, ("Hall", "Austin")),
        (["venue_id", "name"], {"name": "Show", "venue_id": None}, (None, "Show")),
    ],
)
def test_values_come_out_in_the_fields_order(fields, values, row):
    assert row_of(fields, **values) == row


@pytest.mark.parametrize(
    "values", [{"name": "Hall"}, {"name": "Hall", "city": "Austin", "state": "Texas"}]
)
def test_a_field_missing_or_extra_is_refused(values):
    with pytest.raises(ValueError, match="a row of"):
        row_of(["name", "city"], **values)
