"""The vocabulary of claim topics shared by the claims register and the wording checker.

Each topic has a claim type:
``efficacy`` (dry needling helps a condition), ``outcome`` (an outcome or time course such as
range of motion or relief within 24-48 h), ``mechanism`` (how it works), ``safety`` (harms and
their frequency) and ``logistics`` (definitions and practicalities; not evidence-checkable).
Efficacy topics for conditions that have a PubMed search use the search's condition id.
"""

from __future__ import annotations

TOPICS: dict[str, tuple[str, str]] = {
    # efficacy: conditions (ids of the search definitions) and broader groups the materials name
    "neck_pain": ("efficacy", "neck pain"),
    "low_back_pain": ("efficacy", "low back pain, sacroiliac pain"),
    "shoulder_pain": ("efficacy", "shoulder pain, rotator cuff, frozen shoulder"),
    "headache": ("efficacy", "tension-type, cervicogenic and other headaches"),
    "tmd": ("efficacy", "jaw pain, temporomandibular disorders"),
    "hip_pain": ("efficacy", "hip and gluteal pain, piriformis syndrome"),
    "knee_pain": ("efficacy", "knee pain, patellofemoral pain, iliotibial band, runner's knee"),
    "plantar_heel_pain": ("efficacy", "plantar fasciitis, heel and foot pain"),
    "lateral_elbow_tendinopathy": ("efficacy", "tennis elbow"),
    "medial_elbow_tendinopathy": ("efficacy", "golfer's elbow"),
    "achilles_tendinopathy": ("efficacy", "Achilles tendinopathy"),
    "patellar_tendinopathy": ("efficacy", "patellar tendinopathy, jumper's knee"),
    "myofascial_pain_syndrome": ("efficacy", "myofascial pain, muscle knots and trigger points"),
    "fibromyalgia": ("efficacy", "fibromyalgia"),
    "muscle_pain_general": ("efficacy", "muscle pain and tightness in general"),
    "sports_injuries": ("efficacy", "sports injuries, strains, sprains, overuse"),
    "post_surgical_stiffness": ("efficacy", "stiffness after surgery"),
    "postural_pain": ("efficacy", "pain from posture, desk work, repetitive tasks"),
    "chronic_pain": ("efficacy", "chronic musculoskeletal pain in general"),
    "other_conditions": (
        "efficacy",
        "conditions outside the tracker's evidence (such as carpal tunnel, arthritis, nerve pain)",
    ),
    # outcomes and time course
    "pain_relief": ("outcome", "pain relief in general"),
    "range_of_motion": ("outcome", "range of motion, mobility, flexibility"),
    "function": ("outcome", "function, movement quality, getting back to activities"),
    "muscle_activation": ("outcome", "muscle activation, motor control, strength"),
    "medication_use": ("outcome", "less use of pain medication"),
    "posture": ("outcome", "better posture"),
    "muscle_spasms": ("outcome", "fewer muscle spasms or cramps"),
    "recovery_speed": ("outcome", "faster recovery, return to training"),
    "add_on_to_exercise": ("outcome", "works best with, or enhances, exercise and other therapy"),
    "relief_24_48h": ("outcome", "relief within 24-48 hours or immediately after a session"),
    "sessions_needed": ("outcome", "improvement after a few sessions"),
    "lasting_effect": ("outcome", "lasting or long-term benefit"),
    "immune_function": ("outcome", "a stronger immune system"),
    # mechanisms
    "twitch_response": ("mechanism", "the local twitch response relaxes the muscle / is needed"),
    "trigger_point_release": ("mechanism", "releases or deactivates trigger points, reduces muscle tension"),
    "blood_flow": ("mechanism", "increases blood flow or circulation"),
    "oxygen_nutrients": ("mechanism", "brings oxygen and nutrients to the muscle"),
    "lactic_acid": ("mechanism", "lactic acid builds up in knots or causes soreness, and needling clears it"),
    "metabolic_waste": ("mechanism", "flushes out metabolic waste or toxins"),
    "endorphins": ("mechanism", "releases endorphins"),
    "nervous_system": ("mechanism", "resets, retrains or calms the nervous system; blocks pain signals"),
    "inflammation": ("mechanism", "reduces inflammation"),
    "healing": ("mechanism", "promotes tissue healing or repair"),
    "fascia": ("mechanism", "releases fascia or connective tissue"),
    # safety
    "general_safety": ("safety", "dry needling is safe or very safe"),
    "soreness": ("safety", "soreness after treatment"),
    "bruising": ("safety", "bruising"),
    "bleeding": ("safety", "bleeding"),
    "fatigue": ("safety", "fatigue or drowsiness"),
    "dizziness_fainting": ("safety", "dizziness, light-headedness or fainting"),
    "temporary_pain_increase": ("safety", "a temporary increase in pain"),
    "infection": ("safety", "infection"),
    "nerve_injury": ("safety", "nerve irritation or injury"),
    "pneumothorax": ("safety", "pneumothorax (collapsed lung)"),
    "contraindications": ("safety", "who should avoid it"),
    # logistics (not evidence-checkable)
    "definition": ("logistics", "what dry needling is; 'dry' means no injectate"),
    "acupuncture_difference": ("logistics", "how it differs from acupuncture"),
    "practitioners": ("logistics", "who performs it and their training"),
    "procedure": ("logistics", "what happens in a session, sensations, needle handling"),
    "aftercare": ("logistics", "what to do after a session"),
    "cost_insurance": ("logistics", "costs and insurance"),
}


def topic_type(topic: str) -> str:
    """The claim type of a topic; KeyError names unknown topics."""
    try:
        return TOPICS[topic][0]
    except KeyError:
        raise KeyError(f"unknown topic {topic!r}") from None
