"""rnncourse.rate.matfile: .mat files with spikeRNN's field names and shapes (docs/reference/rate-model.md, section 9),
both ways: ours read by scipy.io.loadmat as spikeRNN's readers see them, and files written by hand
in spikeRNN's layout (its Python objects, passed to scipy.io.savemat) loaded into ours."""

import datetime

import numpy as np
import pytest
import scipy.io
import torch

from rnncourse.rate.matfile import load_mat, mat_path, save_mat
from rnncourse.rate.model import RateRNN, draw_noise
from rnncourse.rate.tasks import get_task
from rnncourse.rate.training import train

from helpers.rate import numpy_arrays, numpy_run

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A Go-NoGo network (N=16) trained on 3 trials and saved: (model, task, result, path)."""
    task = get_task("go-nogo")
    model = RateRNN(16, 1, P_inh=0.3, som_N=1, seed=0)
    result = train(model, task, 3, batch_size=1, seed=1, progress=False)
    path = save_mat(tmp_path_factory.mktemp("mat") / "net.mat", model, task, result)
    return model, task, result, path


def test_saved_fields_have_spikernn_names_shapes_and_types(trained):
    """Every field of docs/reference/rate-model.md section 9, with the shape and type scipy.io.loadmat gives back."""
    _, _, result, path = trained
    data = scipy.io.loadmat(path)
    N, T = 16, 200
    expected = {
        "x0": (T, N, 1), "r0": (T, N, 1), "w0": (N, N), "taus_gaus0": (N, 1), "w_in0": (N, 1), "u": (1, T),
        "o": (T - 1, 1, 1), "w": (N, N), "x": (T, N, 1), "r": (T, N, 1), "target": (1, T), "w_out": (1, N),
        "b_out": (1, 1), "m": (N, N), "som_m": (N, N), "N": (1, 1), "som_N": (1, 1), "exc": (N, 1),
        "inh": (N, 1), "w_in": (N, 1), "losses": (1, 3), "taus": (1, 2), "eval_perf_mean": (1, 1),
        "eval_loss_mean": (1, 1), "eval_os": (100, T - 1), "eval_labels": (1, 100), "taus_gaus": (N, 1),
        "tr": (1, 1), "activation": (1,),
    }
    for name, shape in expected.items():
        assert data[name].shape == shape, f"{name}: {data[name].shape} != {shape}"
    for name in ("x0", "r0", "x", "r", "o", "w", "w0", "w_in", "w_out", "m", "som_m", "taus_gaus"):
        assert data[name].dtype == np.float32, name
    assert data["u"].dtype == np.float64 and data["exc"].dtype == np.uint8
    assert data["N"].item() == 16 and data["som_N"].item() == 1 and data["tr"].item() == 2
    assert data["taus"].tolist() == [[4.0, 20.0]] and data["activation"][0] == "sigmoid"
    assert set(np.unique(data["eval_labels"])) <= {0.0, 1.0}
    np.testing.assert_array_equal(data["losses"][0], result.losses)
    np.testing.assert_array_equal(data["eval_os"], result.last_evaluation.outputs)
    np.testing.assert_array_equal(data["o"].ravel(), result.last_trial.o)
    np.testing.assert_array_equal(data["x"][:, :, 0], result.last_trial.x)
    assert data["eval_perf_mean"].item() == result.last_evaluation.accuracy


def test_spikernn_recipes_work_on_our_file(trained):
    """The seed's recipes: final_w = w @ m (times som_m) is W_eff; sigmoid(taus_gaus) scaled is tau;
    w is saved after relu, and is 0 wherever w0 was (Dale keeps the sparsity)."""
    model, _, _, path = trained
    data = scipy.io.loadmat(path)
    final_w = np.matmul(data["w"], data["m"]) * data["som_m"]
    np.testing.assert_allclose(final_w, model.effective_weights().detach().numpy(), rtol=1e-6)
    taus = data["taus"][0]
    taus_sig = (1 / (1 + np.exp(-data["taus_gaus"])) * (taus[1] - taus[0])) + taus[0]
    np.testing.assert_allclose(taus_sig.ravel(), model.time_constants().detach().numpy(), rtol=1e-6)
    assert (data["w"] >= 0).all() and (data["w"][data["w0"] == 0] == 0).all()
    np.testing.assert_array_equal(data["inh"].ravel() == 1, model.inh.numpy())


def test_round_trip_restores_the_network_and_record(trained):
    """load_mat(save_mat(...)) gives a network that computes exactly the same outputs, the same task,
    and the training record (losses, evaluation history, tr). w comes back relu'd, as saved."""
    model, task, result, path = trained
    saved = load_mat(path)
    assert saved.task == task and saved.loss_fn == "l2" and saved.tr == 2
    assert torch.equal(saved.model.w, model.rectified_weights())
    for name, value in model.state_dict().items():
        if name != "w":
            assert torch.equal(saved.model.state_dict()[name], value), name
    restored = saved.model
    assert (restored.som_N, restored.apply_dale, restored.taus) == (1, True, (4.0, 20.0))
    assert restored.activation == "sigmoid"
    noise = draw_noise(2, 200, 16, torch.Generator().manual_seed(0))
    u = task.trials(2, torch.Generator().manual_seed(1)).u
    assert torch.equal(saved.model(u, noise).o, model(u, noise).o)
    np.testing.assert_array_equal(saved.losses, result.losses)
    np.testing.assert_array_equal(saved.eval_history, result.eval_history)
    np.testing.assert_array_equal(saved.eval_labels, result.last_evaluation.labels)


