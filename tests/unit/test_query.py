"""The query language: valid queries and their trees, invalid ones with line and column."""

from __future__ import annotations

import pytest

from tracker.matching.query import (
    And,
    Except,
    Field,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    QueryError,
    Word,
    parse_query,
)


def shape(node: Node) -> object:
    """A compact, comparable picture of a tree."""
    if isinstance(node, Word):
        return f"{node.kind}:{node.form}"
    if isinstance(node, Phrase):
        joined = f"+{node.joined.form}" if node.joined else ""
        return ("phrase", *(shape(w) for w in node.words)) + ((joined,) if joined else ())
    if isinstance(node, Near):
        return (f"near/{node.distance}", *(shape(i) for i in node.items))
    if isinstance(node, Except):
        return ("except", shape(node.base), shape(node.excluded))
    if isinstance(node, Field):
        return (f"{node.name}:", shape(node.item))
    if isinstance(node, And | Or):
        return (type(node).__name__.lower(), *(shape(i) for i in node.items))
    assert isinstance(node, Not)
    return ("not", shape(node.item))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("насилие", "stem:насилие"),
        ("Насилие", "stem:насилие"),
        ("дискриминац*", "prefix:дискриминац"),
        ("=ЛГБТ", "exact:лгбт"),
        ('"бытовое насилие"', ("phrase", "stem:бытовое", "stem:насилие")),
        ("«бытовое насилие»", ("phrase", "stem:бытовое", "stem:насилие")),
        ("“domestic violence”", ("phrase", "stem:domestic", "stem:violence")),
        ('"пропаганд* нетрадиционн*"', ("phrase", "prefix:пропаганд", "prefix:нетрадиционн")),
        ('"насилие"', "stem:насилие"),  # a phrase of one word is the word
        (
            "зорлық-зомбылық",
            ("phrase", "stem:зорлық", "stem:зомбылық", "+зорлықзомбылық"),
        ),
        (
            '"тұрмыстық зорлық-зомбылық"',
            ("phrase", "stem:тұрмыстық", "stem:зорлық", "stem:зомбылық"),
        ),
        ("a OR b", ("or", "stem:a", "stem:b")),
        ("a AND b", ("and", "stem:a", "stem:b")),
        ("a b", ("and", "stem:a", "stem:b")),  # side by side means AND
        ("a OR b c", ("or", "stem:a", ("and", "stem:b", "stem:c"))),
        ("(a OR b) c", ("and", ("or", "stem:a", "stem:b"), "stem:c")),
        ("a NOT b", ("and", "stem:a", ("not", "stem:b"))),
        ("a AND NOT (b OR c)", ("and", "stem:a", ("not", ("or", "stem:b", "stem:c")))),
        ("NEAR/5(бытовое, насилие)", ("near/5", "stem:бытовое", "stem:насилие")),
        ("NEAR(a, b, c)", ("near/10", "stem:a", "stem:b", "stem:c")),
        (
            "NEAR/3(violence, (women OR girls))",
            ("near/3", "stem:violence", ("or", "stem:women", "stem:girls")),
        ),
        (
            'пропаганд* EXCEPT "пропаганда терроризма"',
            ("except", "prefix:пропаганд", ("phrase", "stem:пропаганда", "stem:терроризма")),
        ),
        ("title:насилие", ("title:", "stem:насилие")),
        ("labels:(a OR b)", ("labels:", ("or", "stem:a", "stem:b"))),
        ("title: насилие", ("title:", "stem:насилие")),
        ("text:NEAR/2(a, b)", ("text:", ("near/2", "stem:a", "stem:b"))),
        ("a # a comment\nOR b", ("or", "stem:a", "stem:b")),
        ("ст.400", ("phrase", "stem:ст", "stem:400")),
        ("заpплата", "stem:зарплата"),  # a Latin p in the query is folded too
        ("and or not", ("and", "stem:and", "stem:or", "stem:not")),  # lower case: plain words
    ],
)
def test_valid_queries(query: str, expected: object) -> None:
    assert shape(parse_query(query).root) == expected


def test_source_positions() -> None:
    query = parse_query('насилие OR\n  "бытовое насилие"')
    root = query.root
    assert isinstance(root, Or)
    first, second = root.items
    assert (first.start, first.end) == (0, 7)
    assert query.source[second.start : second.end] == '"бытовое насилие"'
    assert query.text_of(root) == 'насилие OR "бытовое насилие"'


@pytest.mark.parametrize(
    ("query", "line", "column", "message"),
    [
        ("", 1, 1, "empty query"),
        ("   # only a comment", 1, 1, "empty query"),
        ("a AND", 1, 6, "after AND"),
        ("a OR\n  NOT", 2, 6, "after NOT"),
        ("OR a", 1, 1, "unexpected 'OR'"),
        ("(a OR b", 1, 8, "missing ')' to close ( opened at 1:1"),
        ("a OR b)", 1, 7, "unexpected ')'"),
        ("()", 1, 1, "empty brackets"),
        ('"бытовое насилие', 1, 1, "unterminated phrase"),
        ("a OR\n«бытовое", 2, 1, "missing closing '»'"),
        ('""', 1, 1, "empty phrase"),
        ("д*", 1, 1, "at least 3 letters"),
        ("дис*кр", 1, 4, "only allowed at the end"),
        ("=дис*", 1, 1, "both =exact and a prefix"),
        ("foo:bar", 1, 1, "unknown field 'foo'"),
        ("a\n  titel:b", 2, 3, "unknown field 'titel'"),
        ("title:text:a", 1, 7, "cannot contain another"),
        ("NEAR/5 a", 1, 7, "NEAR needs '('"),
        ("NEAR/5(a)", 1, 1, "at least two items"),
        ("NEAR/0(a, b)", 1, 6, "between 1 and 50"),
        ("NEAR/99(a, b)", 1, 6, "between 1 and 50"),
        ("NEAR/(a, b)", 1, 1, "must be followed by a number"),
        ("NEAR/5(a AND b, c)", 1, 8, "NEAR works on words and phrases"),
        ("NEAR/5(title:a, c)", 1, 8, "NEAR works on words and phrases"),
        ("a EXCEPT NOT b", 1, 10, "EXCEPT works on words and phrases"),
        ("NOT a", 1, 1, "none of its words"),
        ("a OR NOT b", 1, 1, "none of its words"),
        ("!!!", 1, 1, "nothing to search for"),
        ("a »", 1, 3, "unexpected '»'"),
    ],
)
def test_invalid_queries(query: str, line: int, column: int, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    error = caught.value
    assert (error.line, error.column) == (line, column), str(error)
    assert message in error.message
    assert str(error).startswith(f"{line}:{column}: ")


def test_not_is_fine_next_to_something_positive() -> None:
    assert shape(parse_query("a AND NOT b").root) == ("and", "stem:a", ("not", "stem:b"))
    assert shape(parse_query("(a OR b) NOT c").root)[0] == "and"
