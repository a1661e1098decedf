"""What a trained rate network does inside: population trajectories, fixed points, psychometric
curves and lesions. Each analysis is a function returning plain NumPy results; rnncourse.rate.plots
draws each one (plot_pca, plot_fixed_points, plot_psychometric, plot_lesion).

    trajectories     condition-averaged rates and their principal components
    fixed_points     states where the noise-free dynamics stop, with their stability
    psychometric     Mante: choices against the evidence of each channel, in each context
    lesion           a copy of the network with some units silenced; compare_lesions re-evaluates

Time is in steps (one step = 5 ms). Computations run on the model's device; randomness comes from
explicit seeds, through rnncourse.rate.evaluation.make_generators, so that a seed gives the same
trials and noise as evaluate(..., seed=seed).

The fixed points are those of the continuous dynamics without noise, the flow

    dx/dt = F(x) = (-x + W_eff phi(x) + w_in u) / tau        (per step; tau per unit, in steps)

that the network's Euler steps discretise (x[t] = x[t-1] + DeltaT F(x[t-1]) + noise, DeltaT = 1).
Its Jacobian is J = diag(1/tau) (-I + W_eff diag(phi'(x))), and a fixed point is stable when every
eigenvalue of J has a negative real part. (The Euler map's Jacobian is I + DeltaT J, with
eigenvalues 1 + DeltaT lambda; as tau >= 4 steps here, the two rules agree for the eigenvalues a
trained network has, but the flow's is the one stated and used.)
"""

from .fixed_points import FixedPoints, fixed_points, jacobian, speed, velocity
from .lesions import compare_lesions, lesion, lesion_units
from .psychometric import Psychometric, psychometric
from .trajectories import Trajectories, trajectories

__all__ = ["FixedPoints", "Psychometric", "Trajectories", "compare_lesions", "fixed_points", "jacobian", "lesion",
           "lesion_units", "psychometric", "speed", "trajectories", "velocity"]