def spikernn_file(path, N=30, n_inputs=2, T=300, taus=(4.0, 20.0), dale=True, seed=0, labels="xor"):
    """A model file as spikeRNN's main.py writes it: its Python objects (lists of [N, 1] columns,
    lists of floats, bools, ints, strings) passed to scipy.io.savemat, with no field of ours."""
    rng = np.random.default_rng(seed)
    inh = rng.random((N, 1)) < 0.25 if dale else np.zeros((N, 1), dtype=bool)
    w = np.where(rng.random((N, N)) < 0.2, rng.normal(0, 1.5 / np.sqrt(0.2 * N), (N, N)), 0).astype(np.float32)
    w = np.abs(w) if dale else w
    m = np.eye(N, dtype=np.float32)
    m[inh[:, 0], inh[:, 0]] = -1
    som_m = np.ones((N, N), dtype=np.float32)
    som_m[np.flatnonzero(inh)[:2][:, None], np.flatnonzero(inh)] = 0
    column = [np.float32(rng.normal(size=(N, 1))) for _ in range(T)]
    fields = {
        "x0": column, "r0": column, "w0": w, "taus_gaus0": np.float32(rng.normal(size=(N, 1))),
        "w_in0": np.float32(rng.normal(size=(N, n_inputs))), "u": np.zeros((n_inputs, T)),
        "o": [np.zeros((1, 1), np.float32) for _ in range(T - 1)], "w": w, "x": column, "r": column,
        "target": np.zeros(T), "w_out": np.float32(rng.normal(size=(1, N)) / 100), "b_out": np.float32(0.05),
        "m": m, "som_m": som_m, "N": N, "exc": ~inh, "inh": inh, "w_in": np.float32(rng.normal(size=(N, n_inputs))),
        "som_N": 2, "losses": np.zeros((50,)), "taus": list(taus), "eval_perf_mean": np.array([0.97]),
        "eval_loss_mean": np.array([3.2]), "eval_os": np.zeros((100, T - 1)),
        "eval_labels": ["same", "diff"] * 50 if labels == "xor" else np.ones(100),
        "taus_gaus": np.float32(rng.normal(size=(N, 1))), "tr": 49, "activation": "sigmoid",
    }
    scipy.io.savemat(path, fields)
    return fields


def test_a_file_in_spikernn_layout_loads_and_runs_like_spikernn(tmp_path):
    """A hand-made spikeRNN XOR file (2 inputs, Dale, som_N 2, two taus) loads: the task comes from the
    number of inputs, Dale from w; the network's outputs == spikeRNN's loop in NumPy on its arrays."""
    fields = spikernn_file(tmp_path / "Task_xor_N_30_Taus_4.0_20.0_Act_sigmoid_2019_10_11_120000.mat")
    saved = load_mat(tmp_path / "Task_xor_N_30_Taus_4.0_20.0_Act_sigmoid_2019_10_11_120000.mat")
    assert saved.task.name == "xor" and saved.model.apply_dale and saved.model.som_N == 2
    assert saved.tr == 49 and saved.eval_history.tolist() == [[49, 3.2, 0.97]]
    assert saved.eval_labels.tolist() == [1.0, -1.0] * 50
    arrays = dict(w=fields["w"].astype(np.float64), m=fields["m"], som_m=fields["som_m"], w_in=fields["w_in"],
                  w_out=fields["w_out"], b_out=0.05, taus_gaus=fields["taus_gaus"], taus=(4.0, 20.0),
                  activation="sigmoid", apply_dale=True)
    _check_outputs(saved.model, arrays, n_inputs=2)


