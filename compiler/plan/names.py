"""Identifiers are types: ``str`` subclasses that are valid for their target at construction.

A name from the spec ("Fraud Détection v2 🚀") ends up as a Python module, a class, a Terraform
resource, a Bento and a Kubernetes object, each with its own rule. Making each rule a type means
a template can only receive a name that its target accepts: the constructor checks, and
:meth:`Identifier.from_text` turns any text into a valid name deterministically
(cf. openapi-python-client ``utils.PythonIdentifier``).

The Plan carries names already made valid (Python modules, Kubernetes objects): targets read
them and never sanitise a name themselves. The name types of the targets that come next live
with them (:mod:`mlopsgen.targets.terraform.names`, :mod:`mlopsgen.targets.bentoml.names`),
as does the collision-checked table (:mod:`mlopsgen.targets.naming`), until the planner hands
those targets their names.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import ClassVar, Self

__all__ = [
    "Identifier",
    "K8sName",
    "PythonClassName",
    "PythonIdentifier",
]

# Letters NFKD does not decompose into ASCII; everything else non-ASCII is dropped.
_TRANSLITERATION = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ł": "l"}
    | {"Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "\u0131": "i"}
)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_HASH_LENGTH = 8

# Python's keywords and builtins, spelled out (as of Python 3.13) so generated names do not
# depend on the interpreter running the compiler; a unit test checks the running one is covered.
_KEYWORDS_TEXT = (
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try "
    "while with yield"
)
_BUILTINS_TEXT = (
    "ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup "
    "BlockingIOError BrokenPipeError BufferError BytesWarning ChildProcessError "
    "ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError "
    "DeprecationWarning EOFError Ellipsis EncodingWarning EnvironmentError Exception "
    "ExceptionGroup False FileExistsError FileNotFoundError FloatingPointError FutureWarning "
    "GeneratorExit IOError ImportError ImportWarning IndentationError IndexError "
    "InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError "
    "ModuleNotFoundError NameError None NotADirectoryError NotImplemented NotImplementedError "
    "OSError OverflowError PendingDeprecationWarning PermissionError ProcessLookupError "
    "PythonFinalizationError RecursionError ReferenceError ResourceWarning RuntimeError "
    "RuntimeWarning StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError "
    "SystemExit TabError TimeoutError True TypeError UnboundLocalError UnicodeDecodeError "
    "UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning "
    "ValueError Warning ZeroDivisionError abs aiter all anext any ascii bin bool breakpoint "
    "bytearray bytes callable chr classmethod compile complex copyright credits delattr dict "
    "dir divmod enumerate eval exec exit filter float format frozenset getattr globals hasattr "
    "hash help hex id input int isinstance issubclass iter len license list locals map max "
    "memoryview min next object oct open ord pow print property quit range repr reversed round "
    "set setattr slice sorted staticmethod str sum super tuple type vars zip"
)
PYTHON_KEYWORDS = frozenset(_KEYWORDS_TEXT.split())
PYTHON_BUILTINS = frozenset(_BUILTINS_TEXT.split())


def _words(text: str) -> list[str]:
    """Split any text into ASCII alphanumeric words, at separators and camelCase boundaries."""
    folded = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    return [w for w in _NON_ALNUM.split(_CAMEL_BOUNDARY.sub(" ", ascii_text)) if w]


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LENGTH]


class Identifier(str):
    """A name valid for one target, checked when constructed.

    The base class is the loosest rule (an ASCII word starting with a letter); subclasses set
    theirs as class attributes: the pattern a name must match in full, reserved names, an
    optional maximum length, how words are joined, the name used for empty input and the
    prefix for input starting with a digit.
    """

    pattern: ClassVar[re.Pattern[str]] = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
    rule: ClassVar[str] = "ASCII letters, digits and '_', starting with a letter"
    reserved: ClassVar[frozenset[str]] = frozenset()
    max_length: ClassVar[int | None] = None
    separator: ClassVar[str] = "_"
    fallback: ClassVar[str] = "unnamed"
    digit_prefix: ClassVar[str] = "n"

    def __new__(cls, value: str) -> Self:
        """Check ``value`` against the rule; raise ValueError with the rule if it fails."""
        if not isinstance(value, str):
            raise TypeError(f"{cls.__name__} needs a str, not {type(value).__name__}")
        if not cls.is_valid(value):
            raise ValueError(f"{value!r} is not a valid {cls.__name__}: {cls.rule}")
        return super().__new__(cls, value)

    @classmethod
    def is_valid(cls, value: str) -> bool:
        """Whether ``value`` satisfies this identifier's rule."""
        if cls.max_length is not None and len(value) > cls.max_length:
            return False
        return value not in cls.reserved and cls.pattern.fullmatch(value) is not None

    @classmethod
    def join_words(cls, words: list[str]) -> str:
        """Join words in this identifier's case style (lower case with the separator)."""
        return cls.separator.join(w.lower() for w in words)

    @classmethod
    def from_text(cls, text: str) -> Self:
        """Turn any text into a valid name, deterministically.

        Non-ASCII letters are folded to ASCII (``é`` -> ``e``) or dropped; words are split at
        punctuation, spaces and camelCase boundaries; text without any usable character becomes
        :attr:`fallback`; a leading digit gets :attr:`digit_prefix`; a reserved name gets a
        trailing ``_``; a name over :attr:`max_length` is cut and ends in a short hash of the
        full name, so distinct long names stay distinct.
        """
        words = _words(text)
        if not words:
            return cls(cls.fallback)
        if words[0][0].isdigit():
            words.insert(0, cls.digit_prefix)
        name = cls.join_words(words)
        if name in cls.reserved:
            name += "_"
        return cls(cls._fit(name, ""))

    def with_suffix(self, number: int) -> Self:
        """The ``number``-th variant of this name (``foo`` -> ``foo_2``), used on collisions."""
        if number < 2:
            raise ValueError(f"variant numbers start at 2, got {number}")
        return type(self)(self._fit(self.rstrip("_"), f"{self.separator}{number}"))

    @classmethod
    def _fit(cls, base: str, suffix: str) -> str:
        """``base + suffix``, with ``base`` cut and hashed when the whole is too long."""
        limit = cls.max_length
        if limit is None or len(base) + len(suffix) <= limit:
            return base + suffix
        tail = cls.separator + _short_hash(base)
        keep = limit - len(suffix) - len(tail)
        return base[:keep].rstrip("_-.") + tail + suffix


