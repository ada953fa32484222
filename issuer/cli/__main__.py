"""`python -m issuer.cli` runs the `sky-badges` command."""

import sys

from issuer.cli import main

sys.exit(main())
