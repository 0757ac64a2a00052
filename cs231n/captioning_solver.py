"""Trains a captioning model with minibatch gradient descent."""
import time

import numpy as np

from . import optim
from .coco_utils import sample_coco_minibatch

UPDATE_RULES = ("sgd", "sgd_momentum", "rmsprop", "adam")

# The classic "overfit 50 captions" exercise (seed 231, hidden 512, word vectors 256, Adam with
# learning rate 5e-3, batch 25, 100 iterations): a correct model's final training loss is below
# this, per cell type. The notebooks, the README and the tests all use these numbers.
OVERFIT_TARGETS = {"rnn": 0.1, "lstm": 0.5}


class CaptioningSolver:
    """Trains a captioning model (anything with ``params`` and ``loss(features, captions)``).

    Example:

        data = load_coco_data()
        model = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1])
        solver = CaptioningSolver(model, data, update_rule="adam",
                                  optim_config={"learning_rate": 5e-3},
                                  lr_decay=0.995, num_epochs=10, batch_size=100, print_every=100)
        solver.train()
        plt.plot(solver.loss_history)

    After ``train()``, ``model.params`` holds the trained parameters, ``solver.loss_history`` the
    loss of every iteration, and ``solver.val_loss_history`` the validation loss at the end of each
    epoch (when the data has a val split and ``num_val_samples > 0``).

    Optional keyword arguments:
    - update_rule: name of an update rule in cs231n/optim.py ("sgd", "sgd_momentum", "rmsprop",
      "adam"); default "sgd"
    - optim_config: hyperparameters for the update rule, e.g. {"learning_rate": 5e-3}; each
      parameter gets its own copy
    - lr_decay: the learning rate is multiplied by this at the end of each epoch; default 1.0
    - batch_size: captions per minibatch; default 100
    - num_epochs: epochs to train; an epoch is max(num_train // batch_size, 1) iterations; default 10
    - print_every: print the training loss every this many iterations; default 10
    - verbose: print progress at all; default True
    - progress: show a progress bar (works in a notebook and a terminal); default False
    - num_val_samples: how many fixed validation captions to score at the end of each epoch into
      val_loss_history (it costs one forward and backward pass on them); default 0, no val loss
    - seed: seed for the minibatch draws, for reproducible runs; default None (global np.random)
    - time_budget: stop training after the first iteration that ends more than this many seconds
      after the start (the validation loss is then also measured where it stopped); default None,
      no limit. ``stopped_early`` says whether it stopped before the last iteration.

    ``val_loss_iterations`` holds the number of iterations done at each entry of
    ``val_loss_history`` (to plot runs with different epoch sizes on one axis).
    """

    def __init__(self, model, data, **kwargs):
        self.model = model
        self.data = data

        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)
        self.progress = kwargs.pop("progress", False)
        self.num_val_samples = kwargs.pop("num_val_samples", 0)
        self.seed = kwargs.pop("seed", None)
        self.time_budget = kwargs.pop("time_budget", None)

        if kwargs:
            names = ", ".join(f'"{k}"' for k in kwargs)
            raise ValueError(f"Unrecognized arguments {names}. CaptioningSolver accepts: update_rule, "
                             "optim_config, lr_decay, batch_size, num_epochs, print_every, verbose, "
                             "progress, num_val_samples, seed, time_budget.")
        if not isinstance(self.update_rule, str) or not hasattr(optim, self.update_rule):
            raise ValueError(f'Invalid update_rule "{self.update_rule}": expected one of '
                             f"{', '.join(UPDATE_RULES)} (functions of cs231n/optim.py).")
        self.update_rule = getattr(optim, self.update_rule)
        self._reset()

    def _reset(self):
        """Set up the bookkeeping variables. Called by __init__; do not call it yourself."""
        self.epoch = 0
        self.loss_history = []
        self.val_loss_history = []
        self.val_loss_iterations = []
        self.stopped_early = False
        self.rng = np.random.RandomState(self.seed) if self.seed is not None else None
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}

    def _step(self):
        """One gradient update on a random minibatch. Called by train()."""
        captions, features, _ = sample_coco_minibatch(
            self.data, batch_size=self.batch_size, split="train", rng=self.rng)
        loss, grads = self.model.loss(features, captions)
        self.loss_history.append(float(loss))
        for p, w in self.model.params.items():
            next_w, self.optim_configs[p] = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w

    def val_loss(self):
        """Loss of the model on up to ``num_val_samples`` fixed validation captions, or None."""
        if self.num_val_samples <= 0 or "val_captions" not in self.data:
            return None
        captions = self.data["val_captions"]
        count = min(self.num_val_samples, len(captions))
        rows = np.linspace(0, len(captions) - 1, count).astype(int)
        features = self.data["val_features"][self.data["val_image_idxs"][rows]]
        loss, _ = self.model.loss(features, captions[rows])
        return float(loss)

    def train(self):
        """Run the optimization: num_epochs * iterations_per_epoch minibatch updates."""
        num_train = self.data["train_captions"].shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        start = time.perf_counter()
        bar = None
        if self.progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=num_iterations, desc="training", unit="it")

        for t in range(num_iterations):
            self._step()
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{self.loss_history[-1]:.3f}", refresh=False)
            elif self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")

            end_of_epoch = (t + 1) % iterations_per_epoch == 0
            out_of_time = (self.time_budget is not None and t + 1 < num_iterations
                           and time.perf_counter() - start > self.time_budget)
            if end_of_epoch:
                self.epoch += 1
                for config in self.optim_configs.values():
                    config["learning_rate"] *= self.lr_decay
            if end_of_epoch or out_of_time:
                val = self.val_loss()
                if val is not None:
                    self.val_loss_history.append(val)
                    self.val_loss_iterations.append(t + 1)
                    if self.verbose and bar is None:
                        print(f"(Epoch {self.epoch} / {self.num_epochs}) val loss: {val:f}")
            if out_of_time:
                self.stopped_early = True
                if self.verbose:
                    print(f"Stopped after {t + 1} of {num_iterations} iterations: the time budget "
                          f"of {self.time_budget:g} s is used up")
                break
        if bar is not None:
            bar.close()
