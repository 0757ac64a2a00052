"""Time the reference RNN and LSTM layers (forward + backward) against torch.nn.RNN / nn.LSTM.

Both run on the CPU in this process, in float32, with the same number of threads; the script prints
the median time of each and the ratio numpy / torch (lower is better; the target is <= 1.5).

    python bench/bench_layers.py [--repeats 15] [--threads 2]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from cs231n.rnn_layers import lstm_backward, lstm_forward, rnn_backward, rnn_forward  # noqa: E402

N, T, D, H = 50, 16, 256, 512


def median_time(fn, repeats):
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def numpy_case(cell, rng):
    gates = 4 if cell == "lstm" else 1
    forward, backward = (lstm_forward, lstm_backward) if cell == "lstm" else (rnn_forward, rnn_backward)
    x = rng.standard_normal((N, T, D), dtype=np.float32)
    h0 = rng.standard_normal((N, H), dtype=np.float32)
    Wx = (rng.standard_normal((D, gates * H)) / np.sqrt(D)).astype(np.float32)
    Wh = (rng.standard_normal((H, gates * H)) / np.sqrt(H)).astype(np.float32)
    b = np.zeros(gates * H, dtype=np.float32)
    dh = rng.standard_normal((N, T, H), dtype=np.float32)

    def run():
        h, cache = forward(x, h0, Wx, Wh, b)
        assert h.dtype == np.float32, h.dtype
        backward(dh, cache)
    return run


def torch_case(cell, torch):
    layer_cls = torch.nn.LSTM if cell == "lstm" else torch.nn.RNN
    layer = layer_cls(D, H, batch_first=True)
    x = torch.randn(N, T, D, requires_grad=True)
    h0 = torch.randn(1, N, H, requires_grad=True)
    dh = torch.randn(N, T, H)
    state = (h0, torch.zeros(1, N, H)) if cell == "lstm" else h0

    def run():
        layer.zero_grad()
        h, _ = layer(x, state)
        h.backward(dh)
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per case (median is shown)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for torch (numpy's BLAS uses its own default, normally all cores)")
    args = parser.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"N={N} T={T} D={D} H={H} float32, torch {torch.__version__} with {args.threads} threads, "
          f"numpy {np.__version__}")
    print(f"{'case':<22}{'numpy (ms)':>12}{'torch (ms)':>12}{'ratio':>8}")
    cells = ("rnn", "lstm")
    # All numpy runs first, then all torch runs: torch's OpenMP worker threads keep spinning for a
    # while after each call and would steal the cores from numpy's BLAS threads if interleaved.
    t_np = {cell: median_time(numpy_case(cell, rng), args.repeats) for cell in cells}
    t_torch = {cell: median_time(torch_case(cell, torch), args.repeats) for cell in cells}
    for cell in cells:
        ratio = t_np[cell] / t_torch[cell]
        print(f"{cell + ' fwd+bwd':<22}{1e3 * t_np[cell]:>12.1f}{1e3 * t_torch[cell]:>12.1f}{ratio:>8.2f}")


if __name__ == "__main__":
    main()
