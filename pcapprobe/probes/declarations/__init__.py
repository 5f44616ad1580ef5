"""Every provider's struct and probe declarations, imported in dependency order.

Like libdtrace's ``net.d``/``ip.d``/``tcp.d``: shared structs first, then each
provider.  The list is written out by hand: a missing import must be visible.
"""

from pcapprobe.probes.declarations import net  # noqa: F401  conninfo_t, ipinfo_t ...
from pcapprobe.probes.declarations import ip  # noqa: F401
from pcapprobe.probes.declarations import tcp  # noqa: F401
from pcapprobe.probes.declarations import udp  # noqa: F401
from pcapprobe.probes.declarations import scsi  # noqa: F401  scsicmd_t, xferinfo_t
from pcapprobe.probes.declarations import iscsi  # noqa: F401
from pcapprobe.probes.declarations import fc  # noqa: F401  after scsi
from pcapprobe.probes.declarations import srp  # noqa: F401  after scsi
from pcapprobe.probes.declarations import nfsv3  # noqa: F401  cred_t
from pcapprobe.probes.declarations import nfsv4  # noqa: F401  after nfsv3 (cred_t)
from pcapprobe.probes.declarations import io  # noqa: F401
