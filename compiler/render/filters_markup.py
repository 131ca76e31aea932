"""Escaping filters for text-like targets: shell, Make, Markdown, Mermaid and comments.

Split from :mod:`.filters` (which re-exports every name) so that each module stays small; the
data-like targets (Python, HCL, YAML, JSON, TOML) live there.
"""

from __future__ import annotations

import re
import shlex

from mlopsgen.render.text_rules import LINE_BREAKS, check_text, one_line

__all__ = [
    "comment_text",
    "make_escape",
    "markdown_cell",
    "markdown_code",
    "markdown_text",
    "mermaid_label",
    "shell_quote",
]


# --- Shell and Make -----------------------------------------------------------------------------


def shell_quote(value: object) -> str:
    """One POSIX shell word that expands to exactly ``value`` (``shlex.quote``).

    Raises:
        ValueError: for NUL, which no shell argument can hold.
    """
    text = check_text(value)
    if "\0" in text:
        raise ValueError(f"a shell word cannot contain NUL: {text!r}")
    return shlex.quote(text)


_MAKE_HASH = re.compile(r"(\\*)#")


def make_escape(value: object) -> str:
    """A GNU Make variable value (``X = ...``) that expands to exactly ``value``.

    ``$`` becomes ``$$``; ``#`` would start a comment, so it is escaped as ``\\#`` (with the
    backslashes before it doubled, as Make halves them); leading whitespace, which Make strips,
    and a trailing backslash, which would continue the line, are guarded with the empty
    reference ``$()``.

    Raises:
        ValueError: for line breaks and NUL, which a one-line assignment cannot hold.
    """
    text = check_text(value)
    if "\0" in text or any(ch in text for ch in LINE_BREAKS):
        raise ValueError(f"a Makefile variable value must be one line without NUL: {text!r}")
    text = text.replace("$", "$$")
    text = _MAKE_HASH.sub(lambda m: m.group(1) * 2 + "\\#", text)
    if text[:1].isspace():
        text = "$()" + text
    if text.endswith("\\"):
        text += "$()"
    return text


# --- Markdown, Mermaid and comments -------------------------------------------------------------

# Inline markup that can start anywhere: escapes, code spans, emphasis with "*", links and
# images (an escaped "[" also disarms "!["), strikethrough and GitHub's math.
_MARKDOWN_ALWAYS = r"[\\`*\[\]~$]"
# "_" only emphasises at a word edge; "<" only opens HTML or an autolink when a non-space
# follows; "&" only starts an entity before a name or "#".
_MARKDOWN_CONTEXTUAL = r"(?<![^\W_])_|_(?![^\W_])|<(?=\S)|&(?=[#A-Za-z0-9])"
_MARKDOWN_INLINE = re.compile(f"({_MARKDOWN_ALWAYS}|{_MARKDOWN_CONTEXTUAL})")
# Block markup only where a line starts: headings, quotes, list items, setext underlines
# and thematic breaks ("- - -", "--" under a line of text).
_MARKDOWN_LINE_START = re.compile(
    r"^(?:(#{1,6}(?=\s|$)|>|[+\-](?=\s|$)|-[-\s]*$|=+\s*$)|(\d{1,9})([.)])(?=\s|$))"
)


def markdown_text(value: object) -> str:
    """Inline Markdown that renders as exactly the words of ``value``.

    Line breaks become spaces and surrounding whitespace is stripped, so the text stays one
    inline fragment that a template may place anywhere, even at the start of a line. Every
    character that would start inline markup where it stands (a link, image, HTML tag,
    emphasis, code span, autolink, entity, strikethrough or math) is backslash-escaped, and
    so is a leading marker that would start a heading, quote, list item or setext underline;
    everything else is left alone so the raw file stays readable (CommonMark renders an
    escaped ASCII punctuation character literally).

    Raises:
        TypeError: if ``value`` is not a str.
        ValueError: for lone surrogates.
    """
    text = _MARKDOWN_INLINE.sub(r"\\\1", one_line(check_text(value)).strip())
    return _MARKDOWN_LINE_START.sub(_escape_line_start, text, count=1)


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return f"{match.group(2)}\\{match.group(3)}"


def markdown_cell(value: object) -> str:
    """Like :func:`markdown_text`, also escaping ``|`` so the text stays in one table cell."""
    return markdown_text(value).replace("|", "\\|")


_MERMAID_ENTITIES = {
    '"': "#quot;",
    "#": "#35;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
}
_MERMAID_SPECIAL = re.compile('["#<>&`]')


def mermaid_label(value: object) -> str:
    """A double-quoted Mermaid node label showing ``value``.

    Inside quotes brackets and parentheses are plain text; the quote itself, ``#`` (which
    starts an entity), ``<``/``>``/``&`` (HTML) and the backtick (Markdown strings) become
    Mermaid entity codes such as ``#quot;``. Line breaks become spaces.

    Raises:
        TypeError: if ``value`` is not a str.
        ValueError: for lone surrogates.
    """
    text = one_line(check_text(value)).strip()
    return '"' + _MERMAID_SPECIAL.sub(lambda m: _MERMAID_ENTITIES[m.group()], text) + '"'


def comment_text(value: object) -> str:
    """Text that stays inside a single-line ``#`` comment in Python, HCL, YAML, shell or Make.

    Every line break (including ``\\u2028``, ``\\x85`` and form feed) and other control
    character becomes a space, and trailing backslashes are dropped because Make continues a
    comment onto the next line after one.

    Raises:
        TypeError: if ``value`` is not a str.
        ValueError: for lone surrogates.
    """
    text = one_line(check_text(value)).rstrip()
    while text.endswith("\\"):
        text = text[:-1].rstrip()
    return text


def markdown_code(value: object, table: bool = False) -> str:
    """An inline Markdown code span showing ``value`` verbatim.

    Backslash escapes do not work inside code spans, so the fence is made one backtick
    longer than the longest backtick run in the text. CommonMark strips one space from each
    side of a span that starts and ends with one, so text that starts or ends with a backtick,
    or with a space at both ends, is padded with a space on each side. Line breaks become
    spaces and empty text gives an empty string (a code span cannot be empty). In a GFM table
    cell (``table=True``) a ``|`` still ends the cell even inside code, so it becomes ``\\|``,
    which GFM turns back into ``|`` before reading the code span.

    Raises:
        TypeError: if ``value`` is not a str.
        ValueError: for lone surrogates.
    """
    text = one_line(check_text(value))
    if not text:
        return ""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    backtick_edge = text.startswith("`") or text.endswith("`")
    spaced = text.startswith(" ") and text.endswith(" ") and bool(text.strip(" "))
    pad = " " if backtick_edge or spaced else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if table else span
