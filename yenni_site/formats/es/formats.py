"""Spanish as written in Colombia: "1.500" and "1.234,5".

Django's `es` groups thousands with a no-break space ("1 500"); the site's users are Colombian,
so numbers take `es_CO`'s separators. Only the separators: dates keep Django's `es` formats.
Every number the site prints follows these: campaigns.figures, and the templates' `intcomma`,
`localize` and `floatformat:"g"`. Django falls back to its own `es` module for anything not
set here.
"""

from django.conf.locale.es_CO.formats import (  # noqa: F401
    DECIMAL_SEPARATOR,
    NUMBER_GROUPING,
    THOUSAND_SEPARATOR,
)
