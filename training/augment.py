"""A generated training source ("templates"): harmless identity mentions and threats of violence.

Why: a model trained on hate-speech and contrast data sees group names almost only in hateful
rows, so it learns that naming a group *is* hate and flags "my landlord is Muslim" or "proud of
my deaf students". The public sets also hold few threats, and most of those are explicit, so a
model misses "I know where you live" and threats written in the future or past tense.

What it teaches:

* neutral and positive statements that mention an identity group are harmless: all six labels
  are 0 (:data:`IDENTITY_TEMPLATES` crossed with :data:`GROUPS`);
* explicit and implied threats of violence against a person are threats: ``toxic`` and
  ``threat`` are 1 and the other labels unknown (``NaN``), because a threat may or may not also
  be obscene or an insult; the most graphic ones also set ``severe_toxic`` to 1
  (:data:`VIOLENT_ACTS` crossed with :data:`THREAT_FRAMES`, plus :data:`IMPLIED_THREATS`).

The rows are a pure function of the templates (no randomness), so the same text always lands in
the same split. The templates are our own and share no sentence with the identity-term check
(:mod:`training.identity`) or the functional suite (:mod:`training.functional`), which are
evaluation data; a test holds this to no shared 6-word run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from classifier.labels import LABELS
from training.datasets import LabeledSet

#: The source name of every row.
SOURCE: Final = "templates"

#: Group kinds; a template that only reads well for some kinds names them.
HERITAGE: Final = frozenset({"religion", "ethnicity", "nationality"})
#: Every kind but age, for templates about children or growing up.
NOT_AGE: Final = frozenset(
    {"religion", "ethnicity", "nationality", "origin", "gender", "orientation", "disability"}
)


@dataclass(frozen=True)
class Group:
    """An identity group: ``adjective`` before a noun ("a Sikh nurse"), ``people`` as a plural."""

    adjective: str
    people: str
    kind: str

    @property
    def article(self) -> str:
        """The article for the adjective: "an Irish", "a Ukrainian", "an elderly"."""
        first = self.adjective[:1].lower()
        return "an" if first in "aeio" else "a"


#: Groups named in hate-speech data, and others, across every kind.
GROUPS: Final = (
    Group("Muslim", "Muslims", "religion"),
    Group("Jewish", "Jewish people", "religion"),
    Group("Christian", "Christians", "religion"),
    Group("Catholic", "Catholics", "religion"),
    Group("Hindu", "Hindus", "religion"),
    Group("Sikh", "Sikhs", "religion"),
    Group("Buddhist", "Buddhists", "religion"),
    Group("atheist", "atheists", "religion"),
    Group("Black", "Black people", "ethnicity"),
    Group("white", "white people", "ethnicity"),
    Group("Asian", "Asian people", "ethnicity"),
    Group("Latino", "Latinos", "ethnicity"),
    Group("Hispanic", "Hispanic people", "ethnicity"),
    Group("Arab", "Arabs", "ethnicity"),
    Group("Indigenous", "Indigenous people", "ethnicity"),
    Group("Roma", "Roma people", "ethnicity"),
    Group("Mexican", "Mexicans", "nationality"),
    Group("Chinese", "Chinese people", "nationality"),
    Group("Indian", "Indians", "nationality"),
    Group("Nigerian", "Nigerians", "nationality"),
    Group("Pakistani", "Pakistanis", "nationality"),
    Group("Somali", "Somalis", "nationality"),
    Group("Polish", "Polish people", "nationality"),
    Group("Irish", "Irish people", "nationality"),
    Group("Syrian", "Syrians", "nationality"),
    Group("Ukrainian", "Ukrainians", "nationality"),
    Group("Filipino", "Filipinos", "nationality"),
    Group("Haitian", "Haitians", "nationality"),
    Group("immigrant", "immigrants", "origin"),
    Group("refugee", "refugees", "origin"),
    Group("female", "women", "gender"),
    Group("male", "men", "gender"),
    Group("transgender", "trans people", "gender"),
    Group("nonbinary", "nonbinary people", "gender"),
    Group("gay", "gay people", "orientation"),
    Group("lesbian", "lesbians", "orientation"),
    Group("bisexual", "bisexual people", "orientation"),
    Group("queer", "queer people", "orientation"),
    Group("disabled", "disabled people", "disability"),
    Group("deaf", "deaf people", "disability"),
    Group("blind", "blind people", "disability"),
    Group("autistic", "autistic people", "disability"),
    Group("elderly", "elderly people", "age"),
    Group("young", "young people", "age"),
)

#: Harmless sentences. ``{adj}``, ``{a_adj}`` ("an Irish"), ``{A_adj}`` and ``{people}`` /
#: ``{People}`` are filled from a :class:`Group`; the second item limits a template to some group
#: kinds (``None``: every group).
IDENTITY_TEMPLATES: Final[tuple[tuple[str, frozenset[str] | None], ...]] = (
    # neutral
    ("{A_adj} family moved into the flat upstairs last spring.", HERITAGE),
    ("{A_adj} student won the regional science fair this year.", NOT_AGE),
    ("The clinic hired {a_adj} nurse for the night shift.", None),
    ("My cousin is {adj} and works as an electrician.", None),
    ("There are {people} in almost every profession.", None),
    ("The survey asked {people} what they think of public transport.", None),
    ("Local {people} organised a bake sale for the library.", None),
    ("The documentary follows three {adj} families through one winter.", HERITAGE),
    ("Is it true that the new mayor is {adj}?", None),
    ("The conference had a panel of {adj} engineers.", None),
    ("{People} pay taxes and complain about the weather like everyone else.", None),
    ("The report counts how many {people} live in rural areas.", None),
    ("I met {a_adj} author at the book signing on Saturday.", None),
    ("My in-laws are {adj} and ran a bakery for thirty years.", HERITAGE),
    ("He mentioned that he is {adj} when we talked about our families.", None),
    ("The new podcast interviews {people} about their first jobs.", None),
    ("Some of my coworkers are {adj}.", None),
    ("The football club signed two {adj} players this season.", None),
    ("A group of {people} met at the park for a picnic.", None),
    ("The history class covered what life was like for {people} a century ago.", None),
    ("We asked {adj} parents what they want from the school.", None),
    ("Are there many {people} in your town?", None),
    ("My landlord is {adj} and fixes things quickly.", None),
    ("She wrote her thesis about {adj} painters of the 1920s.", None),
    ("The city council includes two {adj} members.", None),
    ("{A_adj} couple runs the hardware store on Main Street.", HERITAGE),
    ("I'm {adj}, and I work night shifts at the hospital.", None),
    ("The bus driver on my route is {adj} and always says good morning.", None),
    ("My roommate is {adj} and studies chemistry.", None),
    ("The census form asks whether you are {adj}.", None),
    ("Our dentist is {adj}; the appointment took ten minutes.", None),
    ("The novel's main character is {a_adj} detective in Chicago.", None),
    ("Two {adj} volunteers run the food bank on weekends.", None),
    ("The {adj} owners of the cafe added vegan options to the menu.", None),
    # positive
    ("{People} have made huge contributions to science and art.", None),
    ("I love working with {people}; my team is better for it.", None),
    ("{People} deserve the same respect and safety as anyone else.", None),
    ("Proud to stand with my {adj} neighbours.", None),
    ("{People} are welcome here, always.", None),
    ("The best teacher I ever had was {adj}.", None),
    ("So happy to see more {adj} voices in journalism.", None),
    ("My {adj} friends are some of the kindest people I know.", None),
    ("Thank you to all the {adj} volunteers who helped at the shelter.", None),
    ("{People} enrich our community in countless ways.", None),
    ("Nobody should be treated badly for being {adj}.", None),
    ("It was great to hear {adj} speakers at the festival.", None),
    ("Celebrating the achievements of {people} this month.", None),
    ("{People} are just people, with jobs, families and hobbies.", None),
    ("Our school is a safe place for {adj} kids.", NOT_AGE),
    ("Glad my daughter has {adj} classmates; she learns so much from them.", NOT_AGE),
    ("The {adj} candidate gave the strongest answers in the debate.", None),
    ("Growing up {adj} taught me a lot about patience.", NOT_AGE),
    ("{People} are an important part of this country's story.", None),
    ("Respect to the {adj} athletes who competed this weekend.", None),
    ("Every {adj} colleague I've had has been a pleasure to work with.", None),
    ("{People} belong in every boardroom and every classroom.", None),
    # questions and discussion
    ("What do {people} in your area think about the new law?", None),
    ("How can schools better support {adj} students?", NOT_AGE),
    ("Any recommendations for books by {adj} writers?", None),
    ("Is there a support group for {adj} teenagers nearby?", NOT_AGE),
    ("The article about {adj} entrepreneurs was really well researched.", None),
    ("{People} are underrepresented in the tech industry, according to the study.", None),
    ("Discrimination against {people} is still common in housing, the report found.", None),
    ("The workshop is about making offices accessible and welcoming to {people}.", None),
)


@dataclass(frozen=True)
class Target:
    """Who a threat is aimed at, in the forms a sentence needs."""

    subject: str
    object: str
    possessive: str
    #: "s" for a third-person singular subject ("he lives"), "" otherwise ("you live").
    s: str
    be: str


#: Second and third person, singular and plural, named roles.
TARGETS: Final = (
    Target("you", "you", "your", "", "are"),
    Target("he", "him", "his", "s", "is"),
    Target("she", "her", "her", "s", "is"),
    Target("they", "them", "their", "", "are"),
    Target("that reporter", "that reporter", "that reporter's", "s", "is"),
    Target("your brother", "your brother", "your brother's", "s", "is"),
    Target("the landlord", "the landlord", "the landlord's", "s", "is"),
    Target("my ex", "my ex", "my ex's", "s", "is"),
)

#: Violent acts as verb phrases; ``{obj}`` / ``{poss}`` take the target. The flag marks the
#: graphic ones that are also ``severe_toxic``.
VIOLENT_ACTS: Final = (
    ("kill {obj}", False),
    ("stab {obj}", False),
    ("shoot {obj}", False),
    ("strangle {obj}", False),
    ("beat {obj} senseless", False),
    ("break {poss} legs", False),
    ("smash {poss} face in", False),
    ("run {obj} over with my car", False),
    ("hunt {obj} down", False),
    ("put a bullet in {poss} head", False),
    ("burn {poss} house down", False),
    ("drown {obj} in the lake", False),
    ("choke {obj} until {subj} stop{s} moving", True),
    ("slit {poss} throat", True),
    ("cut {obj} into pieces", True),
    ("burn {obj} alive", True),
)

#: Frames for an act: first person and calls on others, future, present and past.
THREAT_FRAMES: Final = (
    "I will {act}, mark my words.",
    "I'm going to {act}.",
    "im gonna {act} tonight",
    "I swear to god I will {act}.",
    "Someone needs to {act}.",
    "We are going to {act}, just wait.",
    "I have already planned exactly how to {act}.",
    "I can't wait to {act}.",
    "Last night I nearly drove over there to {act}.",
    "Next week I am going to {act} and nobody will stop me.",
    "One day soon I'll {act}.",
    "If I ever see {obj} again I will {act}.",
    "My friends and I are coming to {act}.",
    "Keep it up and I'll {act}.",
    # conditional: a demand, then the act
    "Say that again, even once, and I will {act}.",
    "Show {poss} face on this street again and I'll {act}.",
    "Call the cops and I swear I'll {act}.",
    "Unless the money is back by Friday, I'm going to {act}.",
)

#: Threats with no violent verb: the menace is implied.
IMPLIED_THREATS: Final = (
    "I know where {subj} live{s}, and I know when {subj} {be} alone.",
    "{Subj} had better watch {poss} back from now on.",
    "{Subj} won't see the next birthday, I promise.",
    "It would be a shame if something happened to {poss} kids.",
    "I've got a shovel and a spot picked out for {obj}.",
    "Nobody would ever find {obj}. Think about that.",
    "I'm outside {poss} house right now.",
    "I have a gun and {poss} address. Do the math.",
    "Enjoy {poss} last week on earth.",
    "{Subj} should start checking under the car every morning.",
    "I've been sitting outside {poss} work every day, waiting.",
    "The next time {subj} walk{s} home alone will be the last time.",
    "Accidents happen to people like {obj}. Bad ones.",
    "I bought rope today. Guess who it's for? {Obj}.",
    "Sleep with one eye open, because I'm coming for {obj}.",
    "Say goodbye to {poss} family while {subj} still can.",
    "I took photos of {poss} house and {poss} car. See you soon.",
    "Nobody is going to recognise {obj} when I'm done.",
    "I hope {subj} like{s} hospital food, because that's where {subj} {be} going.",
    "Everyone will be reading about {obj} in the obituaries.",
    # conditional: a demand, then an implied consequence
    "Talk to the police and {subj} won't make it home.",
    "Testify tomorrow and {poss} family pays for it.",
    "Leave this town by Sunday or {subj} end{s} up at the bottom of the river.",
    "Tell anyone about this and {subj} will regret being born.",
    "Do that again and nobody will ever find {obj}.",
    "One more post about me and {poss} kids stop being safe.",
    "Shame if {poss} car caught fire tonight.",
    "{Subj} should think about {poss} family before saying another word.",
    "I'd be careful walking home tonight if I were {obj}.",
    "Mess with me again and {subj}'ll be eating through a straw.",
    "Keep talking. We'll see how brave {subj} {be} when I find {obj}.",
)

#: Targets per act and frame; the target rotates so that every one appears with every frame.
_TARGETS_PER_ACT: Final = 3


#: Claims that demean a group, completing "{People} are ...". Alone they are hate; negated,
#: quoted to condemn them, or reported, the same words are not (:func:`contrast_rows`).
HATEFUL_CLAIMS: Final = (
    "born criminals",
    "a disease on this society",
    "subhuman filth",
    "parasites living off the rest of us",
    "too stupid to be allowed to vote",
    "vermin that should be exterminated",
    "lazy thieves, every single one",
    "animals, not real people",
    "a plague on every country they enter",
    "genetically inferior",
)

#: Milder stereotypes, completing "{People} are ...": asserted they are still hate, and they are
#: what a denial usually denies.
STEREOTYPE_CLAIMS: Final = (
    "dishonest",
    "violent by nature",
    "dirty",
    "terrorists",
    "bad parents",
    "a drain on the welfare system",
    "stupid",
    "ruining this country",
)

#: Frames that state a claim as one's own view: hate (``toxic`` and ``identity_hate`` 1).
ASSERTING_FRAMES: Final = (
    "{People} are {claim}.",
    "Face it, {people} are {claim}.",
    "everyone knows {people} are {claim}",
    "Honestly, {people} are {claim} and I'm tired of pretending otherwise.",
)

#: Frames that deny a claim: harmless (every label 0).
NEGATING_FRAMES: Final = (
    "There is zero truth in saying {people} are {claim}.",
    "It is a lie that {people} are {claim}.",
    "Nobody sensible thinks {people} are {claim}.",
    "My grandad claimed {people} are {claim}, and he was flat wrong.",
    "The idea that {people} are {claim} has been debunked again and again.",
    "Claiming that {people} are {claim} is plain bigotry.",
)

#: Plain denials of a claim: harmless (every label 0). "not" alone must not make text safe,
#: though: see :data:`NEGATED_WORTH`.
DENYING_FRAMES: Final = (
    "{People} are not {claim}.",
    "{People} aren't {claim}, and they never were.",
    "I do not believe {people} are {claim}.",
    "No, {people} are not {claim}. Stop repeating that.",
    "I've known plenty of {people} and none of them are {claim}.",
    "The {people} I know are not {claim} in the slightest.",
)

#: Frames that quote a claim to condemn or report it: harmless (every label 0).
QUOTING_FRAMES: Final = (
    'A stranger yelled "{People} are {claim}" at my neighbour, and I called it out.',
    'Got a DM saying "{people} are {claim}". Reported and blocked.',
    'The graffiti read "{People} are {claim}", so we painted over it on Saturday.',
    'Posts like "{people} are {claim}" should get accounts banned.',
    'Our teacher showed us old posters reading "{People} are {claim}" to explain propaganda.',
    'He really thinks "{people} are {claim}" counts as an opinion. It is bigotry.',
)

#: More ways to condemn a claim while repeating it: harmless (every label 0).
CONDEMNING_FRAMES: Final = (
    "Calling {people} {claim} is bigotry, full stop.",
    "Whoever wrote that {people} are {claim} owes everyone an apology.",
    "I'm sick of reading comments claiming {people} are {claim}.",
    "My mum heard a man say {people} are {claim} and she set him straight.",
)

#: Hate phrased as a negation: denying a group worth, rights or humanity (``toxic`` and
#: ``identity_hate`` 1), the counterweight to the denials above.
NEGATED_WORTH: Final = (
    "{People} are not human beings.",
    "{People} don't deserve to live among us.",
    "{People} should not be allowed to vote.",
    "{People} will never be our equals.",
    "No {adj} person deserves an ounce of respect.",
    "I would never trust {a_adj} person with anything.",
    "{People} have no place in decent society.",
)

#: Telling someone to leave because of where they or their family come from: hate
#: (``toxic`` and ``identity_hate`` 1), with no slur and no group named.
CODED_EXCLUSION: Final = (
    "Pack your bags and return to your own land.",
    "Nobody invited your kind, so leave.",
    "This land belongs to us, not to the likes of you. Leave.",
    "Your people don't belong in this town.",
    "We were fine here before you lot turned up.",
    "Take your whole family and leave our country.",
    "Why are you still here? Your homeland is waiting for you.",
    "You will never count as a local here, however many years pass.",
    "Real locals don't want people like you next door.",
    "Get on a boat and go home where you belong.",
    "Your kind ruins every neighbourhood you move into.",
    "Nobody here asked for you, go home.",
    "Go back to your own country and take your customs with you.",
    "Speak our language or leave.",
    "People like you should never have been given a passport.",
    "Your type isn't welcome in this village.",
    "This country is for us, not for you.",
    "Don't get comfortable here, you're not staying.",
    "We don't rent to your kind.",
)

#: The same, aimed at a group: "{People} should ...".
CODED_EXCLUSION_GROUP: Final = (
    "{People} should be shipped back where they belong.",
    "Send {people} back home, every last one of them.",
    "{People} will never really belong here.",
    "This town was better before {people} moved in.",
)

#: Conditionals with no menace: harmless (every label 0), the contrast to conditional threats.
BENIGN_CONDITIONALS: Final = (
    "If you show up late again, I'll start the meeting without you.",
    "Say that again and I'll print it on a T-shirt.",
    "Call me when you land and I'll pick you up.",
    "Unless the parcel arrives by Friday, I'm going to ask for a refund.",
    "Talk to the landlord and he'll fix the heating.",
    "Keep practising and you'll beat me at chess by spring.",
    "Leave the keys under the mat if I'm not home.",
    "Tell anyone about the surprise party and I'll never forgive you, haha.",
    "Do that again and the whole team will want lessons from you.",
    "Show up at the market on Sunday and I'll buy you a coffee.",
)


def _fill_group(template: str, group: Group) -> str:
    a_adj = f"{group.article} {group.adjective}"
    people = group.people[0].upper() + group.people[1:]
    return template.format(
        adj=group.adjective,
        a_adj=a_adj,
        A_adj=a_adj[0].upper() + a_adj[1:],
        people=group.people,
        People=people,
    )


def _fill_target(template: str, target: Target) -> str:
    return template.format(
        subj=target.subject,
        Subj=target.subject[0].upper() + target.subject[1:],
        obj=target.object,
        Obj=target.object[0].upper() + target.object[1:],
        poss=target.possessive,
        s=target.s,
        be=target.be,
    )


def identity_rows() -> list[str]:
    """Every harmless identity sentence, in template then group order (no duplicates)."""
    rows: list[str] = []
    for template, kinds in IDENTITY_TEMPLATES:
        for group in GROUPS:
            if kinds is None or group.kind in kinds:
                rows.append(_fill_group(template, group))
    return list(dict.fromkeys(rows))


def threat_rows() -> list[tuple[str, bool]]:
    """Every threat sentence with whether it is severe, in a fixed order (no duplicates)."""
    rows: dict[str, bool] = {}
    for f, frame in enumerate(THREAT_FRAMES):
        for a, (act, severe) in enumerate(VIOLENT_ACTS):
            for k in range(_TARGETS_PER_ACT):
                target = TARGETS[(f + a + k * 3) % len(TARGETS)]
                text = _fill_target(frame.replace("{act}", act), target)
                rows.setdefault(text, severe)
    for template in IMPLIED_THREATS:
        for target in TARGETS:
            rows.setdefault(_fill_target(template, target), False)
    return list(rows.items())


def _fill_claim(frame: str, group: Group, claim: str) -> str:
    return _fill_group(frame.replace("{claim}", claim), group)


def contrast_rows() -> list[tuple[str, bool]]:
    """Hateful claims about groups asserted (hate: True), denied, negated or quoted to condemn
    them (harmless: False), hate phrased as a negation (hate), coded exclusion (hate) and
    menace-free conditionals (harmless).

    Each frame is crossed with every claim, and the group rotates, so that every group is both
    attacked and defended: the words of a slur or stereotype do not decide the label, the frame
    does.
    """
    rows: dict[str, bool] = {}
    n = len(GROUPS)
    claims = HATEFUL_CLAIMS + STEREOTYPE_CLAIMS
    for frames, hateful, claim_set in (
        (ASSERTING_FRAMES, True, claims),
        (NEGATING_FRAMES, False, HATEFUL_CLAIMS),
        (QUOTING_FRAMES, False, HATEFUL_CLAIMS),
        (DENYING_FRAMES, False, claims),
        (CONDEMNING_FRAMES, False, claims),
    ):
        for f, frame in enumerate(frames):
            for c, claim in enumerate(claim_set):
                for k in range(3):
                    group = GROUPS[(7 * f + 3 * c + k * (n // 3)) % n]
                    rows.setdefault(_fill_claim(frame, group, claim), hateful)
    for f, frame in enumerate(NEGATED_WORTH):
        for k in range(len(GROUPS) // 2):
            rows.setdefault(_fill_group(frame, GROUPS[(2 * k + f) % n]), True)
    for text in CODED_EXCLUSION:
        rows.setdefault(text, True)
    for template in CODED_EXCLUSION_GROUP:
        for group in GROUPS:
            if group.kind in HERITAGE or group.kind == "origin":
                rows.setdefault(_fill_group(template, group), True)
    for text in BENIGN_CONDITIONALS:
        rows.setdefault(text, False)
    return list(rows.items())


def load_templates() -> LabeledSet:
    """The generated source: identity rows (all labels 0), threat rows, then contrast rows.

    Threat rows have ``toxic`` and ``threat`` 1, ``severe_toxic`` 1 for the graphic acts, and
    every other label ``NaN`` (unknown). Hateful contrast rows have ``toxic`` and
    ``identity_hate`` 1 and the rest unknown (a group attack may or may not be obscene, and a
    claim is not a threat); harmless contrast rows are 0 on every label.
    """
    harmless = identity_rows()
    threats = threat_rows()
    contrast = contrast_rows()
    labels = np.zeros((len(harmless) + len(threats) + len(contrast), len(LABELS)), np.float32)
    threat_labels = labels[len(harmless) : len(harmless) + len(threats)]
    threat_labels[:] = np.nan
    threat_labels[:, LABELS.index("toxic")] = 1.0
    threat_labels[:, LABELS.index("threat")] = 1.0
    severe = np.array([is_severe for _, is_severe in threats], dtype=bool)
    threat_labels[severe, LABELS.index("severe_toxic")] = 1.0
    contrast_labels = labels[len(harmless) + len(threats) :]
    hateful = np.array([is_hate for _, is_hate in contrast], dtype=bool)
    contrast_labels[hateful] = np.nan
    contrast_labels[hateful, LABELS.index("toxic")] = 1.0
    contrast_labels[hateful, LABELS.index("identity_hate")] = 1.0
    texts = harmless + [text for text, _ in threats] + [text for text, _ in contrast]
    return LabeledSet(texts=texts, labels=labels, sources=[SOURCE] * len(texts))
