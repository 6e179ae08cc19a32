"""Claim detection: the failure patterns of issue 11, in our own example sentences, one test each."""

from __future__ import annotations

import pandas as pd
import pytest

from evidence.config import ConfigError
from evidence.wording import drafts, rules
from evidence.wording.detection import ClaimDetector, build_register
from evidence.wording.lexicon import load_lexicon
from tests.conftest import PROJECT
from tests.wording_helpers import (
    ALL,
    BLOOD,
    ELBOW_SUPPORTED,
    JAW,
    NECK_LOW,
    TRIGGER,
    check,
    claim,
    fixture,
    one,
    register_of,
    verdict_row,
)

LEXICON = PROJECT / "data" / "curated" / "wording_lexicon.yaml"


# ---------------------------------------------------------------------------------------------
# claim detection: the failure patterns of issue 11 (our own example sentences)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Golfer's elbow is frequent among people who have never held a club.",  # a condition
        "As the needle meets the knot, the muscle gives a quick jump.",  # the procedure and a sensation
        "The gluteus medius is a fan-shaped muscle on the side of the hip.",  # anatomy
        "Heel pain is worst with the first steps of the morning.",
        "Runners are always chasing a new personal best.",  # stray absolute
        "Acupuncture comes from Chinese medicine and works with meridians.",  # not medication use
        "You may feel stiff for a day.",  # a warning, not range of motion
        "You may feel a little sore afterwards.",
        "Does dry needling help tennis elbow?",  # a question
        "Book an assessment and find out whether needling suits you.",  # a call to action asserting nothing
        "The aim of needling is to calm an irritable trigger point.",  # a purpose clause
        "A 2019 trial of 80 office workers found that neck pain fell after needling.",  # attributed result
        "If you feel faint, tell your therapist straight away.",  # an honest warning
        "Massage is popular for knots.\nIt eases back pain for many people.",  # 'it' is massage
        "Dry needling is not a cure-all.",  # a negation asserting nothing
        "Conditions our physios needle:\n- Neck pain\n- Heel pain",  # a list of services
        "The word 'dry' means that no medication is injected.",  # a definition
        "You are in safe hands with our certified team.",  # an idiom, not a safety claim
        "Heat packs can relieve muscle tension after a long day.",  # another treatment
    ],
)
def test_descriptions_stray_words_and_non_claims_are_not_claims(text):
    assert judged(check(text, ALL)) == [], text


def judged(findings: list[rules.Finding]) -> list[rules.Finding]:
    """The findings that judge a claim (not the notes on claims about other treatments)."""
    return [f for f in findings if not rules.unchecked(f)]


def other_treatment_notes(findings: list[rules.Finding]) -> list[str]:
    """The reasons of the notes on claims about other treatments."""
    return [f.reason for f in findings if rules.unchecked(f) and not f.flagged]


def test_acupuncture_on_a_needling_page_is_judged_as_needling():
    """Clinics use the two names for the same needles; the labelling guide (case 21) judges an
    acupuncture claim on a needling page by the policy, and so do the rules."""
    page = "Our physios offer dry needling, which some call western acupuncture.\n"
    found = check(page + "Acupuncture releases calming chemicals that switch off back pain.", ALL)
    assert "endorphins" in {f.topic for f in found} and any(f.flagged for f in found)
    # other treatments named on the same page still are not dry needling: their claims get a note only
    found = check(page + "Massage eases back pain for many people.", ALL)
    assert judged(found) == [] and other_treatment_notes(found)[0].startswith("a claim for massage, not for dry")


@pytest.mark.parametrize(
    "text",
    [
        "Cupping pulls fresh blood into stiff tissue and eases back pain.",
        "Kinesio taping calms an aching knee.",
        "Manual therapy frees up a stiff neck for good.",
    ],
)
def test_other_hands_on_therapies_on_a_needling_page_are_not_needling(text):
    """The labelling guide, case 21: claims about other modalities on a needling page are theirs."""
    page = "Our physios offer dry needling.\n"
    found = check(page + text, ALL)
    assert judged(found) == [] and len(other_treatment_notes(found)) == 1


def test_a_page_that_lists_needling_among_other_treatments_is_not_a_needling_page():
    claim = "Speeds up healing of a torn calf."
    listed = "Care for a calf tear may include stretching, taping and dry needling.\n"
    assert check(listed + claim, ALL) == []
    # a draft that names needling on its own is a needling page, and the same line is a claim
    assert any(f.flagged for f in check("Dry needling for calf tears.\n" + claim, ALL))