def test_a_spikernn_file_with_one_fixed_tau_and_no_dale_loads(tmp_path):
    """One tau and no Dale (which spikeRNN's own eval_tf cannot read): fixed tau, w used as it is."""
    fields = spikernn_file(tmp_path / "a.mat", N=20, n_inputs=4, T=500, taus=(7.0,), dale=False, labels="mante")
    saved = load_mat(tmp_path / "a.mat")
    assert saved.task.name == "mante" and not saved.model.apply_dale and saved.model.taus == (7.0,)
    assert saved.model.time_constants().tolist() == [7.0] * 20
    arrays = dict(w=fields["w"].astype(np.float64), m=fields["m"], som_m=fields["som_m"], w_in=fields["w_in"],
                  w_out=fields["w_out"], b_out=0.05, taus_gaus=fields["taus_gaus"], taus=(7.0,),
                  activation="sigmoid", apply_dale=False)
    _check_outputs(saved.model, arrays, n_inputs=4)


def _check_outputs(model, arrays, n_inputs):
    model = model.double()
    g = torch.Generator().manual_seed(3)
    u = torch.randn(1, n_inputs, 40, generator=g, dtype=torch.float64)
    noise = draw_noise(1, 40, model.N, g, dtype=torch.float64)
    _, _, o = numpy_run(arrays, u[0].numpy(), noise.x0[0].numpy(), noise.steps[0].numpy())
    np.testing.assert_allclose(model(u, noise).o[0].detach().numpy(), o, atol=1e-6)
    assert numpy_arrays(model)["apply_dale"] == arrays["apply_dale"]


def test_missing_and_misshapen_fields_are_named(tmp_path):
    fields = spikernn_file(tmp_path / "good.mat")
    broken = {k: v for k, v in fields.items() if k not in ("w", "taus_gaus")}
    scipy.io.savemat(tmp_path / "missing.mat", broken)
    with pytest.raises(ValueError, match=r"missing.mat: missing field\(s\) w, taus_gaus"):
        load_mat(tmp_path / "missing.mat")
    scipy.io.savemat(tmp_path / "shape.mat", {**fields, "w_out": fields["w_out"].T, "taus": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"w_out has shape \(30, 1\), expected \(1, N=30\).*taus holds 3"):
        load_mat(tmp_path / "shape.mat")
    scipy.io.savemat(tmp_path / "record.mat", {**fields, "eval_os": np.zeros((100, 10))})
    with pytest.raises(ValueError, match=r"eval_os has shape \(100, 10\), expected \(n_eval=\?, T-1=299\)"):
        load_mat(tmp_path / "record.mat")
    scipy.io.savemat(tmp_path / "exc.mat", {**fields, "exc": fields["inh"]})
    with pytest.raises(ValueError, match="exc and inh disagree"):
        load_mat(tmp_path / "exc.mat")
    scipy.io.savemat(tmp_path / "m.mat", {**fields, "m": np.eye(30)})
    with pytest.raises(ValueError, match="field m is not the Dale mask"):
        load_mat(tmp_path / "m.mat")


def test_bad_files_and_tasks_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.mat: no such file"):
        load_mat(tmp_path / "nothere.mat")
    (tmp_path / "text.mat").write_text("not a mat file")
    with pytest.raises(ValueError, match="text.mat: not a readable MATLAB .mat file"):
        load_mat(tmp_path / "text.mat")
    spikernn_file(tmp_path / "xor.mat")
    with pytest.raises(ValueError, match="2 input.*'go-nogo' gives 1"):
        load_mat(tmp_path / "xor.mat", task="go-nogo")
    with pytest.raises(ValueError, match="must end in '.mat'"):
        save_mat(tmp_path / "net.txt", RateRNN(5, 1, seed=0), get_task("go-nogo"))


def test_file_names_follow_spikernn():
    when = datetime.datetime(2024, 3, 5, 14, 7, 9)
    assert mat_path("OUT", "go-nogo", 200, [4, 20], "sigmoid", 0.20, True, when).as_posix() == \
        "OUT/models/go-nogo/P_rec_0.2_Taus_4.0_20.0/Task_go-nogo_N_200_Taus_4.0_20.0_Act_sigmoid_2024_03_05_140709.mat"
    assert mat_path("..", "mante", 250, [7], "softplus", 0.2, False, when).as_posix() == \
        "../models/mante/NoDale/P_rec_0.2_Tau_7.0/Task_mante_N_250_Tau_7.0_Act_softplus_2024_03_05_140709.mat"


def test_saving_never_overwrites(tmp_path):
    model, task = RateRNN(5, 1, seed=0), get_task("go-nogo")
    first = save_mat(tmp_path / "sub" / "net.mat", model, task)
    second = save_mat(tmp_path / "sub" / "net.mat", model, task)
    assert (first.name, second.name) == ("net.mat", "net_1.mat") and second.is_file()
    assert load_mat(second).model.N == 5