class PythonIdentifier(Identifier):
    """A snake_case Python name: ASCII, no leading digit or underscore, not a keyword or builtin.

    Keywords and builtins get a trailing underscore (``class_``, ``list_``), the PEP 8 way to
    avoid shadowing.
    """

    pattern = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*_?")
    rule = "lower-case ASCII words joined by '_', starting with a letter, not a keyword/builtin"
    reserved = PYTHON_KEYWORDS | PYTHON_BUILTINS


class PythonClassName(Identifier):
    """A PascalCase Python class name, not shadowing a builtin (``Exception`` -> ``Exception_``)."""

    pattern = re.compile(r"[A-Z][A-Za-z0-9]*(?:_[0-9]+|_)?")
    rule = "ASCII PascalCase starting with an upper-case letter, not a keyword/builtin"
    reserved = PYTHON_KEYWORDS | PYTHON_BUILTINS
    fallback = "Unnamed"
    digit_prefix = "N"

    @classmethod
    def join_words(cls, words: list[str]) -> str:
        """Capitalise every word: ``http server`` and ``HTTPServer`` both give ``HttpServer``.

        A word after a one-letter word is not capitalised (``x a`` -> ``Xa``, not ``XA``):
        ``XA`` would read back as one word, and sanitising a name again must not change it.
        """
        pieces: list[str] = []
        after_letter = False
        for word in words:
            pieces.append(word.lower() if after_letter else word[0].upper() + word[1:].lower())
            after_letter = len(word) == 1 and word.isalpha()
        return "".join(pieces)


class K8sName(Identifier):
    """A Kubernetes DNS-1123 label: lower-case alphanumerics and ``-``, at most 63 characters.

    :meth:`from_text` also starts the name with a letter, so the result is an RFC 1035 label
    that Services (which need one) accept too.
    """

    pattern = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
    rule = "lower-case alphanumerics and '-', starting and ending alphanumeric, <= 63 characters"
    max_length = 63
    separator = "-"
