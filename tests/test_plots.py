import matplotlib as mpl

from helpers.plots import BOOK_STYLE, lambda_colors, use_book_style


def test_lambda_colors_give_zero_black_and_distinct_colours_in_order():
    colours = lambda_colors([1.0, 0.0, 0.1, 10.0])
    assert colours[0.0] == (0.0, 0.0, 0.0, 1.0)
    assert len({colours[lam] for lam in (0.1, 1.0, 10.0)}) == 3
    assert lambda_colors([0.0]) == {0.0: (0.0, 0.0, 0.0, 1.0)}


def test_book_style_is_applied():
    use_book_style()
    assert mpl.rcParams["axes.grid"] is True
    assert tuple(mpl.rcParams["figure.figsize"]) == BOOK_STYLE["figure.figsize"]


def test_decade_label_marks_only_powers_of_ten():
    from helpers.plots import decade_label

    assert decade_label(1e-3) == "10⁻³" and decade_label(100.0) == "10²"
    assert decade_label(1.0) == "10⁰" and decade_label(3e-3) == ""
