import sys

from rnncourse.spiking.cli import main

sys.exit(main())
