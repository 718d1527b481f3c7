"""Hostile input (issue 9): markup in every string column reaches every output as text, never as
markup; malformed graphs and JSON are refused with a ValueError naming the key and the node;
files are written whole or not at all. The widget's side is in test_widget_js.py."""
import html.parser
import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import gradviz
from gradviz import Graph, Value, grad_check, predict_vs_actual, to_svg, trace
from gradviz.draw.render import draw_dot

HOSTILE = [
    '"><img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
    "'><svg onload='window.__pwned=1'>",
    "]]><!-- & &amp; &#x3c; {a|b} <c> \\ \"",
    "ctrl \x00\x01\x08\x0b\x1b[31m\x1f\x7f end",
    "line\nbreak\rcr\ttab",
    "😀 \ufffe\uffff",
]
LONG = "L" * 100_000


def hostile_graph():
    """Every string column (labels, ops of the leaves' parents, scopes, meta) holds hostile text."""
    xs = [Value(1.0 + i, label=h) for i, h in enumerate(HOSTILE)]
    out = xs[0]
    for x in xs[1:]:
        out = out * x + 0.5
    big = Value(2.0, label=LONG)
    out = (out + big).tanh()
    out.label = HOSTILE[0]
    g = trace(out)
    n = len(g)
    ops = list(g.ops)
    return Graph(g.labels, g.data, g.grad, ops, g.kinds, [HOSTILE[i % len(HOSTILE)] for i in range(n)],
                 g.children, meta=[{h: h for h in HOSTILE} for _ in range(n)]), out


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [k for k, _ in attrs]


def assert_inert_html(text, allowed):
    p = _Tags()
    p.feed(text)
    assert set(p.tags) <= allowed, set(p.tags) - allowed
    assert not [a for a in p.attrs if a.startswith("on")]


def assert_inert_svg(svg):
    root = ET.fromstring(svg.encode("utf-8"))  # well-formed XML, or this raises
    ns = "{http://www.w3.org/2000/svg}"
    tags = {e.tag.replace(ns, "") for e in root.iter()}
    assert tags <= {"svg", "title", "defs", "marker", "path", "rect", "g", "line", "text", "ellipse"}, tags
    assert not [k for e in root.iter() for k in e.attrib if k.lower().startswith("on")]
    kinds = {c for e in root.iter() for c in e.get("class", "").split()}
    assert kinds <= {"edges", "nodes", "value", "op", *gradviz.graph.snapshot.KINDS, "group"}, kinds
    return root


