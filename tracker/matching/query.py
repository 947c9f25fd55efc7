"""The goal query language: parser producing an AST with source positions.

Grammar (lowest precedence first; ``docs/matching.md`` explains it for staff)::

    query    := or
    or       := and ("OR" and)*
    and      := unary (["AND"] unary)*          # words side by side: all must be present
    unary    := "NOT" unary | except
    except   := primary ("EXCEPT" primary)*     # drop occurrences inside the excluded ones
    primary  := FIELD ":" primary | "(" or ")" | near | PHRASE | WORD
    near     := "NEAR" ["/" N] "(" or ("," or)+ ")"

A WORD is stemmed (``насилие`` also finds ``насилия``), ``word*`` is a prefix of the
normalised word form, ``=word`` is the exact normalised form. A PHRASE (``"..."``, ``«...»``,
``“...”``) is its words in order, each stemmed (wildcards allowed). A hyphenated word
(``зорлық-зомбылық``) is a phrase of its parts, or the parts written together.
``NEAR`` and ``EXCEPT`` work on words and phrases (or ``OR`` of them), within one field.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.matching.lexer import Lexeme, QueryError, lex, line_column
from tracker.matching.normalise import TOKEN_RE, normalise
from tracker.matching.stem import analyse

__all__ = [
    "And", "Except", "Field", "Near", "Node", "Not", "Or", "Phrase", "Query",
    "QueryError", "Word", "is_positional", "parse_query",
]  # fmt: skip

MIN_PREFIX = 3


@dataclass(frozen=True, slots=True)
class Word:
    """A word: ``kind`` is ``stem``, ``prefix`` or ``exact``; ``form`` is normalised."""

    kind: str
    form: str
    keys: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words in a row; ``joined`` is the alternative for a hyphenated word written as one."""

    words: tuple[Word, ...]
    joined: Word | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Near:
    """All items within ``distance`` words of each other, in any order, in one field."""

    distance: int
    items: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Except:
    """Occurrences of ``base`` that do not overlap an occurrence of ``excluded``."""

    base: Node
    excluded: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Field:
    """``item`` searched in one field only (``title``, ``text`` or ``labels``)."""

    name: str
    item: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class And:
    """Every item is true."""

    items: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Or:
    """At least one item is true."""

    items: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Not:
    """The item is false."""

    item: Node
    start: int
    end: int


