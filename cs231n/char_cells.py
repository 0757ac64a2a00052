"""Interpretable cells: which hidden units of a character model track which features of the text
(Karpathy, Johnson and Fei-Fei 2016, "Visualizing and understanding recurrent networks").

    acts = cell_activations(model, x)          # (T, L*H): every unit after every character
    feats = text_features(text)                # {"in string": (T,), ...}
    r = correlations(acts, feats)              # {"in string": (L*H,), ...}, Pearson correlation
    display(HTML(render_html(text, acts[:, unit])))
"""
from __future__ import annotations

import html

import numpy as np

from .classifiers.char_rnn import layer_keys
from .rnn_layers import lstm_step_forward, rnn_step_forward

FEATURES = ("in string", "in comment", "indentation depth", "bracket depth", "position in line")


def cell_activations(model, x, h0=None, c0=None) -> np.ndarray:
    """Every unit of every layer after each character of one stream of text.

    For an lstm the activation of a unit is tanh of its cell state (the cell's value as the
    output gate sees it); for a vanilla rnn it is the hidden state.

    Inputs:
    - model: a CharRNN
    - x: int array (T,), one stream of characters
    - h0, c0: (L, 1, H) initial state, or None for zeros

    Returns an array (T, L*H): column l*H + j is unit j of layer l.
    """
    x = np.asarray(x).reshape(1, -1)
    zero_h, zero_c = model.initial_state(1)
    h = (zero_h if h0 is None else h0).astype(np.float64)
    c = (zero_c if c0 is None else c0).astype(np.float64)
    acts = np.zeros((x.shape[1], model.num_layers * model.hidden_dim))
    H = model.hidden_dim
    for t in range(x.shape[1]):
        layer_in = model.params["W_embed"][x[:, t]]
        for layer in range(model.num_layers):
            Wx, Wh, b = (model.params[k] for k in layer_keys(layer))
            if model.cell_type == "lstm":
                h[layer], c[layer], _ = lstm_step_forward(layer_in, h[layer], c[layer], Wx, Wh, b)
                acts[t, layer * H:(layer + 1) * H] = np.tanh(c[layer, 0])
            else:
                h[layer], _ = rnn_step_forward(layer_in, h[layer], Wx, Wh, b)
                acts[t, layer * H:(layer + 1) * H] = h[layer, 0]
            layer_in = h[layer]
    return acts


def text_features(text: str) -> dict[str, np.ndarray]:
    """Features of Python source, one value per character, as after reading that character.

    - in string: 1 from a string's opening quote up to (not including) its closing quote
      ('...', "...", '''...''', \"\"\"...\"\"\"; backslash escapes are skipped);
    - in comment: 1 from a # outside strings up to the end of its line;
    - indentation depth: the leading spaces of the character's line, divided by 4;
    - bracket depth: ( [ { opened and not yet closed, outside strings and comments;
    - position in line: characters since the last newline (0 for the first one).
    """
    T = len(text)
    in_string, in_comment = np.zeros(T), np.zeros(T)
    brackets, position, indent = np.zeros(T), np.zeros(T), np.zeros(T)
    quote, comment, escaped, depth, column = None, False, False, 0, 0
    line_indent = len(text) - len(text.lstrip(" ")) if text else 0
    t = 0
    while t < T:
        ch = text[t]
        step = 1
        if quote is not None:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif text.startswith(quote, t):
                step = len(quote)
                quote = None
        elif comment:
            if ch == "\n":
                comment = False
        elif ch == "#":
            comment = True
        elif ch in "'\"":
            quote = ch * 3 if text.startswith(ch * 3, t) else ch
            step = len(quote)
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        for k in range(t, min(t + step, T)):
            in_string[k] = 1.0 if quote is not None else 0.0
            in_comment[k] = 1.0 if comment and text[k] != "\n" else 0.0
            brackets[k] = depth
            position[k] = column
            indent[k] = line_indent / 4
            if text[k] == "\n":
                column = 0
                rest = text[k + 1:]
                line = rest.split("\n", 1)[0]
                line_indent = len(line) - len(line.lstrip(" "))
            else:
                column += 1
        t += step
    return {"in string": in_string, "in comment": in_comment, "indentation depth": indent,
            "bracket depth": brackets, "position in line": position}


