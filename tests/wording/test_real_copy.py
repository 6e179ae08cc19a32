"""The failure classes that real clinic pages showed (issue 18), each in our own words after the
patterns, checked as whole pages: an implicit subject, a mechanism stated as fact, an evidence
label, a purpose or definition that is no claim, sentence splitting and line numbers, and locators
that belong to their own document (run-on text in linear time: benchmarks/bench_wording.py).

Verdicts: the frozen fixture (tests/fixtures/wording_verdicts.csv) the labelled sets assume.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from evidence.curation.claims import Occurrence
from evidence.wording import drafts, rules
from tests.wording_helpers import fixture

CLAIMS, VERDICTS = fixture()
PAGE_START = "Dry needling at our clinic\n"


def flagged_lines(page: str) -> dict[int, bool]:
    """Line -> whether a finding on that line is flagged, for a page checked as one draft."""
    result: dict[int, bool] = {}
    for f in rules.check_sentences(drafts.split_sentences(page), CLAIMS, VERDICTS):
        result[f.line] = result.get(f.line, False) or f.flagged
    return result


@pytest.mark.parametrize(
    "sentence",
    [
        "This boosts circulation so the tissue repairs faster.",  # pronoun + mechanism
        "Loosens the knot and gets the muscle working again.",  # fragment, no subject at all
        "Once the muscle lets go, headaches ease off.",  # outcome with the muscle as actor
        "Fewer headaches within a fortnight.",  # bare benefit
    ],
)
def test_implicit_subject_on_a_dry_needling_page_is_a_claim(sentence):
    page = PAGE_START + "We use dry needling for many complaints.\n" + sentence + "\n"
    assert flagged_lines(page).get(3) is True, page


def test_the_same_sentence_on_a_page_that_never_names_needling_is_not_read_as_needling():
    page = "Our massage menu\nThis boosts circulation so the tissue repairs faster.\n"
    assert not any(flagged_lines(page).values())


def test_bare_list_items_under_a_lead_in_that_does_not_name_needling():
    page = (
        PAGE_START
        + "Dry needling is done by our physios.\nWhat patients notice:\n- Fewer headaches\n- Less jaw clenching\n"
    )
    lines = flagged_lines(page)
    assert lines.get(4) is True and lines.get(5) is True, lines


@pytest.mark.parametrize(
    "sentence",
    [
        "The plantar fascia is a thick band of tissue under the foot.",  # anatomy
        "Headaches are often caused by tight neck muscles.",  # the condition
        "Our physios are trained in the technique.",  # the clinic
        "Gentle stretching also reduces stiffness.",  # another treatment
        "Drink water and use heat for any soreness.",  # aftercare advice
        "You may feel a little sore for a day or two.",  # a warning
        "Migraines and tension headaches can be disabling, disrupting work and sleep.",  # condition as subject
        "Shortened calf muscles contribute to poor mobility and heel pain.",  # anatomy as subject
        "Now and then the ache resolves within days; other times it lingers all season.",  # the natural course
        "Everyone will at some point suffer from neck pain or a stiff back.",  # people as subject
        "These angry nerves grow hypersensitive and trigger muscle tightness and reduced circulation.",  # a determiner
        "Our bodies have a remarkable capacity to heal themselves.",  # the body as subject
        "Benefits of Functional Dry Needling",  # a technique's name, not a claim about function
    ],
)
def test_sentences_about_something_else_are_not_claims_on_a_needling_page(sentence):
    page = PAGE_START + "Dry needling is one of our services.\n" + sentence + "\n"
    assert not flagged_lines(page).get(3), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "Dry needling involves putting fine needles into tight muscle to calm the nerve and ease pain.",
        "The aim is to settle the trigger point and restore movement.",
        "Needling is used to: relax the muscle; speed up healing; calm irritated nerves.",
        "It is a method for the treatment of stubborn muscle pain in the back.",
        "“My headaches eased after two visits,” a patient wrote in her review.",
        "The history of needling goes back to doctors who mapped tender spots in muscles.",
        "We can also treat jaw pain with dry needling.",
        "The goals of a needling session include easing pain and getting the joint moving again.",  # stated goals
        "Our mission is to help every patient reduce pain and get back to sport.",  # a clinic's mission
    ],
)
def test_purpose_and_definition_are_no_claims(sentence):
    assert not any(flagged_lines(sentence + "\n").values()), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "Relief often comes within a day of the first visit.",  # an outcome as subject
        "For sciatica, the pressure on the nerve is released straight away.",  # passive effect after an opener
        "Tight knots are released and blood flow returns to the muscle.",  # passive effect, body as subject
        "This lets the knotted calf fibres relax and eases the pressure on the nerve.",  # a pronoun, not a determiner
    ],
)
def test_an_outcome_or_a_passive_effect_as_subject_stays_a_claim_on_a_needling_page(sentence):
    page = PAGE_START + "Dry needling is one of our services.\n" + sentence + "\n"
    assert flagged_lines(page).get(3) is True, sentence


@pytest.mark.parametrize(
    "sentence",
    [
        # a finding of research named by its journal is reported, not claimed
        "New research published in the Journal of Sports Medicine shows that needling can ease hip pain as well as injections do.",
        "Let me walk you through what needling is and how well it works for Achilles pain.",  # an introduction
        "Another treatment available to ease shoulder pain during rehab is dry needling.",  # a service on offer
        "It targets the tight bands in the muscle to release them and ease the pain.",  # a target and its purpose
        "Research supports stretching and strengthening work to help reduce neck pain.",  # another treatment only
        "In the 1990s, a Canadian doctor refined the technique and wrote about how well it eased back pain.",  # history
        "Needling seems to be most effective when combined with a strengthening plan.",  # best practice, not a superlative
        "Needling works by putting a fine needle into the trigger point.",  # where the needle goes
        "How Needling Can Help Ease Jaw Pain",  # a heading that asks, as a question would
        "It is a technique our physios use to settle muscle pain and free up movement.",  # what clinicians use it for
        "It is a type of care that looks to settle an overactive muscle.",  # an intent
        "It is often marketed as a quick way to release knots.",  # what others say of it
        "If your shoulder feels stiff, a few needling sessions may be a good fit for you.",  # patient selection
        "We get a lot of questions about whether needling helps jaw pain.",  # an introduction
        "There has to be a muscle problem for needling to work on headaches.",  # an indication
        "It focuses on targeting tight bands in the calf for relief and better movement.",  # what it aims at
        "The term trigger point comes up often when physios talk about needling and its benefits.",  # a term
        "It is a technique a trained physio can perform to ease pain and free up movement.",  # performed to: a purpose
        "Needling draws on anatomy, targeting tense bands and tender spots to relieve pain.",  # targeting to
        "It is a technique using very fine needles to create tiny lesions that start healing.",  # using needles to
        "The needles are so slim that most people find them pain free when inserted.",  # a sensation, not pain relief
    ],
)
def test_reports_introductions_offers_and_targets_are_no_claims_on_a_needling_page(sentence):
    page = PAGE_START + "Dry needling is one of our services.\n" + sentence + "\n"
    assert not flagged_lines(page).get(3), sentence


def test_a_combination_with_other_care_is_an_add_on_claim_only_when_it_promises_more():
    said_with = (
        "Research suggests needling can be effective for back pain, especially when paired with a home exercise plan."
    )
    assert not flagged_lines(PAGE_START + said_with + "\n").get(2)
    promised = "Needling works better when it is combined with a strengthening programme."
    assert flagged_lines(PAGE_START + promised + "\n").get(2) is True


@pytest.mark.parametrize(
    "sentence",
    [
        "Our needling programme is used to treat and prevent running injuries.",  # a promise inside a purpose
        "A reflex relaxation of the muscle follows within seconds.",  # relaxation stated as a fact
        "It assists with desensitising the irritated areas.",  # a nervous-system mechanism as a fact
        "Grounded in modern medical science, needling may ease neck pain.",  # an evidence label in new words
        "A growing body of clinical literature supports needling for stubborn back pain.",  # the same
        "IMS, in short, corrects the root dysfunction.",  # a root-cause promise
        "Needling is a modern, research-supported option for tight muscles.",  # an evidence label
        "Our needling service is safe and effective.",  # safe and effective: an efficacy claim as well
        "Needling performed by our physios can immediately reduce neck pain.",  # a fast-relief promise in a purpose
        "Many stubborn back problems are now successfully treated with needling.",  # a success claim
        "Needling is an effective physio technique for many aches and pains.",  # efficacy without a condition
        "Needling has a sizable body of research behind it.",  # an evidence label without a topic
        "The needling effects on muscle are well documented.",  # the same
        "Our needling supports recovery after a calf strain.",  # supports an outcome
    ],
)
def test_promises_and_mechanisms_in_other_frames_are_still_claims(sentence):
    page = PAGE_START + "Dry needling is one of our services.\n" + sentence + "\n"
    assert flagged_lines(page).get(3) is True, sentence


def test_medicines_are_a_claim_only_when_the_sentence_says_fewer_or_less_of_them():
    from evidence.wording.detection import match_topics
    from evidence.wording.lexicon import load_lexicon

    lexicon = load_lexicon()
    compared = "Needling is less invasive than many other routes to pain control, like tablets or injections."
    assert "medication_use" not in match_topics(compared, lexicon)
    assert "medication_use" in match_topics("Fewer painkillers by the end of the month.", lexicon)
    assert "medication_use" in match_topics("It can cut down your need for pain tablets.", lexicon)


def test_a_mechanism_stated_as_fact_is_flagged():
    assert flagged_lines("Dry needling sends fresh blood into the muscle to flush out waste.\n").get(1) is True


def test_lower_case_copy_is_split_so_a_boast_about_the_team_does_not_touch_the_hedged_claim():
    text = "dry needling may help neck pain. our physio team is the best in town."
    sentences = drafts.split_sentences(text)
    assert [s.text for s in sentences] == ["dry needling may help neck pain.", "our physio team is the best in town."]
    findings = rules.check_sentences(sentences, CLAIMS, VERDICTS)
    assert findings and not any(f.flagged for f in findings if f.topic == "neck_pain")


def test_line_numbers_are_the_lines_of_a_markdown_file(tmp_path):
    draft = tmp_path / "draft.md"
    draft.write_text(
        "# Our services\n\nWe open at eight.\n\n```\nnotes\n```\n\nDry needling **eliminates** neck pain.\n"
    )
    findings = rules.check_files([str(draft)], CLAIMS, VERDICTS)
    assert [f.line for f in findings if f.flagged] == [9]
    records = json.loads(rules.to_json(findings))
    assert [r["line"] for r in records if r["flagged"]] == [9]
    assert ",9," in rules.to_csv(findings)


def test_locators_count_only_in_their_own_document():
    """A patient document's locator must not make a sentence of another draft a claim of its
    register claim; in its own document it still does."""
    neck = next(c for c in CLAIMS if c.topic == "neck_pain")
    claim = replace(neck, occurrences=(Occurrence("leaflet.txt", "parking is free"),))
    others = [c for c in CLAIMS if c.id != claim.id]
    own = rules.check_sentences(["Yes, parking is free."], [claim, *others], VERDICTS, file="x/leaflet.txt")
    other = rules.check_sentences(["Yes, parking is free."], [claim, *others], VERDICTS, file="draft.md")
    assert [f.claim_id for f in own] == [claim.id]
    assert other == []


def test_a_suggestion_never_says_more_than_the_sentence():
    """A claim the evidence allows gets no suggestion (any would say more than the sentence); a
    flagged claim gets the wording of its own register claim, not another topic's."""
    findings = rules.check_sentences(["Dry needling may ease neck pain a little for a few days."], CLAIMS, VERDICTS)
    assert findings and all(not f.flagged and f.suggestion == "" for f in findings)
    flagged = rules.check_sentences(["Dry needling cures neck pain for good."], CLAIMS, VERDICTS)
    neck = next(f for f in flagged if f.topic == "neck_pain")
    allowed = VERDICTS.set_index("claim_id").loc[neck.claim_id, "allowed_wording"]
    assert neck.flagged and neck.suggestion == allowed and "neck" in neck.suggestion.lower()


