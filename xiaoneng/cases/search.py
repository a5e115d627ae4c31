"""Chinese full-text search for the ledger: texts are segmented with jieba into a column of
space-separated lower-case words (``Case.search_text``, which starts with a space); a query is
segmented the same way and a case matches when every term of the query starts one of the
column's words (``search_text LIKE '% term%'``). Search mode also stores the shorter words
inside long ones, so 「推诿」 finds a text saying 「推诿扯皮」. Anchoring each term at a word's
start lets PostgreSQL's trigram index serve even one- and two-character Chinese terms (the
trigrams "  推" and " 推诿"); a bare substring could not use the index for them."""

from __future__ import annotations

import logging
import re

import jieba
from django.db.models import Q

jieba.setLogLevel(logging.WARNING)

#: A token counts as a word when it holds at least one letter, digit or CJK character.
_WORD = re.compile(r"\w")
#: At most this many terms of a query are used.
MAX_TERMS = 10


def _words(tokens) -> list[str]:
    words = []
    for token in tokens:
        token = token.strip().lower()
        if token and _WORD.search(token):
            words.append(token)
    return words


def segment(text: str) -> str:
    """``text`` segmented for search (jieba's search mode, which adds the shorter words
    inside long ones), lower-cased and joined with spaces."""
    return " ".join(_words(jieba.cut_for_search(text or "")))


def search_terms(query: str) -> list[str]:
    """The distinct terms of a query, in order (jieba's precise mode)."""
    terms: list[str] = []
    for word in _words(jieba.cut(query or "")):
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


#: A whole register number (``XN-2026-000123``), looked up exactly.
_NUMBER = re.compile(r"[A-Z]{1,8}-\d{4}-\d{1,9}")


def text_q(query: str) -> Q:
    """The cases a search box's text finds: the case of a whole register number, else the
    cases whose search column holds every term of the query (see the module docstring)."""
    query = (query or "").strip()
    if _NUMBER.fullmatch(query.upper()):
        return Q(number=query.upper())
    q = Q()
    for term in search_terms(query):
        q &= Q(search_text__contains=term_pattern(term))
    return q


def term_pattern(term: str) -> str:
    """What the search column must contain for ``term`` (the start of one of its words)."""
    return " " + term


def case_search_text(
    *, number: str, summary: str, content: str, place: str = "", subject_persons: str = ""
) -> str:
    """The search column of a case: its number and what the complaint says, never the
    complainant's identity; a leading space so that every word follows one."""
    return " " + segment("\n".join([number, summary, content, place, subject_persons]))
