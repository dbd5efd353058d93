"""``python -m safety screen | evaluate``."""

import sys

from safety.cli import main

sys.exit(main())
