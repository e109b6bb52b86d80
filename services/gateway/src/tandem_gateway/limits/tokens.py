"""Counting the tokens of a GraphQL source before anything is parsed.

A token is every lexical token of the source — punctuators, names, numbers,
strings — and also every comment: a comment costs the lexer a token as well, and
not counting it would let a comment-padded document past the limit. The start and
end markers do not count. The count stops one past the limit, so an oversized
document is read no further than that and no AST is ever built for it.
"""

from __future__ import annotations

from graphql.language import Lexer, Source, TokenKind


def count_tokens(source: Source, limit: int) -> int:
    """The number of tokens in ``source``, or ``limit + 1`` when there are more.

    Raises ``GraphQLSyntaxError`` when the source does not lex. Tokens are read one by
    one without linking them, so memory stays constant whatever the source's size.
    """
    lexer = Lexer(source)
    token = lexer.token
    count = 0
    while count <= limit:
        token = lexer.read_next_token(token.end)
        if token.kind is TokenKind.EOF:
            break
        count += 1
    return count