COMPARISON_PAGE = (
    "Dry needling for sore tendons\n"
    "Dry needling may ease heel pain.\n"
    "Shockwave therapy\n"
    "It sends pulses of sound into the tendon and speeds healing.\n"
    "Most people feel less pain within three visits.\n"
    "What to expect from needling\n"
    "The needle releases tight knots so healing speeds up.\n"
)


def test_a_title_naming_another_treatment_starts_a_section_about_it():
    """A comparison page: under a title that names another treatment, "It ..." and an implicit
    subject are that treatment's claims (noted, not judged) until a line names the needling again."""
    found = check(COMPARISON_PAGE, ALL)
    assert {f.line for f in judged(found)} == {2, 7} and all(f.flagged for f in judged(found) if f.line == 7)
    notes = [f for f in found if rules.unchecked(f)]
    assert {f.line for f in notes} == {4, 5} and all(n.reason.startswith("a claim for shockwave") for n in notes)
    # a Markdown heading does the same, and a heading naming neither a treatment nor an effect ends it
    markdown = "# Heel pain care\n\nDry needling may ease heel pain.\n\n## Cortisone injections\n\n"
    markdown += (
        "They calm the swelling for months.\n\n## Booking\n\nAfter two sessions the swelling is gone for good.\n"
    )
    found = check(drafts.markdown_to_text(markdown), ALL)
    assert {f.line for f in judged(found)} == {3, 11}


@pytest.mark.parametrize(
    "title",
    [
        "Is it better than massage?",  # a question is answered about needling
        "Dry needling versus massage",  # names needling itself
        "Compared with cupping, needling reaches deeper.",  # a sentence, not a title
    ],
)
def test_questions_sentences_and_titles_naming_needling_start_no_section(title):
    page = f"Dry needling for runners.\n{title}\nIt gets rid of calf cramps for good.\n"
    assert any(f.flagged and f.line == 3 for f in check(page, ALL)), title


def test_aftercare_titles_start_no_section_and_a_heading_without_a_therapy_ends_one():
    """An "Ice and heat" title on a needling page is aftercare, not a comparison: the needling
    benefits listed after it are still judged. In Markdown, a "Benefits" heading ends a massage
    section although "benefits" is an effect word."""
    page = "Dry needling at our clinic\nIce and heat\nUse ice for ten minutes after your visit.\n"
    page += "Benefits\nFaster healing\n"
    assert any(f.flagged and f.line == 5 for f in check(page, ALL))
    markdown = "# Dry needling\n\n## Massage\n\nIt eases tight calves.\n\n## Benefits\n\nFaster healing.\n"
    found = check(drafts.markdown_to_text(markdown), ALL)
    assert [f.line for f in found if rules.unchecked(f)] == [5] and any(f.flagged and f.line == 9 for f in found)


def test_a_fragment_with_an_effect_stays_in_its_section():
    """ "Faster healing" under "Cupping" is one of cupping's benefits, not a new title; the toxins
    myth is flagged there too, as wherever it is named."""
    page = "Dry needling for back pain.\nCupping\nFaster healing\nIt flushes out toxins.\n"
    found = check(page, ALL)
    assert [(f.line, f.topic) for f in judged(found)] == [(4, "metabolic_waste")] and judged(found)[0].flagged


def test_can_is_conditional_not_direct():
    finding = one("Dry needling can ease neck pain.", ALL)
    assert finding.strength == "conditional" and not finding.flagged
    finding = one("Dry needling eases neck pain.", ALL)
    assert finding.strength == "direct" and finding.flagged
    assert {f.strength for f in check("Dry needling eases heel pain so you can walk again.", ALL)} == {"direct"}


@pytest.mark.parametrize(
    "text",
    [
        "Needling speeds up sports recovery so you can train harder.",
        "Book a session and recover twice as fast.",
        "Our needling is built for sports recovery after a hard race.",
    ],
)
def test_recovery_claims_in_other_words_are_recovery_claims(text):
    assert "recovery_speed" in {f.topic for f in check("Dry needling for athletes.\n" + text, ALL)}, text


