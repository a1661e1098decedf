"""`python -m rnncourse.rate ...`: see rnncourse.rate.cli."""

import sys

from rnncourse.rate.cli import main

sys.exit(main())
