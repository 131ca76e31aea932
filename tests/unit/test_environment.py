"""The Jinja environment is strict and finds the packaged templates."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from mlopsgen.render.environment import (
    FILTERS,
    PackageLoader,
    make_environment,
    render_template,
)
from mlopsgen.targets import literals
from mlopsgen.targets.terraform import hcl


def env_with(**templates: str) -> jinja2.Environment:
    return make_environment(jinja2.DictLoader(templates), {**literals.FILTERS, **hcl.FILTERS})


def test_undefined_names_and_attributes_raise() -> None:
    env = env_with(t="{{ missing }}", a="{{ obj.missing }}")
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("t").render()
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("a").render(obj={})


def test_printing_none_raises() -> None:
    with pytest.raises(TypeError, match="printed None"):
        env_with(t="x = {{ v }}").get_template("t").render(v=None)


def test_no_autoescape_and_whitespace_control() -> None:
    env = env_with(t="{% for x in xs %}\n  {{ x }}\n{% endfor %}\nend\n")
    assert env.autoescape is False
    assert env.get_template("t").render(xs=["<a>", "&"]) == "  <a>\n  &\nend\n"


def test_short_filter_names_are_registered() -> None:
    env = make_environment()
    expected = {"sh", "make", "md", "md_cell", "mermaid", "comment", "toml", "md_code"}
    assert expected <= set(env.filters)
    assert all(env.filters[name] is FILTERS[name] for name in FILTERS)
    assert not {"py", "hcl"} & set(env.filters), "target filters come with their target"
    rendered = env_with(t="{{ s|py }} {{ s|hcl }} {{ s|sh }}").get_template("t").render(s="a'b")
    assert rendered == "\"a'b\" \"a'b\" 'a'\"'\"'b'"


def test_package_loader_reads_a_template_tree(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "main.tf.j2").write_text("region = {{ r|hcl }}\n", encoding="utf-8")
    (tmp_path / "README.md.j2").write_text("# {{ t|md }}\n", encoding="utf-8")
    loader = PackageLoader(tmp_path)
    assert loader.list_templates() == ["README.md.j2", "terraform/main.tf.j2"]
    env = make_environment(loader, hcl.FILTERS)
    assert (
        env.get_template("terraform/main.tf.j2").render(r="eu-west-1") == 'region = "eu-west-1"\n'
    )
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("terraform")


def test_default_loader_points_at_the_packaged_templates() -> None:
    root = PackageLoader().root
    assert root.is_dir() and root.name == "templates"


def test_package_loader_refuses_escaping_names() -> None:
    env = make_environment()
    for bad in ["../pyproject.toml", "nope/missing.j2"]:
        with pytest.raises(jinja2.TemplateNotFound):
            env.get_template(bad)
    with pytest.raises(jinja2.TemplateNotFound):
        render_template("../diagnostics.py")


def test_target_filters_cannot_replace_shared_ones() -> None:
    with pytest.raises(ValueError, match="md are shared"):
        make_environment(None, {"md": str})
