"""French number format for Django's localisation (``{{ 1234 }}``, ``|floatformat:"2g"``),
as ``ctg.formatting`` writes numbers: digits grouped by a narrow no-break space
(U+202F), where Django's French locale uses a no-break space (U+00A0).

Active once the settings say ``FORMAT_MODULE_PATH = ["ctg.formats"]``; every other
format (dates…) stays Django's French one.
"""

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\u202f"
NUMBER_GROUPING = 3
