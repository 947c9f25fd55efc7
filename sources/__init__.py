"""Site adapters: one module and one class per site, registered by key.

Importing this package registers every built-in source.
"""

from sources import kz_legalacts  # noqa: F401
