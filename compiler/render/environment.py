"""The one Jinja environment every template is rendered with.

It is strict on purpose: an undefined variable or attribute raises instead of rendering as an
empty string (``StrictUndefined``), ``None`` printed bare raises instead of becoming the text
``None``, and autoescaping is off because no output is HTML: each value is escaped for its own
target language by an explicit filter (``{{ name|md }}``, ``{{ command|sh }}``; see
``filters.py``; a target adds the filters of its own languages, such as ``py`` or ``hcl``).
Whitespace control (``trim_blocks``, ``lstrip_blocks``) lets block tags sit on their own
lines without leaving blank lines behind, and ``keep_trailing_newline`` keeps the final
newline a file needs.

Templates are found through ``importlib.resources`` so rendering works from a wheel, a zip and
an editable install alike; a template is named after the file it produces
(``bentoml/service.py.j2`` renders ``services/<name>/service.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable

import jinja2

from mlopsgen.render import filters
from mlopsgen.render.errors import RenderError

__all__ = [
    "FILTERS",
    "PackageLoader",
    "make_environment",
    "render_file",
    "render_file_with",
    "render_template",
]

FILTERS: dict[str, Callable[..., str]] = {
    "sh": filters.shell_quote,
    "make": filters.make_escape,
    "md": filters.markdown_text,
    "md_cell": filters.markdown_cell,
    "mermaid": filters.mermaid_label,
    "comment": filters.comment_text,
    "toml": filters.toml_string,
    "md_code": filters.markdown_code,
}
"""Filter names as templates use them; each is a pure escaping function."""


def _templates_root() -> Traversable:
    return resources.files("mlopsgen") / "templates"


class PackageLoader(jinja2.BaseLoader):
    """Loads templates from a :class:`~importlib.resources.abc.Traversable` directory.

    ``jinja2.PackageLoader`` insists on a package with an ``__init__.py`` (``templates/`` is
    package data, not a package) and ``FileSystemLoader`` needs a real directory, which a
    zipped install does not have.
    """

    def __init__(self, root: Traversable | None = None):
        self._root = root

    @property
    def root(self) -> Traversable:
        """The templates directory (resolved lazily so importing this module stays cheap)."""
        return self._root if self._root is not None else _templates_root()

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        """Read ``template`` (a ``/``-separated name; ``..`` is refused by Jinja's splitter)."""
        node = self.root
        for part in jinja2.loaders.split_template_path(template):
            node = node / part
        if not node.is_file():
            raise jinja2.TemplateNotFound(template)
        source = node.read_text(encoding="utf-8")
        # Packaged templates do not change while the compiler runs.
        return source, None, lambda: True

    def list_templates(self) -> list[str]:
        """Every template name, sorted."""
        found: list[str] = []
        pending: list[tuple[str, Traversable]] = [("", self.root)]
        while pending:
            prefix, node = pending.pop()
            if not node.is_dir():
                continue
            for child in node.iterdir():
                name = f"{prefix}{child.name}"
                if child.is_dir():
                    pending.append((name + "/", child))
                else:
                    found.append(name)
        return sorted(found)


def _refuse_none(value: object) -> object:
    """``finalize`` hook: printing ``None`` is a template bug, not the text "None"."""
    if value is None:
        raise TypeError(
            "a template printed None; pass the value through a filter (py, hcl, ...) "
            "or decide in the plan what an absent value renders as"
        )
    return value


def make_environment(
    loader: jinja2.BaseLoader | None = None,
    extra_filters: Mapping[str, Callable[..., str]] | None = None,
) -> jinja2.Environment:
    """A new strict environment with every filter registered.

    Args:
        loader: where templates come from; the packaged ``templates/`` by default. Tests pass
            a ``jinja2.DictLoader`` to render small templates of their own.
        extra_filters: filters of a target's own languages (``py``, ``hcl``), by name; they
            may not replace the shared ones.

    Raises:
        ValueError: an extra filter has the name of a shared one.
    """
    env = jinja2.Environment(
        loader=loader if loader is not None else PackageLoader(),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        finalize=_refuse_none,
    )
    env.filters.update(FILTERS)
    clashes = sorted(set(FILTERS) & set(extra_filters or {}))
    if clashes:
        raise ValueError(f"filters {', '.join(clashes)} are shared and cannot be replaced")
    env.filters.update(extra_filters or {})
    return env


@functools.cache
def _default_environment() -> jinja2.Environment:
    return make_environment()


def render_template(name: str, /, **context: object) -> str:
    """Render the packaged template ``name`` with ``context``.

    Raises:
        jinja2.TemplateNotFound: if there is no such template.
        jinja2.UndefinedError: if the template uses a name the context does not define.
    """
    return _default_environment().get_template(name).render(**context)


def render_file(path: str, template: str, /, **context: object) -> str:
    """Render the output file ``path`` from the packaged ``template``.

    What targets call: a missing template, an undefined name or a value a filter refuses
    becomes a :class:`RenderError` naming the file, instead of a Jinja traceback.

    Raises:
        RenderError: the template cannot be rendered with ``context``.
    """
    return _render(_default_environment(), path, template, context)


def render_file_with(
    extra_filters: Mapping[str, Callable[..., str]], path: str, template: str, /, **context: object
) -> str:
    """Like :func:`render_file`, with a target's own escaping filters registered too.

    The filters of a target language (``py``, ``hcl``, ...) live beside the target that emits
    that language; one environment per set of filters is built once and reused.

    Raises:
        RenderError: the template cannot be rendered with ``context``.
    """
    key = tuple(sorted(extra_filters.items()))
    return _render(_environment_with(key), path, template, context)


@functools.cache
def _environment_with(extra: tuple[tuple[str, Callable[..., str]], ...]) -> jinja2.Environment:
    return make_environment(extra_filters=dict(extra))


def _render(
    env: jinja2.Environment, path: str, template: str, context: Mapping[str, object]
) -> str:
    try:
        return env.get_template(template).render(**context)
    except (jinja2.TemplateError, ValueError, TypeError) as exc:
        raise RenderError(f"{type(exc).__name__}: {exc}", path=path) from exc