def test_forever_is_a_lasting_promise_but_tension_headaches_are_not_muscle_tension():
    found = {f.topic: f for f in check("Say goodbye to stiff knees forever with dry needling.", ALL)}
    assert found["lasting_effect"].strength == "absolute" and found["lasting_effect"].flagged
    assert check("Chronic pain can feel like it will last forever.", ALL) == []
    topics = {f.topic for f in check("Dry needling could ease tension headaches.", ALL)}
    assert "headache" in topics and "trigger_point_release" not in topics


@pytest.mark.parametrize(
    "text, topic",
    [
        ("Dry needling is very effective at getting rid of heel pain.", "plantar_heel_pain"),
        ("Needling is one of the most effective treatments for tennis elbow.", "lateral_elbow_tendinopathy"),
        ("Regular dry needling prevents re-injury in footballers.", "sports_injuries"),
        ("Dry needling is scientifically proven to relieve neck pain.", "neck_pain"),
        ("Research shows dry needling eases heel pain.", "plantar_heel_pain"),
        ("Dry needling can be very effective for neck pain.", "neck_pain"),
        ("A growing body of research backs dry needling for heel pain.", "plantar_heel_pain"),
        ("Dry needling is a scientifically supported way to calm heel pain.", "plantar_heel_pain"),
        ("Dry needling is the greatest headache treatment of all time.", "headache"),
        ("Two sessions of needling and my jaw pain never came back.", "tmd"),
        ("Needling changed their lives: the headaches eased within a week.", "headache"),
    ],
)
def test_superlatives_and_absolutes_are_flagged(text, topic):
    findings = check(text, ALL)
    hit = [f for f in findings if f.topic == topic]
    assert hit and hit[0].strength == "absolute" and hit[0].flagged and "absolute wording" in hit[0].reason, findings


def test_negated_absolutes_do_not_count():
    finding = one("Dry needling is not a cure, but it may ease neck pain.", ALL)
    assert finding.topic == "neck_pain" and finding.strength == "conditional" and not finding.flagged


def test_one_finding_per_claim():
    findings = check("Dry needling can reduce neck pain and is completely safe.", ALL)
    assert [(f.topic, f.flagged) for f in findings] == [("neck_pain", False), ("general_safety", True)]
    assert all(f.index == 1 and f.topics == ("neck_pain", "general_safety") for f in findings)


def test_bullet_fragments_take_the_subject_of_their_lead_in():
    findings = check("Dry needling:\n- Releases tight muscle fibres\n- Boosts circulation", ALL)
    assert [(f.sentence, f.topic) for f in findings] == [
        ("Releases tight muscle fibres", "muscle_pain_general"),
        ("Boosts circulation", "blood_flow"),
    ]
    hedged = check("Dry needling may help with:\n- Neck pain\n- Jaw pain", ALL)
    assert [(f.topic, f.strength, f.flagged) for f in hedged] == [
        ("neck_pain", "conditional", False),
        ("tmd", "conditional", True),
    ]
    item_hedged = check("Benefits of dry needling:\n- could ease neck pain", ALL)
    assert [(f.topic, f.strength) for f in item_hedged] == [("neck_pain", "conditional")]


def test_implied_subjects_fragments_passives_and_patient_experience():
    assert [(f.topic, f.flagged) for f in check("Eliminates heel pain for good.", ALL)][0] == (
        "plantar_heel_pain",
        True,
    )
    assert {f.topic for f in check("Neck pain is relieved in a single visit.", ALL)} == {"neck_pain", "sessions_needed"}
    assert [f.topic for f in check("After your first session you will notice less neck pain.", ALL)] == [
        "neck_pain",
        "relief_24_48h",
    ]
    assert check("Neck pain usually settles by itself within weeks.", ALL) == []  # natural course, no subject


def test_it_and_this_are_resolved_from_the_sentence_before():
    findings = check("We offer dry needling at both clinics.\nIt eases neck pain.", ALL)
    assert [(f.index, f.topic, f.flagged) for f in findings] == [(2, "neck_pain", True)]
    assert check("Heel pain can linger for months.\nIt is worst in the morning.", ALL) == []
    assert [f.topic for f in check("Tired of tension headaches? Dry needling stops them.", ALL)] == ["headache"]


def test_a_verb_right_after_the_subject_asserts_unless_neutral():
    assert [(f.topic, f.flagged) for f in check("Dry needling quietens the nerves in a sore neck.", ALL)] == [
        ("neck_pain", True)
    ]
    assert check("Dry needling targets the tight band in a sore neck muscle.", ALL) == []  # a neutral verb
    assert check("Dry needling involves a thin needle in the tight neck muscle.", ALL) == []


