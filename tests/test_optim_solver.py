"""Update rules (cs231n/optim.py) against torch.optim step for step and against the classic
notebooks' checks, and CaptioningSolver's contract: iterations, learning-rate decay, per-parameter
configs, seeding, validation loss, clear errors, and overfitting a small problem."""
import time

import numpy as np
import pytest
import torch

from cs231n import optim
from cs231n.captioning_solver import CaptioningSolver
from cs231n.classifiers.rnn import CaptioningRNN

# ---- the classic notebooks' fixed checks (published expected outputs) -----------------------

N_, D_ = 4, 5
W0 = np.linspace(-0.4, 0.6, num=N_ * D_).reshape(N_, D_)
DW0 = np.linspace(-0.6, 0.4, num=N_ * D_).reshape(N_, D_)


def test_classic_sgd_momentum():
    v = np.linspace(0.6, 0.9, num=N_ * D_).reshape(N_, D_)
    config = {"learning_rate": 1e-3, "velocity": v}
    next_w, _ = optim.sgd_momentum(W0.copy(), DW0, config=config)
    expected_next_w = np.asarray([
        [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
        [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
        [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
        [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]])
    expected_velocity = np.asarray([
        [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
        [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
        [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
        [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096]])
    np.testing.assert_allclose(next_w, expected_next_w, rtol=0, atol=1e-8)
    np.testing.assert_allclose(config["velocity"], expected_velocity, rtol=0, atol=1e-8)


def test_classic_rmsprop():
    cache = np.linspace(0.6, 0.9, num=N_ * D_).reshape(N_, D_)
    config = {"learning_rate": 1e-2, "cache": cache}
    next_w, _ = optim.rmsprop(W0.copy(), DW0, config=config)
    expected_next_w = np.asarray([
        [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
        [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
        [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
        [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]])
    expected_cache = np.asarray([
        [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
        [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
        [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
        [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926]])
    np.testing.assert_allclose(next_w, expected_next_w, rtol=0, atol=1e-8)
    np.testing.assert_allclose(config["cache"], expected_cache, rtol=0, atol=1e-8)


def test_classic_adam():
    m = np.linspace(0.6, 0.9, num=N_ * D_).reshape(N_, D_)
    v = np.linspace(0.7, 0.5, num=N_ * D_).reshape(N_, D_)
    config = {"learning_rate": 1e-2, "m": m, "v": v, "t": 5}
    next_w, _ = optim.adam(W0.copy(), DW0, config=config)
    expected_next_w = np.asarray([
        [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
        [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
        [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
        [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]])
    expected_v = np.asarray([
        [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
        [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
        [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
        [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966]])
    expected_m = np.asarray([
        [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
        [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
        [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
        [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85]])
    np.testing.assert_allclose(next_w, expected_next_w, rtol=0, atol=1e-8)
    np.testing.assert_allclose(config["v"], expected_v, rtol=0, atol=1e-8)
    np.testing.assert_allclose(config["m"], expected_m, rtol=0, atol=1e-8)
    assert config["t"] == 6


# ---- defaults ----------------------------------------------------------------------------------

@pytest.mark.parametrize("rule,defaults,state", [
    ("sgd", {"learning_rate": 1e-2}, set()),
    ("sgd_momentum", {"learning_rate": 1e-2, "momentum": 0.9}, {"velocity"}),
    ("rmsprop", {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}, {"cache"}),
    ("adam", {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "t": 1},
     {"m", "v"}),
])
def test_config_defaults(rule, defaults, state):
    w = np.random.default_rng(0).standard_normal((3, 2))
    _, config = getattr(optim, rule)(w.copy(), np.ones_like(w), None)
    for key, value in defaults.items():
        assert config[key] == value, key
    for key in state:
        assert config[key].shape == w.shape, key
    assert set(config) == set(defaults) | state


def test_user_config_values_are_kept():
    config = {"learning_rate": 0.5, "momentum": 0.1}
    w, config = optim.sgd_momentum(np.zeros(2), np.ones(2), config)
    assert config["learning_rate"] == 0.5 and config["momentum"] == 0.1
    np.testing.assert_allclose(w, [-0.5, -0.5])


# ---- step for step against torch.optim -------------------------------------------------------

A = np.random.default_rng(1).standard_normal((7, 4))
Y = np.random.default_rng(2).standard_normal(7)


def gradient(w):
    """Gradient of the smooth, non-quadratic loss sum(log cosh(A w - y))."""
    return A.T @ np.tanh(A @ w - Y)


def torch_trajectory(make_optimizer, steps, w0):
    """Weights after each step, and the optimizer, for a torch optimizer on the same problem."""
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([w])
    trajectory = []
    for _ in range(steps):
        w.grad = torch.tensor(gradient(w.detach().numpy()))
        optimizer.step()
        trajectory.append(w.detach().numpy().copy())
    return trajectory, optimizer.state[w]


def our_trajectory(rule, config, steps, w0):
    w, trajectory = w0.copy(), []
    for _ in range(steps):
        w, config = rule(w, gradient(w), config)
        trajectory.append(w.copy())
    return trajectory, config


STEPS = 25
START = np.random.default_rng(3).standard_normal(4)


def assert_same_trajectory(ours, theirs):
    for step, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"step {step + 1}")


@pytest.mark.parametrize("lr", [1e-2, 0.1])
def test_sgd_matches_torch(lr):
    ours, _ = our_trajectory(optim.sgd, {"learning_rate": lr}, STEPS, START)
    theirs, _ = torch_trajectory(lambda p: torch.optim.SGD(p, lr=lr), STEPS, START)
    assert_same_trajectory(ours, theirs)


@pytest.mark.parametrize("lr,momentum", [(1e-2, 0.9), (0.05, 0.5)])
def test_sgd_momentum_matches_torch(lr, momentum):
    """torch keeps b = momentum * b + g and steps w -= lr * b; ours keeps v = momentum * v - lr * g
    and steps w += v. With a constant learning rate the two agree with v = -lr * b."""
    ours, config = our_trajectory(
        optim.sgd_momentum, {"learning_rate": lr, "momentum": momentum}, STEPS, START)
    theirs, state = torch_trajectory(
        lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum, dampening=0), STEPS, START)
    assert_same_trajectory(ours, theirs)
    np.testing.assert_allclose(config["velocity"], -lr * state["momentum_buffer"].numpy(), rtol=1e-10)


def test_sgd_momentum_default_matches_torch():
    ours, _ = our_trajectory(optim.sgd_momentum, None, STEPS, START)
    theirs, _ = torch_trajectory(lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9), STEPS, START)
    assert_same_trajectory(ours, theirs)


@pytest.mark.parametrize("config", [None, {"learning_rate": 0.03, "decay_rate": 0.9, "epsilon": 1e-6}])
def test_rmsprop_matches_torch(config):
    """torch.optim.RMSprop(alpha=decay_rate, eps) adds eps outside the square root, like ours."""
    ours, final = our_trajectory(optim.rmsprop, config, STEPS, START)
    theirs, state = torch_trajectory(
        lambda p: torch.optim.RMSprop(p, lr=final["learning_rate"], alpha=final["decay_rate"],
                                      eps=final["epsilon"]), STEPS, START)
    assert_same_trajectory(ours, theirs)
    np.testing.assert_allclose(final["cache"], state["square_avg"].numpy(), rtol=1e-10)


@pytest.mark.parametrize("config", [
    None, {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6}])
def test_adam_matches_torch(config):
    ours, final = our_trajectory(optim.adam, config, STEPS, START)
    theirs, state = torch_trajectory(
        lambda p: torch.optim.Adam(p, lr=final["learning_rate"],
                                   betas=(final["beta1"], final["beta2"]), eps=final["epsilon"]),
        STEPS, START)
    assert_same_trajectory(ours, theirs)
    np.testing.assert_allclose(final["m"], state["exp_avg"].numpy(), rtol=1e-10)
    np.testing.assert_allclose(final["v"], state["exp_avg_sq"].numpy(), rtol=1e-10)
    assert final["t"] == STEPS == int(state["step"])


# ---- CaptioningSolver --------------------------------------------------------------------------

def make_data(num_train=10, T=6, V=12, D=8, num_val=4, seed=0):
    """A tiny in-memory data dict with the keys of load_coco_data (one image per caption)."""
    rng = np.random.default_rng(seed)
    words = ["<NULL>", "<START>", "<END>", "<UNK>"] + [f"w{k}" for k in range(V - 4)]

    def captions(count):
        rows = np.zeros((count, T + 2), dtype=np.int32)
        for n in range(count):
            length = 1 + n % T
            rows[n, 0], rows[n, length + 1] = 1, 2
            rows[n, 1:length + 1] = rng.integers(4, V, length)
        return rows

    data = {"idx_to_word": words, "word_to_idx": {w: i for i, w in enumerate(words)}}
    for split, count in (("train", num_train), ("val", num_val)):
        data[f"{split}_captions"] = captions(count)
        data[f"{split}_image_idxs"] = np.arange(count, dtype=np.int32)
        data[f"{split}_features"] = rng.standard_normal((count, D)).astype(np.float32)
        data[f"{split}_urls"] = np.array([f"http://images.example/{split}/{k}.jpg" for k in range(count)])
    return data


class RecordingModel:
    """A stand-in model whose every gradient is 1: each update moves each weight by exactly the
    learning rate in use. It records the weights and the batch it sees at each call."""

    def __init__(self):
        self.params = {"w": np.zeros(2), "u": np.zeros((3, 2))}
        self.seen_params, self.seen_batches = [], []

    def loss(self, features, captions):
        self.seen_params.append({k: v.copy() for k, v in self.params.items()})
        self.seen_batches.append((features.shape, captions.shape))
        return float(len(self.seen_params)), {k: np.ones_like(v) for k, v in self.params.items()}


@pytest.mark.parametrize("num_train,batch_size,num_epochs,per_epoch", [
    (25, 10, 3, 2), (20, 10, 2, 2), (5, 10, 4, 1), (10, 1, 1, 10)])
def test_iteration_count_and_batches(num_train, batch_size, num_epochs, per_epoch):
    model = RecordingModel()
    solver = CaptioningSolver(model, make_data(num_train=num_train), batch_size=batch_size,
                              num_epochs=num_epochs, verbose=False)
    solver.train()
    assert len(solver.loss_history) == num_epochs * per_epoch == len(model.seen_batches)
    assert solver.loss_history == [float(k + 1) for k in range(num_epochs * per_epoch)]
    assert set(model.seen_batches) == {((batch_size, 8), (batch_size, 8))}


def test_learning_rate_decays_once_per_epoch():
    model = RecordingModel()
    solver = CaptioningSolver(model, make_data(num_train=20), update_rule="sgd",
                              optim_config={"learning_rate": 1.0}, lr_decay=0.5, batch_size=10,
                              num_epochs=3, verbose=False)
    solver.train()
    steps = [seen["w"][0] - following["w"][0]
             for seen, following in zip(model.seen_params, model.seen_params[1:] + [model.params])]
    np.testing.assert_allclose(steps, [1, 1, 0.5, 0.5, 0.25, 0.25])
    assert all(config["learning_rate"] == 0.125 for config in solver.optim_configs.values())


def test_each_parameter_has_its_own_config():
    user_config = {"learning_rate": 1e-3}
    model = RecordingModel()
    solver = CaptioningSolver(model, make_data(), update_rule="adam", optim_config=user_config,
                              batch_size=5, num_epochs=1, verbose=False)
    solver.train()
    configs = solver.optim_configs
    assert set(configs) == set(model.params)
    assert configs["w"] is not configs["u"]
    assert configs["w"]["m"].shape == (2,) and configs["u"]["m"].shape == (3, 2)
    assert configs["w"]["t"] == configs["u"]["t"] == 2
    assert user_config == {"learning_rate": 1e-3}, "the caller's optim_config was modified"


def test_unknown_keyword_argument_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="learning_rte"):
        CaptioningSolver(RecordingModel(), make_data(), learning_rte=1e-3)


def test_unknown_update_rule_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="adamw"):
        CaptioningSolver(RecordingModel(), make_data(), update_rule="adamw")


def _train(cell_type, data, seed_kwarg=None, **kwargs):
    model = CaptioningRNN(data["word_to_idx"], input_dim=8, wordvec_dim=16, hidden_dim=32,
                          cell_type=cell_type)
    extra = {} if seed_kwarg is None else {"seed": seed_kwarg}
    solver = CaptioningSolver(model, data, update_rule="adam", optim_config={"learning_rate": 5e-2},
                              verbose=False, **extra, **kwargs)
    solver.train()
    return solver


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_solver_overfits_a_small_problem(cell_type):
    np.random.seed(231)
    solver = _train(cell_type, make_data(), num_epochs=60, batch_size=10)
    assert len(solver.loss_history) == 60
    assert solver.loss_history[0] > 5
    assert max(solver.loss_history[-5:]) < 0.05, solver.loss_history[-5:]


def test_global_seed_gives_reproducible_loss_history():
    histories = []
    for _ in range(2):
        np.random.seed(231)
        histories.append(_train("rnn", make_data(), num_epochs=3, batch_size=4).loss_history)
    assert histories[0] == histories[1]
    np.random.seed(232)
    assert _train("rnn", make_data(), num_epochs=3, batch_size=4).loss_history != histories[0]


@pytest.mark.kit_extra
def test_seed_argument_gives_reproducible_minibatches():
    histories = []
    for global_seed in (1, 2):
        np.random.seed(0)  # same initial weights
        model = CaptioningRNN(make_data()["word_to_idx"], input_dim=8, wordvec_dim=16, hidden_dim=32)
        np.random.seed(global_seed)  # different global state while training
        solver = CaptioningSolver(model, make_data(), update_rule="adam", seed=7, num_epochs=3,
                                  batch_size=4, verbose=False)
        solver.train()
        histories.append(solver.loss_history)
    assert histories[0] == histories[1]


@pytest.mark.kit_extra
def test_val_loss_history_when_asked():
    np.random.seed(231)
    solver = _train("lstm", make_data(), num_epochs=3, batch_size=5, num_val_samples=3)
    assert len(solver.val_loss_history) == 3
    assert all(np.isfinite(v) for v in solver.val_loss_history)
    np.random.seed(231)
    assert _train("lstm", make_data(), num_epochs=3, batch_size=5).val_loss_history == []


def test_verbose_prints_every_print_every(capsys):
    model = RecordingModel()
    CaptioningSolver(model, make_data(num_train=10), batch_size=1, num_epochs=1, print_every=4,
                     verbose=True).train()
    lines = [line for line in capsys.readouterr().out.splitlines() if "Iteration" in line]
    assert [line.split(")")[0] for line in lines] == [
        "(Iteration 1 / 10", "(Iteration 5 / 10", "(Iteration 9 / 10"]
    CaptioningSolver(RecordingModel(), make_data(), num_epochs=1, verbose=False).train()
    assert capsys.readouterr().out == ""


class SlowModel(RecordingModel):
    """A RecordingModel whose every call takes 20 ms."""

    def loss(self, features, captions):
        time.sleep(0.02)
        return super().loss(features, captions)


def test_time_budget_stops_training_and_measures_the_val_loss_where_it_stopped():
    model = SlowModel()
    solver = CaptioningSolver(model, make_data(num_train=100, num_val=4), batch_size=10,
                              num_epochs=100, time_budget=0.3, num_val_samples=4, verbose=False)
    start = time.perf_counter()
    solver.train()
    assert time.perf_counter() - start < 2
    done = len(solver.loss_history)
    assert 10 <= done < 1000 and solver.stopped_early
    # one val loss per finished epoch (10 iterations) and one where it stopped
    expected = list(range(10, done, 10)) + ([done] if done % 10 else [])
    assert solver.val_loss_iterations == expected
    assert len(solver.val_loss_history) == len(expected)


def test_without_time_budget_or_within_it_training_runs_in_full():
    for budget in (None, 60.0):
        solver = CaptioningSolver(RecordingModel(), make_data(num_train=20), batch_size=10,
                                  num_epochs=3, time_budget=budget, num_val_samples=4,
                                  verbose=False)
        solver.train()
        assert len(solver.loss_history) == 6 and not solver.stopped_early
        assert solver.val_loss_iterations == [2, 4, 6]
