"""``python -m pcapprobe``."""

from pcapprobe.cli import main

raise SystemExit(main())
