"""`python -m rnncourse.rate`: spikeRNN's README command end to end, --mode eval, and clear errors."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch

from rnncourse.rate.cli import main
from rnncourse.rate.evaluation import evaluate
from rnncourse.rate.matfile import load_mat

README = ("--gpu 0 --gpu_frac 0.20 --n_trials 5000 --mode train --N 200 --P_inh 0.20 --som_N 0 --apply_dale True "
          "--gain 1.5 --task go-nogo --act sigmoid --loss_fn l2 --decay_taus 4 20 --output_dir").split()
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def keep_environment():
    """--gpu sets CUDA_VISIBLE_DEVICES and --threads the torch threads: undo both after each test."""
    visible, threads = os.environ.get("CUDA_VISIBLE_DEVICES"), torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
    if visible is None:
        os.environ.pop("CUDA_VISIBLE_DEVICES", None)
    else:
        os.environ["CUDA_VISIBLE_DEVICES"] = visible


def readme_command(output_dir, n_trials):
    args = [*README, str(output_dir)]
    args[args.index("5000")] = str(n_trials)
    return args


def test_readme_command_unchanged_trains_and_writes_spikernn_file(tmp_path):
    """The README command (only --n_trials made small) run as `python -m rnncourse.rate` writes
    OUT/models/go-nogo/P_rec_0.2_Taus_4.0_20.0/Task_go-nogo_N_200_Taus_4.0_20.0_Act_sigmoid_<time>.mat."""
    completed = subprocess.run([sys.executable, "-m", "rnncourse.rate", *readme_command(tmp_path, 3), "--seed", "5"],
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    files = list((tmp_path / "models" / "go-nogo" / "P_rec_0.2_Taus_4.0_20.0").iterdir())
    assert len(files) == 1
    assert re.fullmatch(r"Task_go-nogo_N_200_Taus_4\.0_20\.0_Act_sigmoid_\d{4}_\d{2}_\d{2}_\d{6}\.mat", files[0].name)
    data = scipy.io.loadmat(files[0])
    assert data["N"].item() == 200 and data["som_N"].item() == 0 and data["tr"].item() == 2
    assert data["taus"].tolist() == [[4.0, 20.0]] and data["activation"][0] == "sigmoid"
    assert data["w"].shape == (200, 200) and data["w_in"].shape == (200, 1) and data["losses"].shape == (1, 3)
    assert data["batch_size"].item() == 8 and data["seed"].item() == 5 and data["loss_fn"][0] == "l2"
    assert abs(data["inh"].mean() - 0.2) < 0.1 and (data["w"] >= 0).all()
    assert "did not reach the stopping criterion in 3 trials" in completed.stdout
    assert str(files[0]) in completed.stdout


def test_batch_size_1_is_faithful_and_eval_mode_reports_accuracy(tmp_path, capsys):
    """--batch_size 1 trains one trial per update; --mode eval with the same flags finds the newest
    file, scores fresh trials and prints the accuracy that evaluate() gives for the same seed."""
    assert main([*readme_command(tmp_path, 2), "--N", "20", "--batch_size", "1", "--seed", "0"]) == 0
    path = next(tmp_path.rglob("*.mat"))
    assert path.name.startswith("Task_go-nogo_N_20_") and scipy.io.loadmat(path)["batch_size"].item() == 1
    capsys.readouterr()
    assert main(["--mode", "eval", "--output_dir", str(tmp_path), "--task", "go-nogo", "--N", "20",
                 "--decay_taus", "4", "20", "--n_trials", "40", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    saved = load_mat(path)
    expected = evaluate(saved.model, saved.task, 40, seed=3)
    assert f"go-nogo: accuracy {expected.accuracy:.2f} ({int(expected.correct.sum())}/40 trials correct)" in printed
    assert main(["--mode", "eval", "--model", str(path), "--seed", "3", "--n_trials", "40"]) == 0
    assert f"mean loss {expected.loss:.3f}" in capsys.readouterr().out


def test_single_tau_no_dale_xor_paths(tmp_path, capsys):
    assert main(["--mode", "train", "--n_trials", "1", "--N", "10", "--task", "XOR", "--apply_dale", "false",
                 "--decay_taus", "7", "--act", "softplus", "--output_dir", str(tmp_path), "--seed", "1"]) == 0
    (path,) = tmp_path.rglob("*.mat")
    assert path.parent == tmp_path / "models" / "xor" / "NoDale" / "P_rec_0.2_Tau_7.0"
    assert path.name.startswith("Task_xor_N_10_Tau_7.0_Act_softplus_")
    data = scipy.io.loadmat(path)
    assert data["taus"].tolist() == [[7.0]] and not data["inh"].any()
    assert list(np.unique(data["eval_labels"])) in (["diff", "same"], ["same"], ["diff"])


def test_gpu_flag_sets_cuda_visible_devices_and_threads_flag_applies(tmp_path):
    assert main([*readme_command(tmp_path, 1), "--N", "10", "--device", "cpu", "--threads", "1"]) == 0
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "0" and torch.get_num_threads() == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_readme_command_on_cuda(tmp_path):
    """With a GPU the README command trains there (device auto picks CUDA) and the file loads on the CPU."""
    assert main([*readme_command(tmp_path, 3), "--N", "20", "--seed", "0"]) == 0
    saved = load_mat(next(tmp_path.rglob("*.mat")))
    assert saved.model.device.type == "cpu" and saved.tr == 2


@pytest.mark.parametrize("args, message", [
    (["--mode", "train"], "--mode train needs --n_trials, --N, --task, --decay_taus, --output_dir"),
    (["--mode", "test"], "argument --mode: invalid choice: 'test'"),
    (README[:-1] + ["--loss_fn", "12"], "argument --loss_fn: invalid choice: '12'"),
    (["--mode", "train", "--apply_dale", "maybe"], "'maybe' is not a boolean"),
    (["--mode", "train", "--P_inh", "1.5"], "1.5 is not in \\[0, 1\\]"),
    (["--mode", "train", "--task", "sine"], "argument --task: invalid choice: 'sine'"),
    (["--mode", "train", "--n_trials", "5", "--N", "5", "--task", "xor", "--output_dir", "x",
      "--decay_taus", "1", "2", "3"], "--decay_taus takes one positive number"),
    (["--mode", "train", "--n_trials", "5", "--N", "5", "--task", "xor", "--output_dir", "x",
      "--decay_taus", "20", "4"], "MIN 20.0 exceeds MAX 4.0"),
    (["--mode", "eval"], "--mode eval needs --model PATH"),
    (["--mode", "train", "--N", "0"], "--N: 0 must be at least 1"),
])
def test_bad_flags_exit_2_with_a_message(args, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_bad_files_and_settings_exit_2_with_a_message(tmp_path, capsys):
    assert main(["--mode", "eval", "--model", str(tmp_path / "none.mat")]) == 2
    assert "none.mat: no such file" in capsys.readouterr().err
    assert main(["--mode", "eval", "--output_dir", str(tmp_path), "--task", "go-nogo", "--N", "20",
                 "--decay_taus", "4", "20"]) == 2
    assert "No model matching Task_go-nogo_N_20_Taus_4.0_20.0_Act_sigmoid_*.mat" in capsys.readouterr().err
    assert main(["--mode", "train", "--n_trials", "1", "--N", "10", "--task", "go-nogo", "--som_N", "50",
                 "--decay_taus", "4", "20", "--output_dir", str(tmp_path)]) == 2
    assert "som_N=50" in capsys.readouterr().err
    assert main(["--mode", "train", "--n_trials", "1", "--N", "10", "--task", "go-nogo", "--device", "tpu",
                 "--decay_taus", "4", "20", "--output_dir", str(tmp_path)]) == 2
    assert "Unknown device 'tpu'" in capsys.readouterr().err