Node = Word | Phrase | Near | Except | Field | And | Or | Not


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query and the text it came from."""

    source: str
    root: Node

    def text_of(self, node: Node) -> str:
        """The query text of ``node``, on one line."""
        return " ".join(self.source[node.start : node.end].split())


def is_positional(node: Node) -> bool:
    """True for nodes that have occurrences (usable in NEAR and EXCEPT)."""
    if isinstance(node, Word | Phrase | Near | Except):
        return True
    if isinstance(node, Or):
        return all(is_positional(item) for item in node.items)
    return False


def matches_nothing_present(node: Node) -> bool:
    """True when ``node`` is true for a document containing none of its words."""
    if isinstance(node, Not):
        return not matches_nothing_present(node.item)
    if isinstance(node, And):
        return all(matches_nothing_present(item) for item in node.items)
    if isinstance(node, Or):
        return any(matches_nothing_present(item) for item in node.items)
    if isinstance(node, Field):
        return matches_nothing_present(node.item)
    return False


def parse_query(source: str) -> Query:
    """Parse ``source``; raise :class:`QueryError` (with line and column) when it is invalid."""
    parser = _Parser(source)
    if parser.peek().kind == "end":
        raise QueryError("empty query", source, 0)
    root = parser.parse_or()
    tail = parser.peek()
    if tail.kind == ")":
        raise QueryError("unexpected ')' (no matching '(')", source, tail.start)
    if tail.kind != "end":
        raise QueryError(f"unexpected {tail.text!r}", source, tail.start)
    if matches_nothing_present(root):
        raise QueryError(
            "this query matches documents that contain none of its words "
            "(NOT on its own matches everything): combine NOT with AND",
            source,
            root.start,
        )
    return Query(source, root)


_UNARY_START = frozenset({"word", "phrase", "(", "NOT", "NEAR", "field"})


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lexemes = lex(source)
        self.index = 0

    def peek(self) -> Lexeme:
        return self.lexemes[self.index]

    def take(self) -> Lexeme:
        lexeme = self.lexemes[self.index]
        self.index += 1
        return lexeme

    def error(self, message: str, offset: int) -> QueryError:
        return QueryError(message, self.source, offset)

    def expect_operand(self, after: Lexeme) -> None:
        nxt = self.peek()
        if nxt.kind not in _UNARY_START:
            found = "the end of the query" if nxt.kind == "end" else repr(nxt.text)
            raise self.error(
                f"expected a word, a phrase or '(' after {after.text}, found {found}", nxt.start
            )

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.peek().kind == "OR":
            self.expect_operand(self.take())
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items), items[0].start, items[-1].end)

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.expect_operand(self.take())
            elif kind not in _UNARY_START:
                break
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else And(tuple(items), items[0].start, items[-1].end)

    def parse_unary(self) -> Node:
        if self.peek().kind == "NOT":
            op = self.take()
            self.expect_operand(op)
            item = self.parse_unary()
            return Not(item, op.start, item.end)
        return self.parse_except()

    def parse_except(self) -> Node:
        node = self.parse_primary()
        while self.peek().kind == "EXCEPT":
            op = self.take()
            self.expect_operand(op)
            if self.peek().kind == "NOT":
                raise self.error(
                    "EXCEPT works on words and phrases (or OR of them): "
                    "write the exclusion without NOT",
                    self.peek().start,
                )
            excluded = self.parse_primary()
            for part in (node, excluded):
                self.require_positional(part, "EXCEPT")
            node = Except(node, excluded, node.start, excluded.end)
        return node

    def require_positional(self, node: Node, operator: str) -> None:
        if not is_positional(node):
            raise self.error(
                f"{operator} works on words and phrases (or OR of them), "
                "not on AND, NOT or field scopes: put those outside",
                node.start,
            )

    def parse_primary(self) -> Node:
        lexeme = self.peek()
        if lexeme.kind == "field":
            self.take()
            if self.peek().kind == "field":
                raise self.error("a field scope cannot contain another one", self.peek().start)
            self.expect_operand(Lexeme("", f"{lexeme.text}:", 0, 0, 0))
            item = self.parse_primary()
            return Field(lexeme.text, item, lexeme.start, item.end)
        if lexeme.kind == "(":
            self.take()
            if self.peek().kind == ")":
                raise self.error("empty brackets", lexeme.start)
            inner = self.parse_or()
            self.close(lexeme, "(")
            return inner
        if lexeme.kind == "NEAR":
            return self.parse_near()
        if lexeme.kind == "phrase":
            self.take()
            return _phrase(self.source, lexeme)
        if lexeme.kind == "word":
            self.take()
            return _word_node(self.source, lexeme.text, lexeme.start)
        if lexeme.kind == "end":
            raise self.error("unexpected end of the query", lexeme.start)
        raise self.error(f"unexpected {lexeme.text!r}", lexeme.start)

    def close(self, opener: Lexeme, what: str) -> Lexeme:
        closing = self.peek()
        if closing.kind != ")":
            line, column = line_column(self.source, opener.start)
            raise self.error(
                f"missing ')' to close {what} opened at {line}:{column}", closing.start
            )
        return self.take()

    def parse_near(self) -> Node:
        op = self.take()
        if self.peek().kind != "(":
            raise self.error("NEAR needs '(' right after it, e.g. NEAR/5(бытовое, насилие)", op.end)
        self.take()
        items = [self.parse_or()]
        while self.peek().kind == ",":
            self.expect_operand(self.take())
            items.append(self.parse_or())
        closing = self.close(op, "NEAR(")
        if len(items) < 2:
            raise self.error("NEAR needs at least two items separated by commas", op.start)
        for item in items:
            self.require_positional(item, "NEAR")
        return Near(op.distance, tuple(items), op.start, closing.end)


def _word_node(source: str, raw: str, start: int) -> Node:
    """A bare word: stemmed, ``prefix*``, ``=exact``, or a hyphenated/compound word."""
    end = start + len(raw)
    words = _words(source, raw, start)
    if len(words) == 1:
        return words[0]
    joined = None
    if "-" in raw and all(w.kind == "stem" for w in words):
        form = "".join(w.form for w in words)
        joined = Word("stem", form, analyse(form), start, end)
    return Phrase(tuple(words), joined, start, end)


def _phrase(source: str, lexeme: Lexeme) -> Node:
    words: list[Word] = []
    offset = lexeme.inner
    for chunk in lexeme.text.split():
        at = source.index(chunk, offset)
        words.extend(_words(source, chunk, at))
        offset = at + len(chunk)
    if not words:
        raise QueryError("empty phrase", source, lexeme.start)
    if len(words) == 1:
        only = words[0]
        return Word(only.kind, only.form, only.keys, lexeme.start, lexeme.end)
    return Phrase(tuple(words), None, lexeme.start, lexeme.end)


def _words(source: str, raw: str, start: int) -> list[Word]:
    """The words of one whitespace-free chunk of a query."""
    end = start + len(raw)
    kind = "stem"
    body = raw
    if body.startswith("="):
        kind, body = "exact", body[1:]
    star = body.find("*")
    if star >= 0:
        if star != len(body) - 1:
            raise QueryError(
                "'*' is only allowed at the end of a word",
                source,
                start + (len(raw) - len(body)) + star,
            )
        if kind == "exact":
            raise QueryError("a word cannot be both =exact and a prefix*", source, start)
        kind, body = "prefix", body[:-1]
    tokens = TOKEN_RE.findall(normalise(body))
    parts = [part for token in tokens for part in token.split("-")]
    if not parts:
        raise QueryError(f"nothing to search for in {raw!r}", source, start)
    if kind != "stem" and len(parts) > 1:
        raise QueryError(
            f"{'a prefix*' if kind == 'prefix' else 'an =exact'} word must be one "
            "word without hyphens or punctuation",
            source,
            start,
        )
    if kind == "prefix" and len(parts[0]) < MIN_PREFIX:
        raise QueryError(f"a prefix needs at least {MIN_PREFIX} letters before '*'", source, start)
    if kind != "stem":
        return [Word(kind, parts[0], (), start, end)]
    return [Word("stem", part, analyse(part), start, end) for part in parts]