def test_an_answer_that_affirms_a_question_is_read_with_it():
    answered = check("Does dry needling help tennis elbow? Yes, in most cases.", ALL)
    assert [(f.index, f.topic, f.strength, f.flagged) for f in answered] == [
        (2, "lateral_elbow_tendinopathy", "direct", True)
    ]
    # its reason names the question, so that "Yes, in most cases." is not seen flagged for words it lacks
    assert answered[0].reason.startswith("read with the question before it ('Does dry needling help tennis elbow?')")
    assert check("Can dry needling help my heel pain? Read on to find out.", ALL) == []
    assert [f.strength for f in check("Does needling cure back pain? Absolutely.", ALL)] == ["absolute"]


def test_suggestions_fit_the_sentence():
    blood = one("Dry needling boosts blood flow to the muscle.", ALL)
    assert blood.topic == "blood_flow" and blood.suggestion == BLOOD["allowed_wording"]
    jaw = one("Dry needling relaxes the jaw muscles.", ALL)
    assert jaw.topic == "tmd" and jaw.suggestion == JAW["allowed_wording"]
    knot = one("Dry needling releases trigger points.", ALL)
    assert knot.topic == "trigger_point_release" and knot.suggestion == TRIGGER["allowed_wording"]


def test_suggestion_is_narrowed_to_the_condition_the_sentence_names():
    rows = [
        verdict_row("rom_neck", "range_of_motion", "overstated", "low", "Neck wording."),
        verdict_row("rom_knee", "range_of_motion", "uncertain", "very_low", "Knee wording."),
        NECK_LOW,
    ]
    claims = [
        claim("rom_neck", "range_of_motion", "", conditions=("neck_pain",)),
        claim("rom_knee", "range_of_motion", "", conditions=("knee_pain",)),
        claim("neck", "neck_pain"),
    ]
    verdicts = pd.DataFrame(rows)
    findings = rules.check_sentences(["Dry needling improves range of motion in a stiff neck."], claims, verdicts)
    assert {f.topic: f.claim_id for f in findings} == {"neck_pain": "neck", "range_of_motion": "rom_neck"}


def test_contradicted_mechanisms_flagged_unless_rejected():
    assert [
        f.flagged for f in check("Needling might help clear lactic acid from a knot.", ALL) if f.topic == "lactic_acid"
    ] == [True]
    assert one("Dry needling flushes toxins out of the muscle.", ALL).flagged
    rejected = check("Lactic acid does not build up in knots, so needling cannot flush it out.", ALL)
    assert "lactic_acid" in [f.topic for f in rejected] and not any(f.flagged for f in rejected)
    # a sentence that debunks the idea, naming the claim only to say research does not back it
    debunked = check("The idea that needling washes lactic acid out of a muscle is not supported by trials.", ALL)
    assert "lactic_acid" in [f.topic for f in debunked] and not any(f.flagged for f in debunked)
    assert one("Needling washes lactic acid out of a muscle, as trials have confirmed.", ALL).flagged


def test_flags_follow_the_certainty():
    assert not one("Dry needling may reduce neck pain.", ALL).flagged  # low: conditional is enough
    assert one("Dry needling may ease headaches.", ALL).flagged  # very low: it is not
    assert not one("Dry needling may ease headaches, but the evidence is very uncertain.", ALL).flagged
    assert one("Dry needling might get you back to sport sooner.", ALL).flagged  # unsupported
    assert not one("Dry needling reduces tennis elbow pain.", [ELBOW_SUPPORTED]).flagged  # supported, moderate
    no_verdict = one("Dry needling may help fibromyalgia.", ALL)
    assert no_verdict.claim_id is None and no_verdict.flagged and "no evidence verdict" in no_verdict.reason
    assert no_verdict.suggestion.startswith("The evidence is very uncertain")


