"""Ranking and answer composition, table-driven."""

from __future__ import annotations

import re
import time

import pytest

from actions.knowledge import Answer, KnowledgeBase, Snippet, Source, split_sentences
from actions.knowledge.composing import citation_line

CITATION = re.compile(r"^(Sources?|Источники?): \S")

# (question, lang, intent, acceptable best snippets)
RETRIEVAL = [
    ("what exactly is ptsd", "en", None, {"ptsd_what_is"}),
    ("how much is one ketamine shot", "en", None, {"ketamine_cost"}),
    ("ketamin side efects", "en", None, {"ketamine_side_effects"}),
    ("setraline how many weeks until it works", "en", None, {"medication_antidepressant_timing"}),
    ("what is EMDR", "en", None, {"psychotherapy_emdr"}),
    ("did the FDA give mdma a special status", "en", None, {"mdma_fda_breakthrough"}),
    ("pcl-5 before and after ketamine", "en", None, {"ketamine_real_world_results"}),
    ("is any drug class better than the others", "en", None, {"medication_no_class_better"}),
    ("how many dropped out of the drug trials", "en", None, {"medication_dropout"}),
    (
        "therapy or pills first?",
        "en",
        None,
        {"choice_therapy_before_pills", "psychotherapy_first_line"},
    ),
    ("how does it work in the brain", "en", "ask_ketamine", {"ketamine_how_it_works"}),
    ("how does it work in the brain", "en", "ask_mdma", {"mdma_how_it_works"}),
    ("что такое птср", "ru", None, {"ptsd_what_is"}),
    ("сколько стоит укол кетамина", "ru", None, {"ketamine_cost"}),
    ("побочные эффекты кетамина", "ru", None, {"ketamine_side_effects"}),
    ("через сколько подействует сертралин", "ru", None, {"medication_antidepressant_timing"}),
    ("кетомин в вену или спрей", "ru", None, {"ketamine_routes"}),
    ("что такое эмдр", "ru", None, {"psychotherapy_emdr"}),
    ("мдма одобрили в fda?", "ru", None, {"mdma_fda_breakthrough"}),
    ("какой процент людей отвечает на лекарства", "ru", None, {"medication_response_rate"}),
    (
        "можно совмещать таблетки и психотерапию",
        "ru",
        None,
        {"choice_combining", "choice_therapy_before_pills"},
    ),
    ("как это действует на мозг", "ru", "ask_ketamine", {"ketamine_how_it_works"}),
    # added with blind13: PTSD named puts any snippet in the domain; "what even is that"
    ("the big PTSD medication review, how many participants did it have in total?", "en", None,
     {"medication_review_size", "medication_review_overview"}),
    ("My GP mentioned EMDR for my nightmares. What is that exactly?", "en", None, {"psychotherapy_emdr"}),
    # added with blind14: the story's dominant answer is kept over a weak asking sentence
    ("my uncle says ketamine was invented in the 1960s for surgery. So how did something that old "
     "get tested for PTSD?", "en", None, {"ketamine_history"}),
    # "what does X mean" inside a story is answered with X's definition
    ("what does avoidance mean, the psychologist wrote it in my assessment report", "en", None,
     {"ptsd_symptom_avoidance", "ptsd_symptom_groups"}),
    # The question's script picks the index; the lang argument picks the reply language.
    ("how much does ketamine cost", "ru", None, {"ketamine_cost"}),
]


@pytest.mark.parametrize(("question", "lang", "intent", "expected"), RETRIEVAL)
def test_best_snippet(
    kb: KnowledgeBase, question: str, lang: str, intent: str | None, expected: set[str]
) -> None:
    answer = kb.answer(question, lang=lang, intent=intent, intent_confidence=0.9 if intent else 0.0)
    assert answer is not None
    assert answer.snippet_ids[0] in expected


@pytest.mark.parametrize(
    "question",
    [
        "asdkj qwpoe zzxq",
        "",
        "   ",
        "???",
        "what's the weather in Leeds",
        "как приготовить борщ",
        "recommend a laptop",
        "кто выиграл выборы",
    ],
)
def test_no_answer_when_not_confident(kb: KnowledgeBase, question: str) -> None:
    assert kb.answer(question, lang="en") is None
    assert kb.answer(question, lang="ru") is None