def test_the_most_common_serious_complication_is_not_a_claim_that_it_is_common():
    """Naming the most frequent serious complication says nothing about how often it happens."""
    findings = rules.check_sentences(
        ["The most common serious complication of needling is a collapsed lung."], CLAIMS, VERDICTS
    )
    assert not any(f.flagged for f in findings), findings
    common = rules.check_sentences(["A collapsed lung is common after needling."], CLAIMS, VERDICTS)
    assert any(f.flagged for f in common if f.topic == "pneumothorax")


@pytest.mark.parametrize("sentence", ["Needling doesn’t cure tendon pain overnight.", "It won’t eliminate every ache."])
def test_a_negation_with_a_typographic_apostrophe_negates_like_a_plain_one(sentence):
    page = PAGE_START + "Dry needling is one of our services.\n" + sentence + "\n"
    assert not flagged_lines(page).get(3), sentence
    findings = rules.check_sentences(drafts.split_sentences(page), CLAIMS, VERDICTS)
    assert all("’" in f.sentence for f in findings if f.line == 3)  # the sentence is reported as written


def test_a_lead_in_takes_no_topic_from_the_sentence_before_its_items_carry_the_claims():
    page = (
        PAGE_START
        + "Needling works on tight trigger points in the calf.\n"
        + "By targeting these points, dry needling helps:\n"
        + "- Ease heel pain\n"
    )
    lines = flagged_lines(page)
    assert not lines.get(3) and lines.get(4) is True, lines


