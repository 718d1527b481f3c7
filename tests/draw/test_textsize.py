"""Text sizing (gradviz.draw.textsize): widths follow the text a box shows, the vectorised widths of a
full view equal the widths of the formatted fields, and long labels are cut."""
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from gradviz import Value, trace
from gradviz.draw.grouping import group_view
from gradviz.draw.textsize import (
    CHAR_WIDTH,
    FIELD_PAD,
    LABEL_MAX,
    OP_MIN_W,
    _num_len,
    box_fields,
    field_widths,
    fmt4,
    op_width,
    record_widths,
    short_label,
    text_width,
)
from gradviz.graph import Graph


def test_short_label_cuts_at_the_limit_with_an_ellipsis():
    assert short_label("a" * LABEL_MAX) == "a" * LABEL_MAX
    cut = short_label("b" * (LABEL_MAX + 1))
    assert len(cut) == LABEL_MAX and cut.endswith("\u2026") and cut.startswith("b" * (LABEL_MAX - 1))
    assert short_label("abcdef", limit=4) == "abc\u2026"


def test_widths_are_characters_times_the_char_width_plus_padding():
    assert text_width("hello") == 5 * CHAR_WIDTH
    assert field_widths(["ab", "", "data 2.0000"]) == [
        2 * CHAR_WIDTH + 2 * FIELD_PAD, CHAR_WIDTH + 2 * FIELD_PAD, 11 * CHAR_WIDTH + 2 * FIELD_PAD]
    assert op_width("") == 0.0  # leaves and groups have no ellipse
    assert op_width("+") == OP_MIN_W
    long = "x" * 500
    assert op_width(long) == op_width(short_label(long)) == LABEL_MAX * CHAR_WIDTH + 2 * FIELD_PAD + 6


def test_box_fields_of_values_and_groups():
    a = Value(2.0, label="a")
    L = (a * -3.0).tanh()
    L.label = "L"
    L.backward()
    g = trace(L)
    v = group_view(g)
    root = len(g) - 1
    assert box_fields(v, root) == ["L", "data %.4f" % L.data, "grad 1.0000"]
    assert box_fields(v, root, show_grad=False) == ["L", "data %.4f" % L.data]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True) |
                st.sampled_from([9.99995, 9.99996, 999.99996, 1000.0, -0.0, 0.00004, 1e300, -1e-300,
                                 1e16, 1e16 - 2, 9.99996e20, 9.99996e99, 1e100, -1e308]),
                min_size=1, max_size=30))
def test_num_len_is_the_length_of_the_printed_number(xs):
    assert _num_len(np.array(xs)).tolist() == [len(fmt4(x)) for x in xs]


def test_huge_numbers_print_in_scientific_notation():
    """The lecture's "%.4f" up to 1e16; past it "%.4e", so Value(1e308) is an 11-character field,
    not a 309-digit one."""
    assert fmt4(2.0) == "2.0000" and fmt4(-0.0) == "-0.0000" and fmt4(1e16 - 2) == "9999999999999998.0000"
    assert fmt4(1e16) == "1.0000e+16" and fmt4(-1e308) == "-1.0000e+308" and fmt4(math.inf) == "inf"
    big = Value(1e308, label="big")
    assert box_fields(group_view(big), 0) == ["big", "data 1.0000e+308", "grad 0.0000"]


def test_full_view_widths_equal_the_formatted_fields():
    """The vectorised widths of a full view are those of the fields as the renderer prints them."""
    data = [0.0, -1.5, 1e6, math.nan, -math.inf, 9.99996, 123.45678]
    labels = ["", "b", "a much longer label " * 4, "d", "", "x", "root"]
    n = len(data)
    g = Graph(labels, data, data[::-1], [""] * (n - 1) + ["+"], ["input"] * (n - 1) + ["output"],
              [""] * n, [[] for _ in range(n - 1)] + [list(range(n - 1))])
    v = group_view(g)
    for show_grad in (True, False):
        slow = [sum(field_widths(box_fields(v, b, show_grad))) for b in range(n)]
        assert np.allclose(record_widths(v, show_grad), slow, rtol=0, atol=1e-9)


def test_group_boxes_are_sized_by_their_fields():
    from gradviz import MLP, mse_loss
    m = MLP(2, [3, 1])
    loss = mse_loss([m([1.0, 2.0]), m([0.5, -1.0])], [1.0, -1.0], reduction="sum")
    v = group_view(loss, ["MLP#1", "layers.0"])
    w = record_widths(v)
    for b in range(len(v)):
        assert w[b] == sum(field_widths(box_fields(v, b)))
    layer = v.groups()["layers.0"]
    assert box_fields(v, layer) == [v.labels[layer], "9 outputs"]  # 3 neurons x (2 weights + bias)
