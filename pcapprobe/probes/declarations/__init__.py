"""Every provider's struct and probe declarations, imported in dependency order.

Like libdtrace's ``net.d``/``ip.d``/``tcp.d``: shared structs first, then each
provider.  The list is written out by hand: a missing import must be visible.
"""

from pcapprobe.probes.declarations import net  # noqa: F401  conninfo_t, ipinfo_t ...
from pcapprobe.probes.declarations import ip  # noqa: F401
