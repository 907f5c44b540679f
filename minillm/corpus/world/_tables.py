"""Parsers for the compact word tables of the story world."""

from __future__ import annotations


def pairs(spec: str) -> tuple[tuple[str, str], ...]:
    """'apple banana cherry:cherries' -> (("apple", "apples"), ..., ("cherry", "cherries"))."""
    return tuple(
        (w.split(":")[0], w.split(":")[1]) if ":" in w else (w, w + "s") for w in spec.split()
    )


def bars(spec: str) -> tuple[str, ...]:
    """'long ears|a fluffy tail' -> ('long ears', 'a fluffy tail'); line breaks are spaces."""
    return tuple(" ".join(x.split()) for x in spec.split("|"))