def test_safety_frequency_words_and_safe():
    rows = ALL + [
        verdict_row("bruise_common", "bruising", "supported", "moderate", "Bruising is common."),
        verdict_row("bruise_rare", "bruising", "contradicted", "moderate", "Bruising is common."),
    ]
    claims, verdicts = register_of(rows)
    claims = [
        claim(
            c.id,
            c.topic,
            frequency={"bruise_common": "common", "bruise_rare": "rare", "serious_rare": "rare"}.get(c.id),
        )
        for c in claims
    ]
    check_ = lambda text: rules.check_sentences([text], claims, verdicts)  # noqa: E731
    rare = check_("Bruising is rare after needling.")
    assert rare[0].flagged and rare[0].claim_id == "bruise_rare"
    common = check_("Bruising is common after needling.")
    assert not common[0].flagged and common[0].claim_id == "bruise_common"
    assert check_("A bruise can appear where the needle went in.") == []  # a warning
    assert check_("Dry needling is very safe.")[0].flagged  # 'safe' with nothing named
    # a negated 'safe' calls nothing safe; a negation in an earlier clause does not reach it
    assert not any(f.flagged for f in check_("No treatment we offer is entirely safe, and needles can bruise you."))
    assert check_("Have no fear, dry needling is very safe.")[0].flagged
    assert not check_("Serious complications from needling are rare.")[0].flagged
    qualified = check_("Dry needling is generally safe, though bruising is common.")
    assert [(f.topic, f.flagged) for f in qualified] == [("bruising", False)]  # general safety is narrower-dropped
    assert check_("Needling has no side effects.")[0].strength == "absolute"


def test_untopical_absolute_claim():
    finding = one("Dry needling is proven to work.", ALL)
    assert finding.flagged and finding.topic == "" and finding.claim_id is None
    # a promise to anyone at all is universal wording too; "not for everyone" promises nothing
    anyone = one("Needling is the answer for anybody with an aching back.", ALL)
    assert anyone.flagged and anyone.strength == "absolute"
    assert rules.check_sentences(["Needling is not a fix for anybody with an aching back."], *register_of(ALL)) == []


def test_a_named_condition_without_evidence_in_the_register_is_claimed_at_very_low_certainty():
    """The labelling guide's case 5: a condition the register has no evidence on counts as very low, so
    even a hedge claims too much; a bare mention of the condition is no claim."""
    for text in ("Needling may ease the tingling of carpal tunnel syndrome.", "Needling can calm arthritic fingers."):
        finding = one(text, ALL)
        assert finding.topic == "other_conditions" and finding.flagged and finding.claim_id is None
    assert one("Needling can calm arthritic knees.", ALL).topic == "knee_pain"  # a named joint's arthritis is its pain
    assert rules.check_sentences(["Carpal tunnel syndrome affects the wrist."], *register_of(ALL)) == []


def test_fixing_the_problem_behind_the_pain_and_getting_people_back_are_effects():
    assert one("Needling corrects the hidden nerve problem behind your pain.", ALL).topic == "pain_relief"
    assert one("Dry needling got our swimmers back in the pool within a week.", ALL).flagged


def test_a_pronoun_after_a_sentence_about_another_treatment_does_not_take_its_topics():
    draft = "Our physios offer dry needling.\nCupping pulls fresh blood into a sore calf. Some say it helps, but little good evidence backs it.\n"
    assert check(draft, ALL) == []
    # naming needling in the same sentence still takes the topic set up before ("that's where ... comes in")
    bridge = "Our physios offer dry needling.\nMassage has not eased your headaches? That is where our dry needling comes in.\n"
    assert "headache" in {f.topic for f in check(bridge, ALL)}


def test_chronic_fatigue_is_a_condition_and_surgery_beside_a_condition_is_not_recovery_from_it():
    topics = {f.topic for f in check("Dry needling relieves chronic fatigue without the need for surgery.", ALL)}
    assert topics == {"other_conditions"}


def test_a_promise_of_no_pain_at_all_understates_soreness():
    for text in ("Dry needling is totally painless.", "Relax, you won't feel a thing during dry needling."):
        finding = one(text, ALL)
        assert finding.topic == "soreness" and finding.strength == "absolute" and finding.flagged
    assert rules.check_sentences(["Dry needling is usually painless."], *register_of(ALL)) == []


def test_an_absolute_promise_beside_a_bare_claim_of_safety_is_flagged_too():
    findings = check("Totally safe and dry needling works for everybody.", ALL)
    assert {(f.topic, f.strength) for f in findings if f.flagged} >= {("", "absolute")}
    # beside a side effect or a frequency, "resolves" describes the harm
    assert not any(f.topic == "" for f in check("Any soreness from dry needling usually resolves in a day.", ALL))


def test_an_immune_boost_is_a_claim_without_evidence_but_a_weak_immune_system_is_not():
    boost = one("Dry needling strengthens the immune system as well.", ALL)
    assert boost.topic == "immune_function" and boost.flagged and boost.claim_id is None
    caution = "Tell us first if you have a weakened immune system."
    assert rules.check_sentences([caution], *register_of(ALL)) == []


