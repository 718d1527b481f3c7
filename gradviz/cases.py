"""Write a case file for the page's tests: ``python -m gradviz.cases ops|names|groups|changes|playground > js/test/<file>``.

The page keeps its own copies of five rule sets (the op table, node naming, the grouping rules, the
step/set/reset change rules, the playground's training in its standalone page);
the JS tests check each copy against the answers Python writes here. One entry point, not a
``__main__`` in each module, so ``-m`` never runs a module that the package has already imported.
"""
from __future__ import annotations

import sys

FILES = {"ops": "op_cases.json", "names": "name_cases.json", "groups": "group_cases.json",
         "changes": "change_cases.json", "playground": "playground_cases.json"}


def case_file_text(which: str) -> str:
    """The text of one case file (``which`` is a key of ``FILES``)."""
    if which == "ops":
        from .ops import case_file_text as text
    elif which == "names":
        from .names import case_file_text as text
    elif which == "groups":
        from .draw.grouping import case_file_text as text
    elif which == "changes":
        from .widget.change_cases import case_file_text as text
    elif which == "playground":
        from .playground.page import case_file_text as text
    else:
        raise ValueError(f"no case file {which!r}: choose one of {', '.join(FILES)}")
    return text()


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[1] not in FILES:
        usage = "\n".join(f"  python -m gradviz.cases {k} > js/test/{v}" for k, v in FILES.items())
        sys.exit(f"usage:\n{usage}")
    sys.stdout.write(case_file_text(argv[1]))


if __name__ == "__main__":
    main(sys.argv)
