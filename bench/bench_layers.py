"""Time the reference RNN and LSTM layers (forward + backward) against torch.nn.RNN / nn.LSTM.

Both run on the CPU in this process, in float32, with the same number of threads: numpy's BLAS is
limited with threadpoolctl, torch with torch.set_num_threads. The script prints the median time of
each and the ratio numpy / torch (lower is better; the target is <= 1.0: the reference layers are at
least as fast as PyTorch's). The measurement is repeated in rounds and the median ratio over the
rounds is shown, which keeps the result steady when other programs use the machine for part of the
run (the load average is printed, with a warning when the machine was busy: on a loaded machine,
and above all with more than one thread, the ratios can be far off).

A second line per cell times only the matrix products its forward and backward pass need (the
recurrent products step by step, the others over all N*T rows at once): no numpy implementation
built on those products can be faster than that line, so its ratio is the lowest this machine's
BLAS allows. When torch.nn.LSTM runs oneDNN's fused LSTM kernel (printed), that floor can be
above 1.0.

    python bench/bench_layers.py [--repeats 7] [--rounds 7] [--threads 2]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from cs231n.rnn_layers import lstm_backward, lstm_forward, rnn_backward, rnn_forward  # noqa: E402

N, T, D, H = 50, 16, 256, 512
TARGET = 1.0  # numpy time / torch time, forward + backward


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


def matmul_case(cell, rng):
    """Only the matrix products of the cell's forward and backward pass, in the fastest layouts
    found for this machine's BLAS: the input projection, dx, dWx and dWh over all N*T rows at once,
    and the T recurrent products of each direction, step by step."""
    G = (4 if cell == "lstm" else 1) * H
    x = rng.standard_normal((N * T, D), dtype=np.float32)
    hs = rng.standard_normal((N * T, H), dtype=np.float32)
    hs_T = rng.standard_normal((T, H, N), dtype=np.float32)   # the same states, (H, N) per step
    da = rng.standard_normal((N * T, G), dtype=np.float32)
    Wx = rng.standard_normal((D, G), dtype=np.float32)
    WxT = np.ascontiguousarray(Wx.T)
    Wh = rng.standard_normal((H, G), dtype=np.float32)
    WhT = np.ascontiguousarray(Wh.T)

    def run():
        x.dot(Wx)                       # input projection of every step
        for h_T in hs_T:
            WhT.dot(h_T)                # recurrent product, forward (transposed: (G, N))
        for da_t in da.reshape(T, N, G):
            da_t.dot(WhT)               # recurrent product, backward (dprev_h)
        da.dot(WxT)                     # dx
        x.T.dot(da)                     # dWx
        hs.T.dot(da)                    # dWh
    return run


def torch_backend(torch) -> str:
    """What torch.nn.LSTM runs on this CPU."""
    if torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled:
        return "oneDNN's fused LSTM kernel (torch.backends.mkldnn)"
    return "torch's generic matmul and elementwise kernels"


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
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case and round (median is used)")
    parser.add_argument("--rounds", type=int, default=7,
                        help="rounds of (every numpy case, then every torch case); the median ratio is shown")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for both numpy's BLAS and torch (default: all cores)")
    args = parser.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads, user_api="blas")
    rng = np.random.default_rng(0)
    cells = ("rnn", "lstm")
    numpy_runs = {cell: numpy_case(cell, rng) for cell in cells}
    matmul_runs = {cell: matmul_case(cell, rng) for cell in cells}
    torch_runs = {cell: torch_case(cell, torch) for cell in cells}
    print(f"N={N} T={T} D={D} H={H} float32, {args.threads} threads for numpy {np.__version__} and "
          f"torch {torch.__version__}, {args.rounds} rounds of {args.repeats} runs; "
          f"torch.nn.LSTM runs {torch_backend(torch)}")
    load_before = os.getloadavg()[0]

    t_np = {cell: [] for cell in cells}
    t_mm = {cell: [] for cell in cells}
    t_torch = {cell: [] for cell in cells}
    for _ in range(args.rounds):
        # All numpy runs of a round first, then all torch runs, with a pause between: torch's OpenMP
        # worker threads keep spinning for a while after each call and would steal the cores from
        # numpy's BLAS threads if the two were interleaved.
        for cell in cells:
            t_np[cell].append(median_time(numpy_runs[cell], args.repeats))
            t_mm[cell].append(median_time(matmul_runs[cell], args.repeats))
        time.sleep(0.5)
        for cell in cells:
            t_torch[cell].append(median_time(torch_runs[cell], args.repeats))
        time.sleep(0.5)

    print(f"{'case':<16}{'numpy (ms)':>12}{'torch (ms)':>12}{'ratio':>8}{'target':>8}   ratio in each round")
    for cell in cells:
        for label, times, target in ((f"{cell} fwd+bwd", t_np[cell], TARGET),
                                     (f"{cell} matmuls", t_mm[cell], None)):
            ratios = [a / b for a, b in zip(times, t_torch[cell])]
            ratio = statistics.median(ratios)
            verdict = "floor" if target is None else "ok" if ratio <= target else "SLOWER"
            print(f"{label:<16}{1e3 * statistics.median(times):>12.1f}"
                  f"{1e3 * statistics.median(t_torch[cell]):>12.1f}{ratio:>8.2f}"
                  f"{'' if target is None else '<= ' + str(target):>8} "
                  f"{verdict:<7}" + " ".join(f"{r:.2f}" for r in ratios))
    load_after = os.getloadavg()[0]  # includes this benchmark's own threads
    print(f"load average (1 min): {load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} cores")
    if load_before > 0.5 or load_after > args.threads + 0.5:
        print(f"Warning: the machine was busy (load average {load_before:.1f} before, "
              f"{load_after:.1f} after); run again on an idle machine for reliable ratios.")


if __name__ == "__main__":
    main()
