"""``python -m erpcap`` runs the command line."""

from __future__ import annotations

import sys

from erpcap.cli import main

sys.exit(main())