@pytest.mark.parametrize(("question", "lang"), [(q, lang) for q, lang, _, _ in RETRIEVAL])
def test_composition(kb: KnowledgeBase, question: str, lang: str) -> None:
    answer = kb.answer(question, lang=lang)
    assert isinstance(answer, Answer)
    body, citation = answer.text.rsplit("\n", 1)
    assert 2 <= len(split_sentences(body)) <= 4
    assert CITATION.match(citation)
    for sid in answer.snippet_ids:  # snippets verbatim, in the requested language
        assert kb.snippet(sid).text_in(lang) in body
    assert answer.sources == tuple(dict.fromkeys(kb.snippet(s).source for s in answer.snippet_ids))
    assert 0 < answer.score <= 1


@pytest.mark.parametrize("question", ["сколько стоит кетамин", "how much does ketamine cost"])
def test_russian_answers_are_in_russian(kb: KnowledgeBase, question: str) -> None:
    answer = kb.answer(question, lang="ru")
    assert answer is not None and answer.lang == "ru"
    letters = re.findall(r"[a-zа-яё]", answer.text.split("\n")[0], re.I)
    cyrillic = [c for c in letters if re.match(r"[а-яё]", c, re.I)]
    assert len(cyrillic) > 0.8 * len(letters)
    assert answer.text.split("\n")[-1].startswith("Источник")


def test_unknown_language_falls_back_to_english(kb: KnowledgeBase) -> None:
    answer = kb.answer("how much does ketamine cost", lang="de")
    assert answer is not None and answer.lang == "en"
    assert answer.text.split("\n")[-1].startswith("Source: ")


def _source(sid: str, en: str, ru: str | None = None) -> Source:
    cite = {"en": f"Source: {en}"} | ({"ru": f"Источник: {ru}"} if ru else {})
    return Source(sid, "f.txt", "t", "a", "v", 2024, None, None, cite)


def test_second_close_snippet_on_the_same_topic_and_two_citations() -> None:
    sources = {"a": _source("a", "Alpha, 2024"), "b": _source("b", "Beta, 2023")}
    snippets = {
        "one": Snippet(
            "one",
            ("ketamine",),
            "a",
            {"en": "Zorblat helps sleep. It is new."},
            {"en": ("zorblat sleep",)},
        ),
        "two": Snippet(
            "two",
            ("ketamine",),
            "b",
            {"en": "Zorblat helps sleep too. Trials are small."},
            {"en": ("zorblat sleep",)},
        ),
        "other": Snippet("other", ("mdma",), "b", {"en": "Unrelated text here. Really."}, {}),
    }
    kb = KnowledgeBase(snippets, sources)
    answer = kb.answer("zorblat sleep", lang="ru")  # no Russian text: English fallback
    assert answer is not None
    assert set(answer.snippet_ids) == {"one", "two"}
    body, citation = answer.text.rsplit("\n", 1)
    assert len(split_sentences(body)) == 4
    assert citation in ("Источники: Alpha, 2024; Beta, 2023", "Источники: Beta, 2023; Alpha, 2024")


def test_citation_line_single_and_multiple() -> None:
    a, b = _source("a", "Alpha, 2024", "Альфа, 2024"), _source("b", "Beta, 2023")
    assert citation_line([a], "en") == "Source: Alpha, 2024"
    assert citation_line([a, b], "en") == "Sources: Alpha, 2024; Beta, 2023"
    assert citation_line([a, b], "ru") == "Источники: Альфа, 2024; Beta, 2023"


def test_topic_buttons(kb: KnowledgeBase) -> None:
    for lang in ("en", "ru", "xx"):
        buttons = kb.topic_buttons(lang)
        assert {b["payload"] for b in buttons} == {
            "/ask_ptsd",
            "/ask_psychotherapy",
            "/ask_medication",
            "/ask_ketamine",
            "/ask_mdma",
            "/ask_treatment_choice",
        }
        assert all(b["title"] for b in buttons)
    assert any(b["title"] == "Кетамин" for b in kb.topic_buttons("ru"))


def test_load_is_cached_and_exposes_snippets_and_sources(kb: KnowledgeBase) -> None:
    assert KnowledgeBase.load() is kb
    assert kb.snippet("ketamine_cost").source in kb.sources
    assert len(kb.snippets) >= 45


def test_answering_is_fast(kb: KnowledgeBase) -> None:
    kb.answer("warm up the caches", lang="en")
    start = time.perf_counter()
    for _ in range(20):
        kb.answer("how long does sertraline take to work and what are the side effects", lang="en")
        kb.answer("сколько недель действует сертралин и какие побочки", lang="ru")
    assert (time.perf_counter() - start) / 40 < 0.05  # well under 50 ms per question