def correlations(acts: np.ndarray, features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Pearson correlation of every unit (a column of acts, (T, U)) with every feature ((T,)
    each): {feature: (U,)}; 0 for a unit or a feature that never changes."""
    a = acts - acts.mean(axis=0)
    a_norm = np.sqrt((a * a).sum(axis=0))
    result = {}
    for name, feature in features.items():
        f = feature - feature.mean()
        denominator = a_norm * np.sqrt(f @ f)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(denominator > 0, (f @ a) / np.where(denominator > 0, denominator, 1), 0.0)
        result[name] = r
    return result


def best_units(corr: dict[str, np.ndarray]) -> dict[str, tuple[int, float]]:
    """For each feature, the unit with the largest |correlation| and its correlation."""
    return {name: (int(np.argmax(np.abs(r))), float(r[np.argmax(np.abs(r))]))
            for name, r in corr.items()}


def render_html(text: str, values: np.ndarray, scale: float | None = None) -> str:
    """The text as HTML, each character on a background coloured by its value: blue for
    negative, red for positive, white for 0 (saturated at +-scale, default max |value|)."""
    values = np.asarray(values, dtype=np.float64)
    scale = scale or float(np.max(np.abs(values))) or 1.0
    spans = []
    for ch, v in zip(text, values):
        s = float(np.clip(v / scale, -1, 1))
        shade = int(255 * (1 - abs(s)))
        colour = f"rgb(255,{shade},{shade})" if s > 0 else f"rgb({shade},{shade},255)"
        shown = "&#8629;<br>" if ch == "\n" else html.escape(ch).replace(" ", "&nbsp;")
        spans.append(f'<span style="background-color:{colour}">{shown}</span>')
    return ('<div style="font-family:monospace;font-size:12px;line-height:1.3">'
            + "".join(spans) + "</div>")


def quote_tracking_model(chars: list[str], hidden_dim: int = 4, seed: int = 0, gain: float = 20.0):
    """A hand-built one-layer LSTM whose unit 0 is +1 inside double-quoted strings and -1 outside,
    by construction (to test the machinery above); the other units are random. Start it from
    the state returned as its second value.

    Unit 0: on a '"' the forget gate closes and the input gate opens, and the candidate value is
    -sign(h), so the cell flips between -1 and +1; on any other character the forget gate is open
    and the input gate closed, so the cell keeps its value.

    Returns (model, (h0, c0)).
    """
    from .classifiers.char_rnn import CharRNN

    rng = np.random.RandomState(seed)
    V, H = len(chars), hidden_dim
    model = CharRNN(V, wordvec_dim=V, hidden_dim=H, num_layers=1, cell_type="lstm",
                    dtype=np.float64)
    model.params["W_embed"] = np.eye(V)
    Wx, Wh = rng.randn(V, 4 * H) * 0.5, rng.randn(H, 4 * H) * 0.5
    b = np.zeros(4 * H)
    quote = np.array([ch == '"' for ch in chars], dtype=np.float64)
    i, f, o, g = 0, H, 2 * H, 3 * H            # unit 0's column in each gate's block
    Wx[:, [i, f, o, g]] = 0.0
    Wh[:, [i, f, o, g]] = 0.0
    Wx[:, i] = gain * (2 * quote - 1)          # input gate: open on a quote only
    Wx[:, f] = -gain * (2 * quote - 1)         # forget gate: closed on a quote only
    b[o] = gain                                # output gate: always open
    Wh[0, g] = -gain                           # candidate: -sign(h) of unit 0
    Wh[0, [i, f, o]] = 0.0
    model.params.update({"Wx0": Wx, "Wh0": Wh, "b0": b})
    c0 = np.zeros((1, 1, H))
    c0[0, 0, 0] = -1.0
    h0 = np.tanh(c0)
    return model, (h0, c0)
