"""Spanish as written in Colombia: "1.500", "1.234,5", "6 dic 2026", "06/12/2026".

Django's `es` groups thousands with a no-break space ("1 500"); the site's users are Colombian,
so numbers take `es_CO`'s separators. Every number the site prints follows these:
campaigns.figures, and the templates' `intcomma`, `localize` and `floatformat:"g"`.

Dates: pages print them through the named formats (`|date:"DATE_FORMAT"` and the like), so
these decide. Colombian short style, the month abbreviated in lower case as Spanish writes it
("6 dic 2026"; Django's `es` spells "6 de diciembre de 2026", too long for tables and lists).
Typed dates are day first (dd/mm/yyyy, what the admin's date boxes show); Django also accepts
yyyy-mm-dd, which is what an `<input type="date">` sends. Django falls back to its own `es`
module for anything not set here.
"""

from django.conf.locale.es_CO.formats import (  # noqa: F401
    DECIMAL_SEPARATOR,
    NUMBER_GROUPING,
    THOUSAND_SEPARATOR,
)

DATE_FORMAT = "j b Y"
DATETIME_FORMAT = "j b Y, H:i"
YEAR_MONTH_FORMAT = "b Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
# The first is what date boxes show; the others are what people also type.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y"]
