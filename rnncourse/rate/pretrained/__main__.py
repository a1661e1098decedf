"""python -m rnncourse.rate.pretrained [--search-only] [TASK ...]: make the shipped networks again by
their recipes, or (--search-only) run only their spiking grid search again on the shipped files."""

import sys

from rnncourse.rate.pretrained import RECIPES, make_again, search_again
from rnncourse.spiking.grid import table

arguments = sys.argv[1:]
search_only = "--search-only" in arguments
for name in [a for a in arguments if a != "--search-only"] or RECIPES:
    if search_only:
        search = search_again(name)
        print(f"{name}: " + ("no spiking search in its recipe" if search is None else
                             f"opt_scaling_factor = {search.best:g}\n{table(search)}"))
        continue
    path, result, search = make_again(name)
    print(f"{path}: stopped at trial {result.tr}, criterion met: {result.success}"
          + ("" if search is None else f"; opt_scaling_factor = {search.best:g}\n{table(search)}"))