def test_to_svg_draws_hostile_text_as_text(tmp_path):
    g, _ = hostile_graph()
    svg = to_svg(g)
    root = assert_inert_svg(svg)
    texts = [e.text or "" for e in root.iter("{http://www.w3.org/2000/svg}text")]
    assert HOSTILE[0] in texts and HOSTILE[1] in texts  # shown, as text
    assert any("\ufffd" in t for t in texts)  # control characters replaced, not dropped silently
    ns = "{http://www.w3.org/2000/svg}"
    boxes = [e.find(ns + "rect") for e in root.iter(ns + "g") if "value" in e.get("class", "").split()]
    assert len(boxes) == len(g)
    assert max(float(r.get("width")) for r in boxes) < 1000  # the 100,000-character label is cut short ...
    titles = [e.text or "" for e in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(LONG in t for t in titles)  # ... and kept whole in its tooltip
    p = tmp_path / "g.svg"
    to_svg(g, path=p)
    assert_inert_svg(p.read_text(encoding="utf-8"))
    h = Graph.from_json(g.to_json())  # every hostile column and meta survives JSON unchanged
    assert (h.labels, h.ops, h.scopes, h.meta) == (g.labels, g.ops, g.scopes, g.meta)


def _dot_label_fields(src, node):
    """The fields of node ``node``'s record label in DOT source, split at unescaped '|'."""
    line = next(x for x in src.splitlines() if x.strip().startswith(f"{node} ["))
    start = line.index('label="') + len('label="')
    out, i, esc = [], start, False
    while True:  # read the quoted string: it ends at the first unescaped quote
        c = line[i]
        if not esc and c == '"':
            break
        out.append(c)
        esc = not esc and c == "\\"
        i += 1
    label = "".join(out)
    fields, cur, esc = [], [], False
    for c in label.strip()[1:-1]:  # inside the record's { }
        if not esc and c == "|":
            fields.append("".join(cur)); cur = []
            continue
        if not esc and c in "{}<>\"":
            raise AssertionError(f"unescaped {c!r} in {label!r}")
        esc = not esc and c == "\\"
        cur.append(c)
    return fields + ["".join(cur)]


def test_draw_dot_escapes_every_label():
    pytest.importorskip("graphviz")
    g, _ = hostile_graph()
    src = draw_dot(g).source
    assert "\x00" not in src and "\x1b" not in src
    for i in range(len(g)):
        fields = _dot_label_fields(src, f"n{i}")
        assert len(fields) == 3 and fields[1].strip().startswith("data"), fields
        assert len(fields[0]) < 200  # cut short; the full label is the tooltip


def test_reports_escape_labels_and_kinds(torch):
    g, out = hostile_graph()
    out.backward()
    checked = grad_check(out)
    assert_inert_html(checked._repr_html_(), {"div", "p", "b", "table", "thead", "tbody", "tr", "th", "td"})
    assert "&lt;script&gt;" in checked._repr_html_()
    pred = predict_vs_actual(out, HOSTILE[1])
    assert_inert_html(pred._repr_html_(), {"p"})
    cmp = gradviz.compare_with_torch(out)
    assert cmp.ok, str(cmp)
    assert_inert_html(cmp._repr_html_(), {"div", "style", "p", "table", "thead", "tbody", "tr", "th", "td", "code"})


def test_torch_module_and_parameter_names_are_escaped(torch):
    nn = torch.nn
    name = '"><img src=x onerror="alert(1)">'  # PyTorch allows anything but a dot
    model = nn.ModuleDict({name: nn.Linear(2, 1)})
    loss = model[name](torch.ones(2)).sum()
    loss.backward()
    g = gradviz.from_torch(loss, params=dict(model.named_parameters()))
    assert any(name in lab for lab in g.labels)
    assert_inert_svg(to_svg(g))
    h = Graph.from_json(g.to_json())
    assert h.labels == g.labels and h.scopes == g.scopes


def test_the_issue_9_kind_is_refused_where_the_graph_is_built():
    evil = 'input"><image href=x onerror="window.__pwned=1"/><g class="'
    with pytest.raises(ValueError, match=r"node 0 has kind 'input\"><image.*kinds are input, parameter"):
        Graph(["a", "b"], [1., 2.], [0., 1.], ["", "neg"], [evil, "output"], ["", ""], [[], [0]])


@pytest.mark.parametrize("column,bad,message", [
    ("labels", 5, r"'labels' of node 1 is 5; labels must be strings"),
    ("ops", None, r"'ops' of node 1 is None"),
    ("scopes", b"x", r"'scopes' of node 1 is b'x'"),
    ("data", None, r"'data' of node 1 is None; data holds numbers"),
    ("data", True, r"'data' of node 1 is True"),
    ("data", [1.0], r"'data' of node 1 is \[1.0\]"),
    ("grad", "1", r"'grad' of node 1 is '1'"),
    ("labels", "a\ud800b", r"'labels' of node 1 is 'a\\ud800b', which holds a lone surrogate"),
    ("ops", "\udc00", r"'ops' of node 1 .*lone surrogate"),
])
def test_graph_constructor_checks_every_column(column, bad, message):
    cols = dict(labels=["a", "b"], data=[1.0, 2.0], grad=[0.0, 1.0], ops=["", "neg"], kinds=["input", "output"],
                scopes=["", ""], children=[[], [0]])
    cols[column] = list(cols[column])
    cols[column][1] = bad
    with pytest.raises(ValueError, match=message):
        Graph(**cols)


def test_graph_constructor_checks_children_meta_and_source():
    base = dict(labels=["a", "b"], data=[1.0, 2.0], grad=[0.0, 1.0], ops=["", "neg"],
                kinds=["input", "output"], scopes=["", ""])
    for children, msg in [([[], None], "'children' of node 1 is None"),
                          ([[], [0.0]], "'children' of node 1 holds 0.0"),
                          ([[], [True]], "'children' of node 1 holds True"),
                          ([[], [2 ** 70]], "node 1 has child 1180591620717411303424"),
                          ([[], [1]], "node 1 has child 1; children must be ids of earlier")]:
        with pytest.raises(ValueError, match=msg.replace("(", r"\(")):
            Graph(**base, children=children)
    with pytest.raises(ValueError, match="'meta' of node 0 is 'x'; give a dict"):
        Graph(**base, children=[[], [0]], meta=["x", None])
    deep = {}
    d = deep
    for _ in range(500):
        d["k"] = {}
        d = d["k"]
    with pytest.raises(ValueError, match="'meta' of node 1 nests deeper than 32 levels"):
        Graph(**base, children=[[], [0]], meta=[None, deep])
    with pytest.raises(ValueError, match="'meta' key of node 0 .*lone surrogate"):
        Graph(**base, children=[[], [0]], meta=[{"\ud800": 1}, None])
    with pytest.raises(ValueError, match="source is 'tf'"):
        Graph(**base, children=[[], [0]], source="tf")


def test_a_lone_surrogate_in_a_label_is_refused_where_it_enters():
    a = Value(1.0, label="half an emoji \ud83d")
    with pytest.raises(ValueError, match=r"'labels' of node 0 .*lone surrogate '\\ud83d'.*surrogatepass"):
        trace(a * 2.0)


def test_to_svg_writes_the_whole_file_or_leaves_the_old_one(tmp_path, monkeypatch):
    p = tmp_path / "g.svg"
    p.write_text("old picture")
    a = Value(1.0, label="a")
    a.label = "b\ud800"  # refused before anything is written
    with pytest.raises(ValueError, match="lone surrogate"):
        to_svg(a * 2.0, path=p)
    assert p.read_text() == "old picture"
    import gradviz.draw.render as render

    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(render.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        to_svg(Value(1.0, label="x") * 2.0, path=p)
    assert p.read_text() == "old picture" and [f.name for f in tmp_path.iterdir()] == ["g.svg"]
    monkeypatch.undo()
    to_svg(Value(1.0, label="x") * 2.0, path=p)
    assert_inert_svg(p.read_text(encoding="utf-8"))


# ---- strict JSON -------------------------------------------------------------------------------

def good_doc():
    L = Value(2.0, label="a") * Value(-3.0, label="b")
    L.label = "L"
    L.backward()
    g = trace(L)
    g = Graph(g.labels, g.data, g.grad, g.ops, g.kinds, g.scopes, g.children,
              meta=[{"t": (1, 2)}, None, {"f": math.nan}])
    return json.loads(g.to_json())


def _nest(depth):
    m = "leaf"
    for _ in range(depth):
        m = {"k": m}
    return m


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["labels"].__setitem__(1, 7), r"'labels' of node 1 is 7; labels are strings"),
    (lambda d: d["scopes"].__setitem__(2, None), r"'scopes' of node 2 is None"),
    (lambda d: d["ops"].__setitem__(2, ["*"]), r"'ops' of node 2 is \['\*'\]"),
    (lambda d: d["kinds"].__setitem__(0, "<b>"), r"unknown kind|node 0 has kind '<b>'"),
    (lambda d: d["data"].__setitem__(0, [1.0]), r"'data' of node 0 is \[1.0\]"),
    (lambda d: d["data"].__setitem__(1, None), r"'data' of node 1 is None"),
    (lambda d: d["grad"].__setitem__(1, True), r"'grad' of node 1 is True"),
    (lambda d: d["data"].__setitem__(1, "nan"), r"'data' of node 1 is 'nan'"),
    (lambda d: d.__setitem__("version", True), r"unsupported gradviz graph schema version True"),
    (lambda d: d.__setitem__("n", "3"), r"'n' is '3'"),
    (lambda d: d.__setitem__("source", "<x>"), r"'source' is '<x>'"),
    (lambda d: d["children"].__setitem__(2, None), r"'children' of node 2 is None"),
    (lambda d: d["children"].__setitem__(2, [0, 2 ** 70]), r"node 2 has child 1180591620717411303424"),
    (lambda d: d["children"].__setitem__(2, [0, math.inf]), r"'children' of node 2 holds inf"),
    (lambda d: d["children"].__setitem__(2, [0, 1.0]), r"'children' of node 2 holds 1.0"),
    (lambda d: d["children"].__setitem__(2, [0, 5]), r"node 2 has child 5"),
    (lambda d: d["meta"].__setitem__(0, {"t": {"$tuple": "abc"}}), r"'meta' of node 0: \"\$tuple\" holds 'abc'"),
    (lambda d: d["meta"].__setitem__(2, {"f": {"$float": "nan"}}), r"'meta' of node 2: \"\$float\" holds 'nan'"),
    (lambda d: d["meta"].__setitem__(2, {"f": {"$float": 1}}), r"'meta' of node 2: \"\$float\" holds 1"),
    (lambda d: d["meta"].__setitem__(1, {"$dict": [1]}), r"'meta' of node 1: \"\$dict\" holds \[1\]"),
    (lambda d: d["meta"].__setitem__(1, [1]), r"'meta' of node 1 is \[1\]; each entry is an object"),
    (lambda d: d["meta"].__setitem__(1, {"x": math.inf}), r"'meta' of node 1 holds inf"),
    (lambda d: d["meta"].__setitem__(1, _nest(500)), r"'meta' of node 1 nests deeper than 32 levels"),
    (lambda d: d["labels"].__setitem__(1, "\ud800"), r"'labels' of node 1 .*lone surrogate"),
])
def test_from_json_refuses_malformed_documents(edit, message):
    doc = good_doc()
    assert Graph.from_json(doc).meta[0]["t"] == (1, 2)
    edit(doc)
    with pytest.raises(ValueError, match=message):
        Graph.from_json(doc)
    try:
        text = json.dumps(doc, ensure_ascii=True)  # the same document as text (Infinity included)
    except (ValueError, RecursionError):
        return
    with pytest.raises(ValueError, match=message):
        Graph.from_json(text)


def test_from_json_refuses_deep_text_without_recursion_error():
    doc = good_doc()
    text = json.dumps(doc).replace('"meta": [', '"meta": [' + "[" * 100_000 + "]" * 100_000 + ", ", 1)
    with pytest.raises(ValueError):
        Graph.from_json(text)
    meta_ok = _nest(31)
    doc["meta"][1] = meta_ok
    assert Graph.from_json(json.dumps(doc)).meta[1]["k"]["k"]


def test_from_json_round_trips_tagged_meta():
    doc = good_doc()
    doc["meta"][1] = {"$dict": {"$tuple": {"$tuple": [{"$float": "-Infinity"}, [1, {"$tuple": []}]]}}}
    g = Graph.from_json(doc)
    assert g.meta[1] == {"$tuple": (-math.inf, [1, ()])}
    assert json.loads(g.to_json())["meta"][1] == doc["meta"][1]
    assert np.isnan(g.meta[2]["f"])
