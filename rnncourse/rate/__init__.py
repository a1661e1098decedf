"""Rate RNNs for cognitive tasks: spikeRNN's rate model (Kim, Li & Sejnowski, PNAS 2019) in PyTorch.

    model       RateRNN: E/I units, Dale's principle, sparse w, trainable time constants
    recurrence  the Euler recurrence over a trial, with its backward pass by hand (speed)
    tasks       Go-NoGo, XOR, Mante as spikeRNN generates them; a registry for new tasks
    losses      spikeRNN's l2 / l1 trial losses with its one-step output offset
    evaluation  100-trial evaluation, correctness rules, the stopping rule
    optimizer   Adam as TensorFlow 1 computes it
    training    BPTT with Adam: faithful (batch_size=1) or batched (default)
    many        train_many: K independent networks at once, each as train() would make it
    matfile     .mat files in spikeRNN's layout, both ways
    plots       trials, training curves, weights, time constants, eigenvalues, analyses (import explicitly)
    analysis    trajectories and PCA, fixed points, psychometric curves, lesions (import explicitly)
    cli         `python -m rnncourse.rate` with spikeRNN main.py's flags
"""

from rnncourse.rate.evaluation import Evaluation, criterion_met, evaluate, make_generators
from rnncourse.rate.losses import trial_losses
from rnncourse.rate.many import train_many
from rnncourse.rate.matfile import SavedModel, load_mat, mat_path, save_mat
from rnncourse.rate.model import RateRNN, RateRun, StateNoise, draw_noise
from rnncourse.rate.optimizer import TFAdam
from rnncourse.rate.tasks import TASKS, XOR, GoNoGo, Mante, Task, Trials, get_task, register_task
from rnncourse.rate.training import DEFAULT_BATCH_SIZE, TrainingResult, train, train_step, trainable_parameters

__all__ = [
           "DEFAULT_BATCH_SIZE",
           "TASKS",
           "XOR",
           "Evaluation",
           "GoNoGo",
           "Mante",
           "RateRNN",
           "RateRun",
           "SavedModel",
           "StateNoise",
           "TFAdam",
           "Task",
           "TrainingResult",
           "Trials",
           "criterion_met",
           "draw_noise",
           "evaluate",
           "get_task",
           "load_mat",
           "make_generators",
           "mat_path",
           "register_task",
           "save_mat",
           "train",
           "train_many",
           "train_step",
           "trainable_parameters",
           "trial_losses",
]
