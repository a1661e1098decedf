"""From rates to spikes: spikeRNN's conversion of a trained rate RNN into leaky integrate-and-fire units.

    network     LIFNetwork: a rate .mat read as the conversion reads it (float64, rectified under Dale)
    simulate    the LIF simulation, a batch of trials at once, float64 reference or float32 fast, on
                one of three engines that compute the same:
    compiled      the steps compiled with numba, one trial per call, trials on threads (the CPU's)
    arrays        the steps as whole-batch NumPy or torch operations (without numba; a GPU's)
    streams     each trial's random streams (initial voltages, noise, stimulation coins)
    evaluation  spiking trials per task, spikeRNN's correctness rule, accuracy per scaling factor
    grid        the scaling-factor grid search, its fields appended to each model's .mat
    plots       spike raster, outputs, accuracy against s (import it explicitly)
    cli         python -m rnncourse.spiking grid-search | eval

The specification followed, with its reference numbers, is spikeRNN's MATLAB original (Kim, Li &
Sejnowski, PNAS 2019) as docs/reference/spiking.md states it.
"""

from rnncourse.spiking.evaluation import SCALING_FACTORS, SpikingEvaluation, correct, evaluate, spiking_trials
from rnncourse.spiking.grid import grid_search
from rnncourse.spiking.network import LIFNetwork
from rnncourse.spiking.simulate import Run, simulate

__all__ = ["SCALING_FACTORS", "LIFNetwork", "Run", "SpikingEvaluation", "correct", "evaluate", "grid_search",
           "simulate", "spiking_trials"]
