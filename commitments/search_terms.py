"""The search's words: the glossary of the field's abbreviations and how one query word is widened.

The one place that says which spellings of a term meet. Both databases search with what this module
returns (``search_query`` renders it for FTS5 or for a tsquery), and the list's highlighting marks
with it (``search_highlight``), so a word is found and marked alike on SQLite and PostgreSQL.
/about/ lists ``GLOSSARY`` from here ("How search works").

A term is widened, never guessed at: an abbreviation finds its long forms and a long form its
abbreviations (both ways, as listed), and a hyphenated or slashed compound finds its joined spelling
and its parts as a phrase (``counter-terrorism`` = ``counterterrorism`` = ``counter terrorism``).
A joined word is split only after one of ``PREFIXES`` (``counterterrorism`` → ``counter terrorism``).
Word endings are the databases' own affair: both stem English (PostgreSQL's ``english``
configuration, Snowball; SQLite's FTS5 ``porter`` tokenizer), so ``returnees`` finds ``returnee``,
and Russian (PostgreSQL's ``russian``; on SQLite Snowball in Python, ``search_stems``), so
``терроризма`` finds ``терроризм``. The glossary has Russian entries; where a Russian term names the
same thing as an English one they are one entry (``УНП ООН`` finds ``UNODC`` and the other way round).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from . import search_stems

# A phrase: its words, lower case, in order (one word is a phrase of one).
Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Term:
    """One entry of the glossary: its abbreviations and what they stand for (any spelling finds all)."""

    abbreviations: tuple[str, ...]
    long_forms: tuple[str, ...]
    note: str = ""  # shown on /about/ beside the term

    @property
    def spellings(self) -> tuple[str, ...]:
        return (*self.abbreviations, *self.long_forms)


GLOSSARY: tuple[Term, ...] = (
    Term(("CT", "КТ"), ("counter-terrorism", "countering terrorism",
                        "контртерроризм", "противодействие терроризму", "борьба с терроризмом")),
    Term(("P/CVE", "PCVE", "ПНВЭ"), ("preventing and countering violent extremism",
                                    "предупреждение насильственного экстремизма и противодействие ему",
                                    "предупреждение и противодействие насильственному экстремизму")),
    # ПВЭ is written for both the prevention and the countering of violent extremism.
    Term(("PVE", "ПВЭ"), ("preventing violent extremism", "prevention of violent extremism",
                          "предупреждение насильственного экстремизма",
                          "противодействие насильственному экстремизму")),
    Term(("CVE",), ("countering violent extremism",)),
    Term(("FTF", "FTFs", "ИТБ"), ("foreign terrorist fighters", "foreign terrorist fighter", "foreign fighters",
                                 "иностранные террористические боевики")),
    Term(("BOMCA",), ("Border Management Programme in Central Asia",), "an EU programme"),
    Term(("CADAP",), ("Central Asia Drug Action Programme",), "an EU programme"),
    Term(("LEICA",), ("Law Enforcement in Central Asia",), "an EU programme"),
    Term(("EPCA", "EPCAs"), ("Enhanced Partnership and Cooperation Agreement",
                             "Enhanced Partnership and Cooperation Agreements")),
    Term(("EEAS", "ЕСВД"), ("European External Action Service",
                            "Европейская служба внешнеполитической деятельности")),
    Term(("UNOCT",), ("United Nations Office of Counter-Terrorism", "UN Office of Counter-Terrorism",
                      "Контртеррористическое управление ООН",
                      "Контртеррористическое управление Организации Объединённых Наций")),
    Term(("UNODC", "УНП ООН"), ("United Nations Office on Drugs and Crime", "UN Office on Drugs and Crime",
                                "Управление ООН по наркотикам и преступности",
                                "Управление Организации Объединённых Наций по наркотикам и преступности")),
    Term(("ООН",), ("Организация Объединённых Наций", "United Nations")),
    Term(("OSCE", "ОБСЕ"), ("Organization for Security and Co-operation in Europe",
                            "Организация по безопасности и сотрудничеству в Европе")),
)

# A joined word that begins with one of these (and goes on for 4 letters or more) is also looked
# for as two words: ``counterterrorism`` finds "counter terrorism" and "counter-terrorism".
PREFIXES = ("counter", "anti", "non", "cross", "co", "inter", "multi", "post", "pre", "sub", "trans", "self",
            "контр", "анти")

# PostgreSQL's ``english`` configuration drops these from a query; SQLite drops them too (outside quotes),
# so a query finds the same on both (Snowball's English stop words, which PostgreSQL ships).
_STOP_WORDS = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself
it its itself they them their theirs themselves what which who whom this that these those am is are was were be
been being have has had having do does did doing a an the and but if or because as until while of at by for with
about against between into through during before after above below to from up down in out on off over under again
further then once here there when where why how all any both each few more most other some such no nor not only
own same so than too very s t can will just don should now
"""
# And PostgreSQL's ``russian`` configuration drops these (Snowball's Russian stop words, as PostgreSQL ships them).
_RUSSIAN_STOP_WORDS = """
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня еще
нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам ведь там потом
себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под
будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда
зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего них какая
много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно
всю между
"""
STOP_WORDS = frozenset(_STOP_WORDS.split()) | frozenset(_RUSSIAN_STOP_WORDS.split())

