"""English dates as the site writes them: "6 Dec 2026", the same order as the Spanish pages.

Django's `en` writes "Dec. 6, 2026" and "12/06/2026", which a reader of both languages (and a
Colombian reading the English pages) takes for 12 June; the short form here is ISO, and so are
typed dates (the library's filter says "yyyy-mm-dd"). Numbers keep Django's `en` ("1,500").
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "M Y"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
# Typed dates: ISO only. Django's `en` also reads mm/dd/yyyy, which a Colombian user on the
# English pages would type meaning dd/mm: refused is better than read as another day.
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
