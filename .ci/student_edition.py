"""Build the student edition of the book: the same site without the solutions.

    .venv/bin/python .ci/student_edition.py            # -> _build/student/html

It builds with Jupyter Book 1's own Sphinx entry point (`jupyter_book.sphinx.build_sphinx`, what
`jupyter-book build` calls) from the book's one `_config.yml`, plus a few Sphinx settings given as
overrides (JB1's `--config` replaces `_config.yml` instead of layering on it, so an overlay file
would have to repeat it):

- `hide_solutions = True`, sphinx-exercise's option. It drops a `{solution}` directive, but not
  the gated form this book uses (`{solution-start}` ... `{solution-end}` cells): under it,
  `{solution-start}` returns nothing, so the explanation after it and the solution's code cells
  are left in the page, and the left-over `{solution-end}` node stops the build (sphinx-exercise
  1.2.1: "NotImplementedError: ... departing unknown node type: solution_end_node"). So this
  module is also a small Sphinx extension (added to the build's extensions) that removes
  everything from each `{solution-start}` to its `{solution-end}`, before sphinx-exercise merges
  them; the search index is made from the same trimmed pages.
- no copies of the sources (`html_copy_source = False`) and no download button: `_sources/`
  would otherwise hold every notebook, solutions included, one click away;
- a banner on every page (the theme's `announcement` option) saying this is the student edition.

The build has its own output and doctree folders (`_build/student/html`, `_build/student/.doctrees`),
so it never mixes with the readers' build in `_build/html`. Warnings are errors, as in the
readers' build.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "_build" / "student" / "html"
BANNER = "Student edition: the exercises' solutions are not included."
BANNER_HTML = f'<span class="asyncbook-student-edition">{BANNER}</span>'


# ---------------------------------------------------------------------------------------------
# The Sphinx extension (loaded by name, "student_edition", from the build below).

def setup(app):  # noqa: ANN001, ANN201 - Sphinx's extension entry point
    """Remove gated solutions (everything from `{solution-start}` to `{solution-end}`)."""
    from docutils import nodes
    from sphinx.transforms import SphinxTransform
    from sphinx.util import logging
    from sphinx_exercise.directive import SolutionStartDirective
    from sphinx_exercise.nodes import solution_end_node

    logger = logging.getLogger(__name__)

    class hidden_solution_start(nodes.Element):   # noqa: N801 - docutils names nodes in lower case
        """Where a hidden gated solution starts; removed, with what follows, before writing."""

    class HiddenSolutionStart(SolutionStartDirective):
        """`{solution-start}` that leaves a marker behind when solutions are hidden.

        sphinx-exercise's own directive returns nothing under `hide_solutions` (it still records
        the start, which its structure check needs), so nothing would show where to cut.
        """

        def run(self):  # noqa: ANN201
            result = super().run()
            if not self.env.app.config.hide_solutions:
                return result
            marker = hidden_solution_start()
            marker["label"] = self.arguments[0]
            return [marker]

    class RemoveHiddenSolutions(SphinxTransform):
        """Cut each marker and its siblings up to the next `{solution-end}`, that one included."""

        default_priority = 5   # after sphinx-exercise's structure check (1), before its merge (10)

        def apply(self, **kwargs) -> None:
            for marker in list(self.document.findall(hidden_solution_start)):
                parent = marker.parent
                start = parent.index(marker)
                end = next((i for i in range(start, len(parent.children))
                            if isinstance(parent.children[i], solution_end_node)), None)
                if end is None:
                    logger.warning(f"student edition: no {{solution-end}} after {{solution-start}} "
                                   f"{marker['label']} at the same level: the solution cannot be hidden",
                                   location=marker)
                    parent.remove(marker)
                    continue
                del parent.children[start:end + 1]

    app.add_node(hidden_solution_start)   # never written: the transform removes every one
    app.add_directive("solution-start", HiddenSolutionStart, override=True)
    app.add_transform(RemoveHiddenSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# ---------------------------------------------------------------------------------------------
# The build.

def overrides(config_path: pathlib.Path, hide: bool = True) -> dict:
    """Sphinx settings laid over what `_config.yml` gives (merged into it, dicts key by key)."""
    import yaml

    user = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    extensions = list(user["sphinx"]["config"]["extensions"])   # the book's list, plus this module
    return {
        "external_toc_path": (ROOT / "_toc.yml").as_posix(),     # what `jupyter-book build .` sets
        "latex_individualpages": False,
        "extensions": extensions + ["student_edition"],
        "hide_solutions": hide,
        "html_copy_source": False,
        "html_theme_options": {"announcement": BANNER_HTML, "use_download_button": False},
    }


def build(output: pathlib.Path = OUTPUT, *, hide: bool = True) -> int:
    """Build the student edition into *output*; return Sphinx's exit status (0: no warnings)."""
    from jupyter_book.sphinx import build_sphinx

    here = str(pathlib.Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)   # so Sphinx can import this module as the extension
    config = ROOT / "_config.yml"
    # Sphinx starts from the searchindex.js already in the output folder and only drops the pages'
    # entries, not their words: words of an earlier build with solutions would stay in the index.
    (output / "searchindex.js").unlink(missing_ok=True)
    result = build_sphinx(
        ROOT, output, noconfig=True, path_config=str(config), confoverrides=overrides(config, hide),
        doctreedir=output.parent / ".doctrees", builder="html", warningiserror=True, keep_going=True,
        freshenv=True, force_all=True, quiet=True,
    )
    return result if isinstance(result, int) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=pathlib.Path, default=OUTPUT,
                        help=f"where the HTML goes (default: {OUTPUT.relative_to(ROOT)})")
    parser.add_argument("--keep-solutions", action="store_true",
                        help="leave the solutions in (to see the checks of this build fail)")
    args = parser.parse_args(argv)
    status = build(args.output.resolve(), hide=not args.keep_solutions)
    print(f"student edition: {'built' if status == 0 else 'FAILED'} in {args.output}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