WORD = re.compile(r"\w+")
# A word as typed, with the hyphens and slashes that join its parts (``P/CVE``, ``counter-terrorism``).
COMPOUND = re.compile(r"\w+(?:[-/‐‑–]\w+)*")


def words(text: str) -> Phrase:
    """The words of ``text``, lower case (hyphens, slashes and spaces all separate)."""
    return tuple(WORD.findall(text.lower()))


def key(phrase: Phrase) -> str:
    """What spellings of one term share: its words run together (``counter-terrorism`` → ``counterterrorism``),
    a Russian word by its stem (``Европейской службы`` is ``Европейская служба``; ``ё`` is read as ``е``)."""
    return "".join(search_stems.stem(word) for word in phrase)


@cache
def _glossary_index() -> dict[str, Term]:
    return {key(words(spelling)): term for term in GLOSSARY for spelling in term.spellings}


def glossary_term(phrase: Phrase) -> Term | None:
    """The glossary entry one of whose spellings ``phrase`` is, if any."""
    return _glossary_index().get(key(phrase))


def longest_glossary_run(phrase: Phrase, start: int) -> int:
    """How many words from ``start`` spell a glossary term (the longest such run), or 0."""
    for end in range(len(phrase), start, -1):
        if key(phrase[start:end]) in _glossary_index():
            return end - start
    return 0


def _forms(spelling: str) -> list[Phrase]:
    """One spelling's forms: its words as a phrase; a two-part or hyphenated compound also joined into one
    word; a slashed one also as typed (PostgreSQL reads ``P/CVE`` as one token); a joined word also split
    after a prefix."""
    phrase = words(spelling)
    forms = [phrase]
    compound = COMPOUND.fullmatch(spelling.strip()) is not None
    if len(phrase) == 2 or (compound and len(phrase) > 1):
        forms.append(("".join(phrase),))
    if compound and "/" in spelling:
        forms.append((spelling.strip().lower(),))
    if len(phrase) == 1:
        word = phrase[0]
        for prefix in PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 4:
                forms.append((prefix, word[len(prefix):]))
                break
    return forms


def alternatives(spelling: str) -> tuple[Phrase, ...]:
    """Every phrase that one query term (a word, a compound or a quoted phrase, as typed) also finds, its own
    words first."""
    term = glossary_term(words(spelling))
    spellings = [spelling, *(term.spellings if term else ())]
    found: dict[Phrase, None] = {}
    for each in spellings:
        for form in _forms(each):
            if form:
                found.setdefault(form)
    return tuple(found)