def test_a_mechanism_said_to_be_believed_is_worded_as_uncertain():
    page = PAGE_START + "Needling is thought to work by calming irritated nerve endings in the muscle.\n"
    assert not flagged_lines(page).get(2)


def test_the_best_solution_is_a_claim_without_a_topic():
    page = (
        PAGE_START + "Dry needling is one of our services.\nMany physios now believe needling is the best solution.\n"
    )
    assert flagged_lines(page).get(3) is True


def test_that_is_where_needling_comes_in_claims_to_solve_the_problem_just_named():
    page = (
        PAGE_START
        + "Plenty of our patients want to get to the root cause of their pain for good.\n"
        + "This is where a course of needling comes in.\n"
    )
    assert flagged_lines(page).get(3) is True


def test_a_lead_in_is_judged_on_its_own_words():
    page = PAGE_START + "Dry needling is one of our services.\nNeedling works in several ways to ease low back pain:\n"
    lines = flagged_lines(page + "- It calms the nerves\n")
    assert lines.get(3) is True, lines


@pytest.mark.parametrize("fragment", ["Pain relief", "Pain Relief for Stubborn Muscle Problems"])
def test_pain_relief_heading_a_fragment_is_a_claim_not_a_description_of_pain(fragment):
    page = PAGE_START + "Dry needling is one of our services.\n" + fragment + "\n"
    assert flagged_lines(page).get(3) is True, fragment


def test_a_list_of_what_a_clinician_treats_describes_practice_and_claims_nothing():
    listed = "Some of the problems I treat most with needling:\n- Low back pain\n- Tension headaches\n"
    assert not any(flagged_lines(PAGE_START + "Dry needling is one of our services.\n" + listed).values())
    usual = "Areas commonly treated with needling include low back pain and headaches.\n"
    assert not any(flagged_lines(PAGE_START + "Dry needling is one of our services.\n" + usual).values())


def test_items_under_a_lead_in_that_claims_strong_evidence_are_flagged():
    page = PAGE_START + "Dry needling is one of our services.\nNeedling has a strong evidence base for:\n"
    lines = flagged_lines(page + "- Low back pain\n- Tension headaches\n")
    assert lines.get(4) is True and lines.get(5) is True, lines