def test_registered_occurrence_is_always_found():
    rows = [NECK_LOW]
    claims = [claim("neck", "neck_pain")]
    claims[0] = claims[0].__class__(
        **{
            **claims[0].__dict__,
            "occurrences": (
                __import__("evidence.curation.claims", fromlist=["Occurrence"]).Occurrence(
                    "doc.txt", "Neck and back troubles"
                ),
            ),
        }
    )
    findings = rules.check_sentences(["Neck and back troubles"], claims, pd.DataFrame(rows), file="materials/doc.txt")
    assert [(f.topic, f.claim_id) for f in findings] == [("neck_pain", "neck")]
    # in any other draft the locator means nothing: the rules alone decide (here: no claim)
    assert rules.check_sentences(["Neck and back troubles"], claims, pd.DataFrame(rows), file="draft.md") == []


def test_detection_is_one_pass_over_the_sentences():
    """The detector reads each sentence once and carries only the sentence before."""
    claims, verdicts = register_of(ALL)
    detector = ClaimDetector(build_register(claims, verdicts), load_lexicon(LEXICON))
    seen = []

    def sentences():
        for s in drafts.split_sentences("Dry needling is offered.\nIt eases neck pain.\nBook now."):
            seen.append(s.index)
            yield s

    results = detector.detect(sentences())
    first = next(results)
    assert seen == [1] and first.claims == ()
    assert [c.topic for c in next(results).claims] == ["neck_pain"] and seen == [1, 2]


def test_verdicts_missing_a_column_are_rejected():
    with pytest.raises(ConfigError, match="allowed_wording"):
        rules.check_sentences(
            ["Dry needling reduces neck pain."],
            [],
            pd.DataFrame([{"claim_id": "x", "topic": "neck_pain", "verdict": "supported", "certainty": "low"}]),
        )


# ---------------------------------------------------------------------------------------------
# the error patterns of the first fresh set (benchmarks/wording_clinic/fresh_1_first_run.md),
# in our own example sentences; the full verdict table where a topic is not in ALL
# ---------------------------------------------------------------------------------------------


def full(text: str) -> list[rules.Finding]:
    """Findings with the frozen verdict table the labelled sets assume."""
    claims, verdicts = fixture()
    return rules.check_sentences(drafts.split_sentences(text), claims, verdicts)


@pytest.mark.parametrize(
    "text",
    [
        "Problems our team often treat with needling:\n- Neck pain\n- Jaw pain",  # a service list
        "Needling is used to treat:\n- Neck pain\n- Heel pain",
        "A 2020 trial run across three hospital clinics in northern Europe compared needling with sham "
        "in 60 adults with neck pain and found less pain in both groups.",  # attribution, long gap
        "This trial has demonstrated that dry needling reduces tender points in the lower back.",
        "According to Jones (Jones 2012), jaw pain eased in 80% of all patients after needling.",  # a cited source
        # a definition whose infinitive is the needle's purpose, not a result stated as fact
        "Dry needling is the placement of a thin needle into a tight band to relax the muscle.",
    ],
)
def test_service_lists_and_long_attributions_are_not_claims(text):
    assert check(text, ALL) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "There are several theories about how needling brings relief from back pain.",
        "How needling eases back pain is not fully understood.",
    ],
)
def test_a_mechanism_whose_uncertainty_is_foregrounded_is_conditional(text):
    """The labelling guide, case 9: competing theories, or a mechanism said not to be understood,
    put the uncertainty first; the claim is hedged, not stated."""
    found = judged(check(text, ALL))
    assert found and {f.strength for f in found} == {"conditional"}, found


def test_own_claim_after_an_attributed_result_is_read_with_it_as_the_subject():
    findings = check("A small 2018 study of 40 adults found needling eased neck pain, so it will ease yours too.", ALL)
    assert [(f.topic, f.strength, f.flagged) for f in findings] == [("neck_pain", "direct", True)]


def test_a_result_attached_to_a_purpose_clause_is_a_claim():
    findings = check("The aim is to irritate the tissue a little, boosting blood flow to the area.", ALL)
    assert [(f.topic, f.flagged) for f in findings] == [("blood_flow", True)]
    assert [
        f.topic for f in check("The goal is to reach the band that tightens the calf and boosts blood flow.", ALL)
    ] == ["blood_flow"]


