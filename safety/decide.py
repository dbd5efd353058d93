"""From hits to a level: the screen's one place for judgement.

For each hit in the message (see :mod:`safety.detectors`):

1. **masks**: a hit lying entirely inside an idiom ("this traffic is killing me",
   "убиваю время") is dropped;
2. **denial**: a negatable crisis-level hit overlapping a denial ("I'm not suicidal")
   is lowered to support;
3. **negation**: a negatable hit with a negator in the three words before it (same
   sentence) is lowered to support, never below: a negation never hides a mention;
4. **past**: a past-sensitive hit in a sentence with a distant-past marker ("years
   ago", "when I was 19") and no present marker ("again", "tonight") is lowered to
   support; a rule with ``level_if_recent`` ("I tried to hang myself on Sunday") is
   raised when a recent marker is in its sentence;
5. **hypothetical**: ideation and self-harm hits in a hypothetical or reported sentence
   ("what should I do if...", "my GP asked if...") are lowered to support.

Then, across the message and the user's previous 1-2 messages:

6. **cues**: two different indirect cues (farewell details, hopelessness) make crisis;
   the statistical backstop counts only where another rule (even a weak cue) fired;
7. **asking for me**: an informational question about dying becomes crisis when the
   user says it is about themselves;
8. **history**: the verdict is never lower than that of the previous messages, so
   "anyway, what's EMDR?" after "I want to die" keeps the crisis reply (a past-only
   or harmless history adds nothing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from safety._data import load_yaml
from safety.analysis import Document
from safety.detectors.base import BACKSTOP_SIGNALS, FRAMING_NOTES, Hit, RuleSet, parse_rules
from safety.lexicon import russian_past_verb
from safety.verdict import Level, Reason

__all__ = ["Decision", "decide", "decide_version"]

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]\u2014\u2013]|\s-\s")
_DOWNGRADE_ROLES_HYPOTHETICAL = frozenset({"ideation", "self_harm", "third_person"})
# Detectors whose hits are statements about oneself; a farewell ("you won't hear from me
# again") naturally addresses the reader and is not lowered.
_SELF_STATEMENT_DETECTORS = frozenset({"explicit_ideation", "self_harm"})
_CUE_ROLES = frozenset({"indirect", "context"})
_INFORMATIONAL_RULES = frozenset({"en.informational", "ru.informational"})
_SELF_REFERENCE_RULES = frozenset({"en.asking_for_me", "ru.asking_for_me"})
@dataclass(frozen=True)
class Decision:
    level: Level
    reasons: tuple[Reason, ...]
    # Cue rule ids seen in this message, for the next message's combination check.
    cues: frozenset[str]


@dataclass(frozen=True)
class _Settings:
    second_person: frozenset[str]
    other_pronouns: frozenset[str]
    negators: frozenset[str]
    breakers: frozenset[str]
    inside_verbs: frozenset[str]
    window: int
    window_cyrillic: int
    marker_reach: int
    run_on_words: int
    irregular_past: frozenset[str]
    markers: RuleSet


@cache
def _settings() -> _Settings:
    data = load_yaml("decide.yaml")
    return _Settings(
        second_person=frozenset(str(w) for w in data["second_person"]),
        other_pronouns=frozenset(str(w) for w in [*data["first_person"], *data["third_person"]]),
        negators=frozenset(str(w) for w in data["negators"]),
        breakers=frozenset(str(w) for w in data["negation_breakers"]),
        inside_verbs=frozenset(str(w) for w in data.get("negated_inside_verbs", ())),
        window=int(data["negation_window"]),
        window_cyrillic=int(data["negation_window_cyrillic"]),
        marker_reach=int(data.get("hypothetical_reach", 10_000)),
        run_on_words=int(data.get("run_on_words", 10_000)),
        irregular_past=frozenset(str(w) for w in data.get("irregular_past", ())),
        markers=RuleSet(("decide", rule) for rule in parse_rules(data, "safety/decide.yaml")),
    )


def decide_version() -> str:
    return str(load_yaml("decide.yaml")["version"])


def _negated_inside(doc: Document, hit: Hit, settings: _Settings) -> bool:
    """A Russian negator inside the hit, right before its last word: "себя не режу",
    "умереть никогда не хотелось" (the verb comes last; a gap in the pattern let the
    negation in). Only for Cyrillic negators, which stand just before their verb, and
    only when that verb is one of decide.yaml's ``negated_inside_verbs`` (wanting,
    cutting...), not where the negation is the meaning ("не проснуться", "не услышите")."""
    if hit.last - hit.first < 2:
        return False
    if not any(f in settings.inside_verbs for f in doc.token(hit.last).fields):
        return False
    token = doc.token(hit.last - 1)
    return bool(_CYRILLIC.match(token.fields[0])) and any(f in settings.negators for f in token.fields)


def _negated(doc: Document, hit: Hit, settings: _Settings) -> bool:
    if _negated_inside(doc, hit, settings):
        return True
    start = max(0, hit.first - settings.window)
    for index in range(hit.first - 1, start - 1, -1):
        token = doc.token(index)
        if token.boundary:
            break
        gap = doc.normalised.text[token.end : doc.spans[index + 1][0]]
        if _CLAUSE_BREAK.search(gap):
            break  # "ne mogu bolshe, hochu umeret": the negation stays in its clause
        if any(field in settings.negators for field in token.fields):
            if _CYRILLIC.match(token.fields[0]) and hit.first - index > settings.window_cyrillic:
                continue
            following = doc.pieces[index + 1] if index + 1 < len(doc.pieces) else ()
            return not any(field in settings.breakers for field in following)
    return False


def _addressed_to_reader(doc: Document, hit: Hit, settings: _Settings) -> bool:
    """True when the closest personal pronoun before the hit (same clause) is "you"."""
    text = doc.normalised.text
    for index in range(hit.first - 1, max(-1, hit.first - 7), -1):
        token = doc.token(index)
        if token.boundary or _CLAUSE_BREAK.search(text[token.end : doc.spans[index + 1][0]]):
            return False
        if token.fields[0] in settings.second_person:
            return True
        if token.fields[0] in settings.other_pronouns:
            return False
    return False


def _overlaps(a: Hit, b: Hit) -> bool:
    return a.first <= b.last and b.first <= a.last


def _contains(outer: Hit, inner: Hit) -> bool:
    return outer.first <= inner.first and inner.last <= outer.last


def _reason(hit: Hit, level: Level, notes: Sequence[str], source: str) -> Reason:
    notes = [*hit.notes, *notes]
    rule = hit.rule.id if not notes else f"{hit.rule.id} [{', '.join(notes)}]"
    return Reason(
        detector=hit.detector,
        rule=rule,
        level=level,
        span=hit.span,
        matched=hit.matched,
        score=hit.rule.score,
        source=source,
    )


def _judge(doc: Document, hits: list[Hit]) -> list[tuple[Hit, Level, list[str]]]:
    """Steps 1-5 for one message: each surviving hit with its adjusted level and notes."""
    masks = [h for h in hits if h.rule.role == "mask"]
    evidence = [h for h in hits if h.rule.role not in ("mask", "marker")]
    if masks:
        evidence = [h for h in evidence if not any(_contains(m, h) for m in masks)]
    if not evidence:
        return []
    settings = _settings()
    # Markers only matter in sentences that hold evidence.
    # ...and in the sentence after each: "since then" there dates the event before it.
    with_evidence = frozenset(h.sentence for h in evidence)
    markers = settings.markers.find(doc, with_evidence | frozenset(i + 1 for i in with_evidence))
    by_kind: dict[str, list[Hit]] = {}
    for marker in markers:
        by_kind.setdefault(marker.rule.id, []).append(marker)
    past_sentences = {m.sentence for m in by_kind.get("past", ())}
    # "He followed me home and smashed my windscreen. Since then I can't work": a sentence
    # that opens with "since then" looks back on the one before it as a past event.
    looked_back_on = {
        m.sentence - 1
        for m in by_kind.get("past_since", ())
        if m.sentence > 0 and m.first - doc.sentences[m.sentence].first <= 1
    }
    # "подруга недавно рассказала, что в школе пыталась...": "recently" dates the telling,
    # not the event told, so it does not make the event recent.
    tellings = by_kind.get("recent_telling", ())
    recent_sentences = {
        m.sentence for m in by_kind.get("recent", ()) if not any(_contains(t, m) for t in tellings)
    }
    # "...asked if I'd thought about killing myself and I said yes": a reported question
    # the writer answers yes is a disclosure, not a hypothetical.
    affirmed = {m.sentence for m in by_kind.get("affirmed", ())}
    hypothetical_markers = [m for m in by_kind.get("hypothetical", ()) if m.sentence not in affirmed]
    reach = settings.marker_reach
    answers = by_kind.get("answered", [])

    def hypothetical(hit: Hit) -> bool:
        # In a run-on sentence a hypothetical frame reaches only the hits near it: in a
        # voice-typed message with no full stop, "i was going to ask about the sheet" does not frame a disclosure
        # forty words later.
        # The writer's own answer between the question and the hit ends the frame.
        sentence = doc.sentences[hit.sentence]
        run_on = sentence.last - sentence.first > settings.run_on_words
        return any(
            m.sentence == hit.sentence
            and (not run_on or max(m.first - hit.last, hit.first - m.last) <= reach)
            and not any(
                a.sentence == hit.sentence and m.first < a.first and a.last <= hit.first for a in answers
            )
            for m in hypothetical_markers
        )
    denials = by_kind.get("denial", [])

    judged: list[tuple[Hit, Level, list[str]]] = []
    for hit in evidence:
        rule = hit.rule
        if rule.role == "indirect" and any(_contains(d, hit) for d in denials):
            # A weak cue inside a denial ("не в том смысле, что хочу умереть") is what the
            # writer denies: it is no cue to combine with another.
            continue
        level = rule.level
        notes: list[str] = []
        serious = level.at_least(Level.CRISIS)
        if serious and rule.negatable and any(_overlaps(d, hit) for d in denials):
            level = Level.SUPPORT
            notes.append("denied")
        elif serious and rule.negatable and _negated(doc, hit, settings):
            level = Level.SUPPORT
            notes.append("negated")
        elif (
            serious
            and hit.detector in _SELF_STATEMENT_DETECTORS
            and _addressed_to_reader(doc, hit, settings)
        ):
            level = Level.SUPPORT
            notes.append("second person")
        if (
            level.at_least(Level.CRISIS)
            and rule.past_sensitive
            and (
                hit.sentence in past_sentences
                # only a hit told in the past tense: "my ex keeps following me home. since
                # then..." is still going on
                or (hit.sentence in looked_back_on and _told_in_past_tense(doc, hit, settings))
            )
            and hit.sentence not in recent_sentences
        ):
            level = Level.SUPPORT
            notes.append("past")
        if (
            rule.level_if_recent is not None
            and hit.sentence in recent_sentences
            and hit.sentence not in past_sentences
            and not notes
        ):
            level = max(level, rule.level_if_recent)
            notes.append("recent")
        if (
            level.at_least(Level.CRISIS)
            and rule.role in _DOWNGRADE_ROLES_HYPOTHETICAL
            and hypothetical(hit)
        ):
            level = Level.SUPPORT
            notes.append("hypothetical")
        elif (
            level == Level.EMERGENCY
            and rule.role == "imminent"
            and hypothetical(hit)
        ):
            # "if I took all of them, would I..." is a method question, not an act.
            level = Level.CRISIS
            notes.append("hypothetical")
        judged.append((hit, level, notes))
    # The statistical backstop only raises a message in which a rule saw a signal of
    # risk, even a weak cue (on its own it over-reads depression and distress stories),
    # and never one where a rule judged the statement negated, denied, past,
    # hypothetical, fictional or about someone else ("I'm not suicidal"): a bag of
    # words cannot read those.
    if any(h.rule.role == "statistical" for h, _, _ in judged):
        others = [(h, notes) for h, _, notes in judged if h.rule.role != "statistical"]
        framed = any(
            note.split(" ")[0] in FRAMING_NOTES for h, notes in others for note in (*h.notes, *notes)
        )
        signal = any(h.rule.role in BACKSTOP_SIGNALS for h, _ in others)
        if not signal or framed:
            judged = [item for item in judged if item[0].rule.role != "statistical"]
    return judged


def decide(
    doc: Document,
    hits: list[Hit],
    history: Sequence[tuple[Document, list[Hit]]] = (),
) -> Decision:
    """The level of ``doc`` given its hits and the analysed previous messages (oldest first)."""
    previous: list[Decision] = []
    for index, (past_doc, past_hits) in enumerate(history):
        previous.append(
            _decide_one(past_doc, past_hits, previous, source=f"history[{index}]")
        )
    return _decide_one(doc, hits, previous, source="text")


def _decide_one(
    doc: Document, hits: list[Hit], previous: Sequence[Decision], source: str
) -> Decision:
    judged = _judge(doc, hits)
    reasons: list[Reason] = [_reason(hit, level, notes, source) for hit, level, notes in judged]
    level = max((lvl for _, lvl, _ in judged), default=Level.NONE)

    # 6. two different indirect cues, here or in the previous messages.
    # A cue is a weak hit (support, or none for cues that mean nothing alone, such as
    # "goodbye"); a hit lowered from crisis (negated, past) also stays a cue.
    cues = frozenset(
        hit.rule.id for hit, lvl, _ in judged if hit.rule.role in _CUE_ROLES and lvl <= Level.SUPPORT
    )
    here_indirect = {
        hit.rule.id for hit, lvl, _ in judged if hit.rule.role == "indirect" and lvl <= Level.SUPPORT
    }
    earlier_cues: set[str] = set()
    for decision in previous:
        earlier_cues |= decision.cues
    indirect_hits = [hit for hit, _, _ in judged if hit.rule.role == "indirect"]
    combined = len(_distinct_cue_spans(judged)) >= 2 or (
        here_indirect and (earlier_cues | cues) - here_indirect
    )
    if here_indirect and combined and level < Level.CRISIS:
        level = Level.CRISIS
        first = indirect_hits[0]
        reasons.append(_reason(first, Level.CRISIS, ["combined cues"], source))

    # 7. "asking for me" turns an informational question into a personal one, unless the
    # writer says it is only in case and all is well now ("на всякий случай, сейчас всё
    # нормально": a marker in decide.yaml, added with dev13).
    if any(hit.rule.id in _SELF_REFERENCE_RULES for hit, _, _ in judged) and not any(
        m.rule.id == "fine_now"
        for m in _settings().markers.find(doc, frozenset(range(len(doc.sentences))))
    ):
        informational = [hit for hit, _, _ in judged if hit.rule.id in _INFORMATIONAL_RULES]
        earlier_info = any(
            r.rule.startswith(("en.informational", "ru.informational")) for d in previous for r in d.reasons
        )
        if (informational or earlier_info) and level < Level.CRISIS:
            level = Level.CRISIS
            anchor = informational[0] if informational else judged[0][0]
            reasons.append(_reason(anchor, Level.CRISIS, ["asking for self"], source))

    # 8. never lower than the previous messages.
    for decision in previous:
        if decision.level > level:
            level = decision.level
        reasons.extend(decision.reasons)
    reasons.sort(key=lambda r: (-r.level.rank, r.source != "text", r.span))
    return Decision(level=level, reasons=tuple(_dedupe(reasons)), cues=cues)


def _distinct_cue_spans(judged: list[tuple[Hit, Level, list[str]]]) -> set[tuple[str, int]]:
    """Indirect cues in this message, one per rule and sentence-start (so one phrase counts once)."""
    spans: set[tuple[str, int]] = set()
    taken: list[Hit] = []
    for hit, level, _ in judged:
        if hit.rule.role != "indirect" or level > Level.SUPPORT:
            continue
        if any(_overlaps(hit, other) for other in taken):
            continue
        taken.append(hit)
        spans.add((hit.rule.id, hit.first))
    return spans


def _dedupe(reasons: list[Reason]) -> list[Reason]:
    seen: set[tuple[str, str, tuple[int, int], str]] = set()
    out: list[Reason] = []
    for reason in reasons:
        key = (reason.detector, reason.rule, reason.span, reason.source)
        if key in seen:
            continue
        seen.add(key)
        out.append(reason)
    return out


def _told_in_past_tense(doc: Document, hit: Hit, settings: _Settings) -> bool:
    """Whether a hit's words include a past-tense verb ("followed me home", "ударили"):
    English by the regular ending or decide.yaml's ``irregular_past``, Russian by pymorphy2."""
    for index in range(hit.first, hit.last + 1):
        word = doc.pieces[index][0]
        if _CYRILLIC.match(word):
            if russian_past_verb(word):
                return True
        elif word in settings.irregular_past or (
            len(word) > 3 and word.endswith("ed") and not word.endswith("eed")
        ):
            return True
    return False
