"""python -m rnncourse.rate.pretrained [TASK ...]: make the shipped networks again, by their recipes."""

import sys

from rnncourse.rate.pretrained import RECIPES, make_again
from rnncourse.spiking.grid import table

for name in sys.argv[1:] or RECIPES:
    path, result, search = make_again(name)
    print(f"{path}: stopped at trial {result.tr}, criterion met: {result.success}; "
          f"opt_scaling_factor = {search.best:g}\n{table(search)}")
