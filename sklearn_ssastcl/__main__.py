"""``python -m sklearn_ssastcl``: the ``ssastcl`` command line."""

import sys

from sklearn_ssastcl.cli import main

sys.exit(main())
