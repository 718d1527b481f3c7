"""``widget/state.py``: the page a GraphWidget starts from, built without a widget. ``to_html``
uses it, so saving a page constructs no live anywidget (the old widget <-> standalone circle)."""
from __future__ import annotations

import numpy as np

import gradviz
from gradviz import GraphWidget
from gradviz.widget import graph_widget
from gradviz.widget.state import page
from testenv import lecture_L


def test_a_page_built_without_a_widget_is_what_a_new_widget_holds():
    # two fresh copies: the widget's first run writes the grads into its Values
    w = GraphWidget(lecture_L()[0], height=300, show_grads=False)
    p = page(lecture_L()[0], height=300, show_grads=False)
    mine = w.page()
    assert set(mine.traits) == set(p.traits)
    for k in p.traits:
        if k != "_self_id":  # the widget's model id, which a page without a kernel has none of
            assert mine.traits[k] == p.traits[k], k
    assert np.array_equal(mine.init, p.init) and mine.graph.labels == p.graph.labels


def test_to_html_of_a_value_constructs_no_widget(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("to_html made a GraphWidget")
    monkeypatch.setattr(graph_widget.GraphWidget, "__init__", refuse)
    text = gradviz.to_html(lecture_L()[0])
    assert "gradviz-state" in text and '"_structure"' in text