def test_the_condition_as_subject_with_needling_in_a_time_clause():
    assert [
        (f.topic, f.strength, f.flagged) for f in check("Heel pain eases quickly once we needle the calf.", ALL)
    ] == [("plantar_heel_pain", "direct", True)]
    assert check("Heel pain often eases by itself over a few months.", ALL) == []  # no needling: natural course


@pytest.mark.parametrize(
    "text, topic",
    [
        ("For neck pain, few therapies help as much as dry needling.", "neck_pain"),
        ("Nothing else works as well as dry needling for jaw pain.", "tmd"),
        ("Needling keeps footballers injury-free all season.", "sports_injuries"),
        ("Regular needling lowers your risk of re-injury in the hamstrings.", "sports_injuries"),
    ],
)
def test_comparative_superlatives_and_prevention_without_prevent_are_absolute(text, topic):
    hit = [f for f in check(text, ALL) if f.topic == topic]
    assert hit and hit[0].strength == "absolute" and hit[0].flagged, check(text, ALL)


def test_vague_dramatic_outcomes_are_absolute_without_a_topic():
    finding = one("We get astonishing results with needling in our runners.", ALL)
    assert finding.topic == "" and finding.strength == "absolute" and finding.flagged


def test_mechanisms_with_the_body_as_subject():
    findings = full("As the needle goes in, your nervous system responds by quietening pain signals.")
    assert [(f.topic, f.flagged) for f in findings] == [("nervous_system", True)]


@pytest.mark.parametrize(
    "text, topic",
    [
        ("IMS relaxes the tight muscles of a stiff neck.", "neck_pain"),
        ("Intramuscular stimulation settles neck pain.", "neck_pain"),
        ("IMS lengthens shortened muscles.", "muscle_pain_general"),
    ],
)
def test_ims_is_a_name_of_dry_needling(text, topic):
    assert topic in [f.topic for f in full(text) if f.flagged]


def test_the_waste_myth_without_its_keywords_is_caught():
    finding = one("Fresh blood rushes into the knot and washes away the irritating chemicals.", ALL)
    assert finding.topic == "metabolic_waste" and finding.flagged


def test_time_course_with_patients_as_subject():
    assert "sessions_needed" in [f.topic for f in full("Most clients notice a difference within one or two visits.")]
    assert "relief_24_48h" in [f.topic for f in full("People walk better right after the needles come out.")]
    assert [(f.topic, f.flagged) for f in full("Clients often sleep better that night.")] == [("function", True)]
    assert full("Clients often sleep badly when their neck is stiff.") == []  # no outcome
    assert full("The needle is removed straight after the twitch.") == []  # the procedure, not a time course


def test_works_best_as_part_of_a_plan_with_exercise():
    findings = full("Dry needling works best as one part of a programme built around strengthening.")
    assert [(f.topic, f.flagged) for f in findings] == [("add_on_to_exercise", True)]


@pytest.mark.parametrize(
    "text",
    [
        "Needling gets runners back on the track quicker.",
        "Our players get back on the pitch sooner with needling.",
        "Players are back in the squad sooner after needling.",
        "Needling helps players return to the pitch sooner.",
    ],
)
def test_return_to_sport_variants(text):
    assert "recovery_speed" in [f.topic for f in full(text)]


def test_safety_rarity_phrases():
    no_risk = one("With a trained physio, needling carries no real risk.", ALL)
    assert no_risk.strength == "absolute" and no_risk.flagged
    sore = [f for f in full("Almost nobody feels sore after needling.") if f.topic == "soreness"]
    assert sore and sore[0].claim_id == "soreness_rare" and sore[0].flagged  # the register: soreness is common
    infection = [f for f in full("An infection from needling almost never happens.") if f.topic == "infection"]
    assert infection and infection[0].strength != "absolute" and not infection[0].flagged  # 'almost never' = rare
    assert [f.strength for f in full("An infection from needling never happens.") if f.topic == "infection"] == [
        "absolute"
    ]


def test_evidence_statements_and_softer_effect_verbs_are_claims():
    assert [(f.topic, f.flagged) for f in check("There are no good trials of needling for jaw pain yet.", ALL)] == [
        ("tmd", False)
    ]
    assert [(f.topic, f.strength, f.flagged) for f in check("Needling may take the edge off heel pain.", ALL)] == [
        ("plantar_heel_pain", "conditional", False)
    ]
