"""A format module that groups as India does (12,34,567): tests/test_figures.py reads it to
check that `figures.number` leaves a grouping other than threes to Django."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = (3, 2, 0)
