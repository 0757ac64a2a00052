"""The leak check's secret expressions: formulas of solution regions found in a release whatever
their spacing and spelling of the matrix product, in code or in docstring math."""
from kit.release import leaks

SOURCE = [("layers.py", b'''def step_backward(dnext_h, cache):
    """Backward pass of one step."""
    x, prev_h, Wx, Wh, next_h = cache
    ### BEGIN SOLUTION
    da = dnext_h * (1 - next_h * next_h)
    da_step = da
    dx = da.dot(Wx.T)
    dWh = prev_h.T.dot(da_step)
    ### END SOLUTION
    return dx, dWh


def provided(dout, w):
    return dout.dot(w.T) + 1 - w * w
''')]


def problems(text: str) -> list[str]:
    secrets = leaks.secret_lines(SOURCE)
    expressions = leaks.secret_expressions(SOURCE)
    return [leak.problem for leak in leaks.find_leaks([("release.py", text.encode())], secrets,
                                                      expressions=expressions)]


def test_normalise_removes_spacing_and_spells_products_one_way():
    assert leaks.normalise("da = dnext_h * (1 - next_h**2)") == "da=dnext_h*(1-next_h*next_h)"
    assert leaks.normalise("x.dot(W.T) + np.dot(h, Wh[:, 1])") == "x@W.T+h@Wh[:,1]"
    assert leaks.normalise("a @ b") == "a@b"


def test_the_expressions_of_a_solution_region_leave_out_public_and_trivial_ones():
    expressions = leaks.secret_expressions(SOURCE)
    assert "dnext_h*(1-next_h*next_h)" in expressions
    assert "prev_h.T@da_step" in expressions
    assert not any("cache" in e or e == "da@Wx.T" for e in expressions)   # too short
    assert all(len(e) >= leaks.MIN_EXPRESSION for e in expressions)


def test_a_backward_formula_in_a_docstring_is_caught_in_another_spelling():
    found = problems('"""Hint: da = dnext_h*(1 - next_h**2), dWh = prev_h.T @ da_step."""\n')
    assert found == ["holds the solution expression 'dnext_h*(1-next_h*next_h)'",
                     "holds the solution expression 'prev_h.T@da_step'"]


def test_a_planted_line_is_reported_as_a_line_only():
    assert problems("    da = dnext_h * (1 - next_h * next_h)\n") == [
        "holds the solution line 'da = dnext_h * (1 - next_h * next_h)'"]


def test_contract_docstrings_and_public_code_are_not_leaks():
    text = ('"""Returns (dx, dWh). Hint: tanh\'(a) = 1 - tanh(a)^2."""\n'
            "    return dout.dot(w.T) + 1 - w * w\n")
    assert problems(text) == []
