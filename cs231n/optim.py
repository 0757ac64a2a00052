"""First-order update rules.

Each rule has the interface

    next_w, config = update(w, dw, config=None)

- w: the current weights (any shape); dw: the gradient of the loss with respect to w (same shape)
- config: a dict of hyperparameters and of the rule's state (moving averages), filled with the
  defaults on the first call. Pass the returned config to the next call for the same w.
"""
import numpy as np


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: w -= learning_rate * dw.

    config: learning_rate (1e-2).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    """SGD with momentum: v = momentum * v - learning_rate * dw; w += v.

    config: learning_rate (1e-2), momentum (0.9), velocity (zeros like w).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp: cache = decay_rate * cache + (1 - decay_rate) * dw**2;
    w -= learning_rate * dw / (sqrt(cache) + epsilon).

    config: learning_rate (1e-2), decay_rate (0.99), epsilon (1e-8), cache (zeros like w).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    cache = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config


def adam(w, dw, config=None):
    """Adam, with bias-corrected first and second moment estimates:
        t += 1
        m = beta1 * m + (1 - beta1) * dw          v = beta2 * v + (1 - beta2) * dw**2
        m_hat = m / (1 - beta1**t)                v_hat = v / (1 - beta2**t)
        w -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    config: learning_rate (1e-3), beta1 (0.9), beta2 (0.999), epsilon (1e-8), m and v (zeros like
    w), t (0, incremented before use).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    beta1, beta2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * dw**2
    m_hat = config["m"] / (1 - beta1 ** config["t"])
    v_hat = config["v"] / (1 - beta2 ** config["t"])
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config


def clip_grad_norm(grads, max_norm):
    """Clip gradients by their global norm (Pascanu et al., 2013).

    Inputs:
    - grads: dict mapping parameter names to gradient arrays (any shapes)
    - max_norm: float > 0, the largest global norm allowed

    Returns a tuple of:
    - clipped: a new dict with the same keys and shapes. When the global norm of grads (the square
      root of the sum of the squares of all their entries) exceeds max_norm, every gradient is
      scaled by the same factor so that the global norm of clipped is max_norm; otherwise the
      gradients are returned unchanged. The arrays of grads are not modified.
    - total_norm: float, the global norm of grads before clipping
    """
    clipped, total_norm = {}, 0.0
    ### BEGIN SOLUTION
    total_norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads.values())))
    scale = min(1.0, max_norm / (total_norm + 1e-12))
    clipped = {name: g * scale for name, g in grads.items()}
    ### END SOLUTION
    return clipped, total_norm
