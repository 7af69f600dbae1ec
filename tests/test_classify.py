"""Topic rules and country mentions on short texts in the three languages (pure, no Redis)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import Classifier, cut_related, load_countries
from monitor.config import Config, LanguageRules, TopicConfig, TopicsFile
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(Config.load(ROOT / "config").topics, load_countries())


def small(
    terms: dict[str, float],
    exclude: tuple[str, ...] = (),
    lang: str = "en",
    context: dict[str, float] | None = None,
    **topic: float,
) -> Classifier:
    """A one-topic classifier ("t", threshold 1) with the given rules."""
    rules = LanguageRules(terms=terms, exclude=exclude, context=context or {})
    config = TopicConfig(threshold=topic.get("threshold", 1.0), min_distinct_terms=1, languages={lang: rules})
    return Classifier(TopicsFile(topics={"t": config}))


def terms_of(result, topic: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {ev.term for ev in result.evidence.get(topic, [])}


def test_arabic_terms_match_through_clitics_and_suffixes(classifier: Classifier) -> None:
    """للإرهابيين، والتطرف and المتطرفة match the base terms إرهابي, تطرف and متطرف (the last two
    context terms: abstract words that add to the score but need a concrete term beside them)."""
    result = classifier.classify(
        "هجوم إرهابي في سيناء",
        "أعلنت السلطات أن خلية إرهابية نفذت الهجوم، "
        "وتعهدت بملاحقة الإرهابيين ومكافحة التطرف والعناصر المتطرفة.",
        "ar",
    )
    assert "counter-terrorism" in result.labels
    assert {"هجوم إرهابي", "خلية إرهابية", "إرهابي", "تطرف", "متطرف"} <= terms_of(result, "counter-terrorism")


def test_arabic_abstract_terrorism_in_political_speech_is_no_label(classifier: Classifier) -> None:
    """A minister decrying the EU's "extremism" and "terrorism" names no attack, group or terrorist:
    the abstract nouns are context in Arabic, so no label; a clash "with terrorists" is one."""
    speech = classifier.classify(
        "وزير خارجية إيران ينتقد تطرف الاتحاد الأوروبي",
        "قال الوزير إن الإرهاب والتطرف في أوروبا يهددان الحوار.",
        "ar",
    )
    assert "counter-terrorism" not in speech.labels
    assert {"إرهاب", "تطرف"} <= terms_of(speech, "counter-terrorism")
    clash = classifier.classify("الجزائر: إصابة 4 أمنيين في تبادل إطلاق نار مع إرهابيين", "", "ar")
    assert clash.labels == ["counter-terrorism"] and "إرهابي" in terms_of(clash, "counter-terrorism")


@pytest.mark.timeout(60)
def test_a_run_of_millions_of_letters_without_a_space_does_not_stall(classifier: Classifier) -> None:
    """A page body that is one 5,000,000-letter "word" (a broken export, a data blob) took over ten
    minutes: every prefix of the token was looked up. Only prefixes as long as the longest prefix
    term are now; a real term at the start of such a run still counts. (A hang guard, not a speed
    target: before the fix this test timed out.)"""
    blob = classifier.classify("", "a" * 5_000_000, "en")
    assert blob.labels == [] and blob.topics["counter-terrorism"] == 0
    glued = classifier.classify("", "terrorism" + "x" * 1_000_000, "en")
    assert terms_of(glued, "counter-terrorism") == {"terroris*"}


def test_a_vendor_is_no_pledge_of_allegiance(classifier: Classifier) -> None:
    """بائع (a seller) normalizes to بايع, the verb of pledging allegiance to a group: the verb
    counts only as "بايع تنظيم" / "بايعوا", never alone (a court story about a greengrocer)."""
    vendor = classifier.classify("محاكمة بائع خضراوات متهم بالتعدي على فتاة", "تنظر المحكمة القضية اليوم.", "ar")
    assert vendor.labels == [] and not terms_of(vendor, "counter-terrorism")
    pledge = classifier.classify("مسلحون بايعوا تنظيم داعش يهاجمون قرية", "قتل عشرة مدنيين في الهجوم.", "ar")
    assert "counter-terrorism" in pledge.labels and "بايعوا" in terms_of(pledge, "counter-terrorism")


def test_arabic_football_terror_is_excluded(classifier: Classifier) -> None:
    """"إرهاب هجومي" and "الإرهاب الكروي" (attacking football that terrorises defences) are
    exclusions: no counter-terrorism evidence at all (found in an analyst's trial)."""
    result = classifier.classify(
        "إرهاب هجومي: ريال مدريد يكتسح برشلونة بخماسية",
        "قدم ريال مدريد عرضا مرعبا في الدوري الإسباني ووصفت الصحف أداءه بالإرهاب الكروي.",
        "ar",
    )
    assert result.labels == [] and result.topics["counter-terrorism"] <= 0


def test_arabic_hamza_ta_marbuta_and_diacritics_are_folded() -> None:
    """A term written with hamza and ta marbuta matches text written without them and with harakat."""
    clf = small({"وزارة الخارجية": 3}, lang="ar")
    result = clf.classify("", "صرّح المتحدث باسم وزاره الخارجيّه اليوم", "ar")
    assert terms_of(result, "t") == {"وزارة الخارجية"}
    result = clf.classify("", "وأكدت وزارةُ الخارجيةِ", "ar")
    assert result.evidence["t"][0].count == 1


def test_arabic_minister_is_not_cut_to_a_stem() -> None:
    """وزير الخارجية matches وزير and وزيرة, and ووزير with a conjunction (no Snowball زير)."""
    clf = small({"وزير الخارجية": 3}, lang="ar")
    text = "التقى وزير الخارجية بوزيرة الخارجية الألمانية ثم ووزير الخارجية القطري"
    assert clf.classify("", text, "ar").evidence["t"][0].count == 3


def test_english_inflections_and_evidence_place(classifier: Classifier) -> None:
    """terroris* catches terrorists and terrorism; a title match is reported as such."""
    result = classifier.classify(
        "Suicide bombing kills 12 at checkpoint",
        "Police said the terrorists belonged to a militant group; counter-terrorism units were deployed "
        "against terrorism.",
        "en",
    )
    assert result.labels == ["counter-terrorism"]
    where = {(ev.term, ev.where) for ev in result.evidence["counter-terrorism"]}
    assert ("suicide bomb*", "title") in where
    assert ("terroris*", "body") in where
    terroris = next(ev for ev in result.evidence["counter-terrorism"] if ev.term == "terroris*")
    assert terroris.count == 2


def test_french_inflections_and_accent_folding() -> None:
    """terroris* matches terroriste/terrorisme, diplomat* matches diplomatique/diplomatie, État meets Etat."""
    clf = small({"terroris*": 1, "diplomat*": 1, "État islamique": 1}, lang="fr")
    result = clf.classify(
        "", "Un terroriste, le terrorisme, la diplomatie, un incident diplomatique, l'Etat islamique", "fr"
    )
    counts = {ev.term: ev.count for ev in result.evidence["t"]}
    assert counts == {"terroris*": 2, "diplomat*": 2, "État islamique": 1}


def test_french_diplomacy_with_countries(classifier: Classifier) -> None:
    """A French official visit with talks is diplomacy, not counter-terrorism; Alger, algérien are DZ."""
    result = classifier.classify(
        "Visite officielle du ministre des Affaires étrangères à Alger",
        "Le ministre a rencontré son homologue algérien pour des pourparlers sur la coopération bilatérale.",
        "fr",
    )
    assert result.labels == ["diplomacy"]
    assert result.countries == {"DZ": 2}


def test_exclusion_phrase_blocks_its_words() -> None:
    """Words inside an exclusion phrase never count; the same word elsewhere still does."""
    clf = small({"diplomatic": 2}, exclude=("diplomatic answer",))
    result = clf.classify("", "He gave a diplomatic answer. The diplomatic row grew.", "en")
    assert result.evidence["t"][0].count == 1


def test_an_exclusion_holds_for_its_own_topic_only() -> None:
    """A phrase excluded from one topic still counts for another: excluded from "a", "state sponsor
    of terrorism" is a term of "b"; and a country inside an excluded phrase is no mention."""
    a = TopicConfig(
        threshold=1.0, min_distinct_terms=1,
        languages={"en": LanguageRules(terms={"terroris*": 2}, exclude=("state sponsor of terrorism", "French fries"))},
    )
    b = TopicConfig(threshold=1.0, min_distinct_terms=1, languages={"en": LanguageRules(terms={"state sponsor": 3})})
    clf = Classifier(TopicsFile(topics={"a": a, "b": b}), load_countries())
    result = clf.classify("Russia named a state sponsor of terrorism", "He ate French fries.", "en")
    assert result.labels == ["b"] and result.topics["a"] == 0.0
    assert result.countries == {"RU": 1}


@pytest.mark.parametrize(
    ("language", "title", "text", "term"),
    [
        (
            "en", "European Parliament designates Russia a state sponsor of terrorism",
            "The European Union's lawmakers urged Moscow to withdraw.", "state sponsor of terrorism",
        ),
        (
            "fr", "Le Parlement européen désigne la Russie comme État soutenant le terrorisme",
            "L'Union européenne exhorte Moscou à se retirer.", "État soutenant le terrorisme",
        ),
        (
            "ar", "البرلمان الأوروبي يصنف روسيا دولة راعية للإرهاب",
            "وطالب الاتحاد الأوروبي موسكو بالانسحاب.", "دولة راعية للإرهاب",
        ),
    ],
)
def test_a_state_named_sponsor_of_terrorism_is_diplomacy_not_counter_terrorism(
    classifier: Classifier, language: str, title: str, text: str, term: str
) -> None:
    """Designating a state (no militant group) is a foreign-policy act, as the labelling passes read
    it: the phrase is excluded from counter-terrorism and is a diplomacy term."""
    result = classifier.classify(title, text, language)
    assert result.labels == ["diplomacy"]
    assert result.topics["counter-terrorism"] == 0.0 and term in terms_of(result, "diplomacy")


def test_jihad_as_a_word_is_weaker_than_jihadists(classifier: Classifier) -> None:
    """"Le djihad contre l'ignorance" alone in a headline is no label; jihadists and the Islamic Jihad
    group are."""
    metaphor = classifier.classify("Le djihad contre l'ignorance est déclaré", "Le forum a ouvert samedi.", "fr")
    assert metaphor.labels == []
    group = classifier.classify("What is Islamic Jihad, the group Israel blamed?", "It was founded in 1981.", "en")
    assert group.labels == ["counter-terrorism"] and "Islamic Jihad" in terms_of(group, "counter-terrorism")
    fighters = classifier.classify("Les djihadistes frappent une caserne", "Le bilan est lourd.", "fr")
    assert "djihadis*" in terms_of(fighters, "counter-terrorism")


@pytest.mark.parametrize(
    ("language", "title", "text", "claim"),
    [
        ("en", "Bomb kills 5 at a market in Maiduguri", "No group claimed responsibility for the bombing.",
         "claimed responsibility"),
        ("fr", "Attentat à Ouagadougou", "L'attaque n'a pas été revendiquée. Des hommes armés ont ouvert le feu.",
         "revendiqué*"),
        ("ar", "انفجار عبوة ناسفة في العريش", "لم تعلن أي جهة مسؤوليتها عن الهجوم حتى الآن.", "مسؤولية عن"),
        ("en", "Suicide bomber kills 14 at market in Borno", "No group immediately claimed responsibility.",
         "claimed responsibility"),
    ],
)
def test_a_claim_that_was_not_made_is_no_evidence(
    classifier: Classifier, language: str, title: str, text: str, claim: str
) -> None:
    """"No group claimed responsibility" is an exclusion: the claim term is not evidence, while the
    attack still labels (found by an analyst trial: the claim counted as positive evidence)."""
    result = classifier.classify(title, text, language)
    assert result.labels == ["counter-terrorism"]
    assert claim not in terms_of(result, "counter-terrorism")


def test_isis_style_is_a_comparison(classifier: Classifier) -> None:
    """"على طريقة داعش" (ISIS-style) about a provocative photo is a comparison, not the group."""
    result = classifier.classify("على طريقة داعش: ممثلة تظهر مع رأس مقطوع", "أثارت الصورة غضبا واسعا.", "ar")
    assert result.topics["counter-terrorism"] == 0.0


@pytest.mark.parametrize(
    ("language", "title", "text", "event"),
    [
        ("en", "Can the relationship between the US and Ukraine be saved?", "Trump launches tirade against Zelenskyy.",
         "relationship + UA, US"),
        ("en", "US switches stance on the war", "A war of words has broken out between Trump and Zelenskyy.",
         "war of words + UA, US"),
        ("fr", "Passe d'armes entre Macron et Tebboune", "Les deux présidents se sont répondu par communiqués.",
         "passe d'armes + DZ, FR"),
    ],
)
def test_a_relationship_or_a_war_of_words_between_leaders_is_diplomacy(
    classifier: Classifier, language: str, title: str, text: str, event: str
) -> None:
    """"Relationship", "war of words", "passe d'armes" are relation terms: between two leaders of
    different states they are a government-to-government event."""
    result = classifier.classify(title, text, language)
    assert result.labels == ["diplomacy"]
    assert event in terms_of(result, "diplomacy")


def test_false_friends_do_not_fire(classifier: Classifier) -> None:
    """A 'bombshell' announcement, a striker who is 'a terror' and a 'diplomatic answer' are not topics."""
    result = classifier.classify(
        "Club makes bombshell announcement",
        "The striker was a terror for defenders; the coach gave a diplomatic answer "
        "about the summit of the table.",
        "en",
    )
    assert result.labels == []


def test_arabic_sport_summit_and_diplomatic_reply_are_not_diplomacy(classifier: Classifier) -> None:
    """قمة الدوري (a top match) and رد دبلوماسي from a coach are sport, not diplomacy."""
    result = classifier.classify(
        "رد دبلوماسي من المدرب قبل قمة الدوري",
        "رد المدرب بشكل دبلوماسي على سؤال حول مباراة القمة أمام الزمالك في الدوري.",
        "ar",
    )
    assert result.labels == []


def test_military_exercise_is_no_topic(classifier: Classifier) -> None:
    """Allied troops on manoeuvres are neither counter-terrorism nor diplomacy."""
    result = classifier.classify(
        "Troops begin military exercise in the Baltic",
        "Soldiers from eleven allied countries started two weeks of drills "
        "with tanks and jets near the border.",
        "en",
    )
    assert result.labels == []


@pytest.mark.parametrize(
    ("language", "title", "text", "countries"),
    [
        ("en", "Houthis claim missile attack on container ship in Red Sea", "The Houthis said more would follow.",
         {"YE": 2}),
        ("ar", "الحوثيون يعلنون استهداف سفينة في خليج عدن", "", {"YE": 1}),
        ("fr", "Les Houthis revendiquent une attaque contre un navire", "", {"YE": 1}),
        ("en", "Israel strikes Hezbollah positions", "", {"IL": 1, "LB": 1}),
    ],
)
def test_a_group_bound_to_one_country_is_a_mention_of_it(
    classifier: Classifier, language: str, title: str, text: str, countries: dict[str, int]
) -> None:
    """``party_countries``: a Houthi attack on a ship names no state, but is Yemen's item for a Gulf
    desk's alert rule on YE; "Houthi" and "Houthis" in one part are one mention."""
    assert classifier.classify(title, text, language).countries == countries


def test_a_cell_of_a_group_is_an_attack_item_and_a_smuggling_cell_is_not(classifier: Classifier) -> None:
    """A Gulf state-security communiqué: a cell affiliated with Hezbollah seized with weapons is
    counter-terrorism (a trial found it held on context terms alone); a cell of a drug-smuggling
    gang is ordinary crime, which is counter-evidence."""
    hezbollah = classifier.classify(
        "أمن الدولة الكويتي يضبط خلية تابعة لحزب الله",
        "تمكن جهاز أمن الدولة في دولة الكويت من ضبط خلية على صلة بحزب الله وبحوزتها أسلحة وذخائر.",
        "ar",
    )
    assert hezbollah.labels == ["counter-terrorism"] and hezbollah.countries == {"KW": 2, "LB": 2}
    drugs = classifier.classify(
        "ضبط خلية تابعة لشبكة تهريب مخدرات", "ضبطت الشرطة خلية تابعة لعصابة تهريب المخدرات في الميناء.", "ar"
    )
    assert drugs.labels == []
    assert ("تهريب المخدرات", -2.0) in [(e.term, e.weight) for e in drugs.evidence["counter-terrorism"]]


def test_a_parade_speech_is_no_attack_and_an_attack_on_a_vdp_post_is_one(classifier: Classifier) -> None:
    """From a Sahel analyst's trial: a president praising "an army engaged against terrorism" at an
    independence-day parade is no counter-terrorism item; unidentified gunmen attacking a post of
    Burkina Faso's army auxiliaries (VDP) in Arbinda is one, with the attack event as evidence."""
    parade = classifier.classify(
        "Défilé militaire à N'Djamena pour la fête de l'indépendance",
        "Des milliers de soldats ont défilé samedi. Le président a salué « une armée engagée contre le "
        "terrorisme » devant le corps diplomatique.",
        "fr",
    )
    assert parade.labels == []
    attack = classifier.classify(
        "Des HANI attaquent un poste de VDP à Arbinda",
        "Des individus armés non identifiés ont attaqué dans la nuit de samedi un poste des Volontaires "
        "pour la défense de la patrie à Arbinda. Le bilan fait état de plusieurs morts.",
        "fr",
    )
    assert attack.labels == ["counter-terrorism"]
    assert [e.term for e in attack.evidence["counter-terrorism"]][:2] == ["attaque* + SAHEL", "individus armés"]
    assert attack.countries == {"BF": 2}


def test_economy_text_gets_no_topic(classifier: Classifier) -> None:
    """Case 17's kind of article, about wheat prices only, gets neither topic."""
    result = classifier.classify(
        "Le prix du blé recule",
        "Le cours du blé a baissé de 4 % cette semaine. Les meuniers attendent une stabilisation du prix "
        "de la farine d'ici l'été.",
        "fr",
    )
    assert result.labels == []
    assert result.topics == {"counter-terrorism": 0.0, "diplomacy": 0.0}


@pytest.mark.parametrize(
    ("language", "title", "text", "countries"),
    [
        ("en", "Gunmen attack checkpoint in North Sinai", "Militants opened fire near El-Arish.", {"EG": 2}),
        ("fr", "Attaque jihadiste à Cabo Delgado", "Des hommes armés ont attaqué un village.", {"MZ": 1}),
        ("ar", "هجوم مسلح على كمين للجيش في شمال سيناء", "قتل خمسة جنود قرب العريش.", {"EG": 2}),
        ("en", "Pirates seize tanker in the Gulf of Guinea", "It was boarded off the Niger Delta.", {"NG": 1}),
        ("en", "Latin American leaders meet", "South American and Central American states sent envoys.", {}),
        ("en", "Papua New Guinea election", "Voting in the New Guinea highlands.", {"PG": 2}),
        ("en", "Car bomb in Kirkuk", "A second blast hit Maiduguri.", {"IQ": 1, "NG": 1}),
        ("fr", "Attaque dans la région de Tillabéri", "Des renforts sont partis de Gao.", {"ML": 1, "NE": 1}),
        ("ar", "تفجير في كركوك", "وهجوم آخر في بيشاور.", {"IQ": 1, "PK": 1}),
        ("ar", "سيارة مفخخة في مصراتة", "وهجوم في شمال مالي على الجيش المالي.", {"LY": 1, "ML": 2}),
        ("ar", "الوضع المالي للحكومة", "تساقطت قطرات المطر بعد صلاة المغرب وأصيب في اليد اليمنى.", {}),
        ("ar", "الروس والأتراك في الحديدة", "اجتماع في ولاية النيجر قرب بحيرة تشاد.",
         {"RU": 1, "TR": 1, "YE": 1, "NG": 1}),
        ("en", "Bandits kidnap pupils in Niger State", "Hamas and the Lake Chad basin were not involved.",
         {"NG": 1, "PS": 1}),
        ("fr", "Piraterie dans le golfe de Guinée", "Un cyclone approche dans l'océan Indien.", {}),
        ("fr", "Le Real Madrid bat le Paris Saint-Germain", "Les Sud-Américains ont marqué.", {}),
        ("ar", "قرصنة في خليج غينيا", "إعصار في المحيط الهندي يضرب دول أميركا اللاتينية.", {}),
        ("ar", "ريال مدريد يفوز على باريس سان جيرمان", "وسجل لاعبو أمريكا الجنوبية.", {}),
        # Gulf cities that Houthi attacks name (a Gulf desk's trial), and مجريات (the course of events)
        ("en", "Houthi missile hits fuel depot in Jeddah", "Debris fell near Abqaiq; Sana'a denied it.",
         {"SA": 2, "YE": 2}),
        ("ar", "هجوم حوثي بطائرة مسيرة على مطار أبها", "وسيطر الفريق على مجريات اللقاء في المكلا.", {"SA": 1, "YE": 1}),
        ("en", "Lisbon is a mecca for surfers", "", {"PT": 1}),
    ],
)
def test_regions_that_news_names_instead_of_the_state_are_its_mentions(
    classifier: Classifier, language: str, title: str, text: str, countries: dict[str, int]
) -> None:
    """North Sinai, El-Arish, Cabo Delgado are Egypt and Mozambique, so an alert rule on EG or MZ
    sees the attack (an analyst's trial found such items had no country at all), as Kirkuk, Maiduguri,
    Tillabéri, Gao and Peshawar are Iraq, Nigeria, Niger, Mali and Pakistan; the Niger Delta is
    Nigeria's and New Guinea not Guinea's. Phrases of the gazetteer's ``not-a-country`` entry (the
    Gulf of Guinea, the Indian Ocean, Latin America, Real Madrid, Lake Chad) mention no country, nor do
    Arabic words that fold onto a name (قطرات drops, اليمنى the right hand, صلاة المغرب the sunset
    prayer, المالي financial). Misrata (مصراتة) is Libya although its stripped form is Egypt (مصر):
    a longer name wins."""
    assert classifier.classify(title, text, language).countries == countries


@pytest.mark.parametrize(
    ("title", "countries"),
    [
        ("مقتل جنود في هجوم على ثكنة عسكرية في مالي", {"ML": 1}),
        ("حكومة مالي الانتقالية تطرد السفير", {"ML": 1}),
        ("رئيس مالي يستقبل وزير الخارجية الجزائري", {"ML": 1, "DZ": 1}),
        ("هجمات قرب الحدود مع مالي وهجوم بمالي", {"ML": 2}),
        ("استقبل نظيره المالي في نيامي", {"ML": 1, "NE": 1}),
        ("كمين للجيش البوركينابي قرب عربيندا", {"BF": 2}),
        # "financial" after nouns of money and trade stays no country
        ("دعم مالي وعسكري للحكومة والسوق المالي ووزارة المالية", {}),
        ("المحللين الماليين يتوقعون عجز مالي", {}),
    ],
)
def test_arabic_mali_after_a_preposition_or_a_noun_of_state(
    classifier: Classifier, title: str, countries: dict[str, int]
) -> None:
    """مالي alone also means "financial"; after a preposition (في، من، إلى، مع، بـ) or a noun of
    state (حكومة، رئيس، نظيره) it is Mali. A Sahel analyst's trial found "هجوم ... في مالي" had no
    country, so an alert rule on ML never saw it."""
    assert classifier.classify(title, "", "ar").countries == countries


def test_countries_from_names_demonyms_and_arabic_adjectives(classifier: Classifier) -> None:
    """مصر، المصرية، بالقاهرة count as EG; الاتحاد الأوروبي as EU; counts are per mention."""
    result = classifier.classify(
        "مصر والاتحاد الأوروبي",
        "رحبت الحكومة المصرية بالتعاون مع الاتحاد الأوروبي خلال اجتماع بالقاهرة.",
        "ar",
    )
    assert result.countries == {"EG": 3, "EU": 2}


def test_country_false_friends_are_not_counted(classifier: Classifier) -> None:
    """English 'us', French 'eu' and Arabic مالي (financial) are not countries."""
    assert classifier.classify("", "Tell us what the minister said about it.", "en").countries == {}
    assert classifier.classify("", "Il a eu raison de venir.", "fr").countries == {}
    assert classifier.classify("", "أعلن البنك عن دعم مالي للشركات", "ar").countries == {}


def test_english_demonyms_and_capitals_count() -> None:
    """'Egyptian' and 'Cairo' count as EG, 'U.S.' and 'Washington' as US."""
    clf = Classifier(TopicsFile(topics={}), load_countries())
    result = clf.classify("", "The Egyptian minister left Cairo for Washington to meet U.S. officials.", "en")
    assert result.countries == {"EG": 2, "US": 2}


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # names that lost their first letters to a leading-article rule ("La" of "Laos", "Le" of
        # "Lebanon"), a DR Congo counted as the Republic of Congo, and names that were missing
        ("en", "Lebanese troops in Lebanon; Laos and Latvia.", {"LB": 2, "LA": 1, "LV": 1}),
        ("en", "DR Congo accuses Rwanda; Kinshasa and Kigali talk.", {"CD": 2, "RW": 2}),
        ("fr", "La RDC et la Biélorussie, puis le Vietnam et le Kosovo.", {"CD": 1, "BY": 1, "VN": 1, "XK": 1}),
        ("ar", "الكونغو الديمقراطية وبيلاروسيا وكوت ديفوار", {"CD": 1, "BY": 1, "CI": 1}),
        ("fr", "Il s'est cassé un os.", {}),
        # "eastern Congo" is the DRC (bare "Congo" stays the Republic); La Réunion the island, not a meeting
        ("en", "M23 rebels advance in eastern Congo; Brazzaville is calm.", {"CD": 1, "CG": 1}),
        ("ar", "اشتباكات في شرق الكونغو", {"CD": 1}),
        ("fr", "Cyclone sur l'île de La Réunion : les Réunionnais à l'abri.", {"RE": 2}),
        ("fr", "La réunion du conseil a eu lieu.", {}),
    ],
)
def test_country_names_that_the_gazetteer_once_got_wrong(language: str, text: str, expected: dict[str, int]) -> None:
    """Regression cases for scripts/build_countries.py, read from the generated gazetteer."""
    clf = Classifier(TopicsFile(topics={}), load_countries())
    assert clf.classify("", text, language).countries == expected


def test_score_is_weight_times_sublinear_count_and_title_weight() -> None:
    """Two body matches of weight 2 give 2*(1+ln 2); a title match is doubled."""
    clf = small({"envoy": 2})
    assert clf.classify("Report", "envoy and envoy", "en").topics["t"] == 3.39
    assert clf.classify("envoy", "", "en").topics["t"] == 4.0


def test_longer_phrase_wins_over_its_words() -> None:
    """'counter-terrorism' counts as the phrase only, not also as 'terrorism'."""
    clf = small({"terrorism": 1, "counter-terrorism": 3})
    result = clf.classify("", "A counter-terrorism unit.", "en")
    assert [(ev.term, ev.count) for ev in result.evidence["t"]] == [("counter-terrorism", 1)]


def test_invalid_prefix_term_names_topic_and_term() -> None:
    """A prefix term of two letters is refused with the topic, language and term in the error."""
    rules = LanguageRules.model_construct(terms={"ab*": 1.0}, exclude=(), against={})
    topics = TopicsFile.model_construct(
        topics={
            "security": TopicConfig.model_construct(
                threshold=1.0,
                title_weight=2.0,
                min_distinct_terms=1,
                length_pivot=250,
                length_slope=0.0,
                languages={"en": rules},
            )
        }
    )
    with pytest.raises(ConfigError, match=r"topic 'security', language 'en'.*'ab\*'"):
        Classifier(topics)


def test_teaser_headlines_after_a_related_heading_do_not_label(classifier: Classifier) -> None:
    """An economy item followed by 'À lire aussi' teasers about an attack and a visit gets no topic."""
    body = (
        "Les cours du maïs ont reculé de 3 % sur la semaine, selon les courtiers.\n"
        "Les éleveurs espèrent une baisse du prix des aliments d'ici l'automne.\n"
        "À lire aussi :\n"
        "- Attentat déjoué : deux suspects interpellés par l'antiterrorisme\n"
        "- Le ministre des Affaires étrangères en visite officielle à Rabat"
    )
    result = classifier.classify("Le maïs recule", body, "fr")
    assert result.labels == []
    assert result.countries == {}


def test_related_heading_cut_keeps_text_without_heading() -> None:
    """Only a short line that is a related-headlines heading cuts the body; prose mentioning it does not."""
    assert cut_related("Para one.\nاقرأ أيضاً\nTeaser") == "Para one.\n"
    prose = "He said: read more about the talks in our report.\nSecond paragraph."
    assert cut_related(prose) == prose


_FILLER = (
    "The council approved the budget for the new ring road on Tuesday after a long debate about "
    "costs, bus lanes and the timetable for works that will close two bridges next spring. "
    "Shopkeepers asked for compensation during the works and the mayor promised a fund for them. "
)


def test_one_term_deep_in_a_long_body_is_a_passing_mention(classifier: Classifier) -> None:
    """One counter-terrorism term after the lede does not label; the same sentence as the lede does."""
    passing = "The old concrete blocks placed as a counter-terrorism measure will be replaced by planters."
    deep = classifier.classify("Council approves ring road budget", _FILLER + passing, "en")
    assert deep.topics["counter-terrorism"] >= 5.0  # the score alone would label
    assert deep.labels == []
    lede = classifier.classify("Council approves ring road budget", passing + " " + _FILLER, "en")
    assert lede.labels == ["counter-terrorism"]


def test_two_different_terms_anywhere_are_more_than_a_passing_mention(classifier: Classifier) -> None:
    """Two distinct counter-terrorism terms after the lede still label the item."""
    body = _FILLER + "Militants claimed responsibility for a car bomb at the market, police said."
    result = classifier.classify("Council approves ring road budget", body, "en")
    assert result.labels == ["counter-terrorism"]


@pytest.mark.parametrize(
    ("title", "text", "lang"),
    [
        (
            "Kenyan president heads to Addis Ababa for talks with Ethiopian leader",
            "The two leaders are expected to discuss the dam, trade and the border during the two-day visit.",
            "en",
        ),
        (
            "Le président ghanéen en visite à Rabat",
            "Les deux chefs d'État doivent signer plusieurs accords et évoquer "
            "les relations entre les deux pays.",
            "fr",
        ),
        (
            "الرئيس الكيني يصل إلى أديس أبابا",
            "يبحث الرئيسان سبل تعزيز العلاقات بين البلدين والقضايا ذات الاهتمام المشترك.",
            "ar",
        ),
    ],
)
def test_visits_and_talks_between_leaders_are_diplomacy(
    classifier: Classifier, title: str, text: str, lang: str
) -> None:
    """A leader's visit and talks with a foreign leader are diplomacy without the word 'diplomatic'."""
    assert classifier.classify(title, text, lang).labels == ["diplomacy"]


def test_talks_with_unions_and_a_military_exercise_are_not_diplomacy(classifier: Classifier) -> None:
    """Domestic wage talks and allies' drills carry no topic."""
    wages = classifier.classify(
        "Rail operator resumes talks with unions",
        "Management held talks with the unions on Monday over pay; "
        "a mediator joined the meeting with both sides.",
        "en",
    )
    drills = classifier.classify(
        "NATO allies start military exercise in the Baltic",
        "Troops from nine allies began two weeks of military drills on Monday.",
        "en",
    )
    assert (wages.labels, drills.labels) == ([], [])


def test_a_counterterrorism_job_title_is_not_evidence(classifier: Classifier) -> None:
    """'a former counterterrorism adviser' hired by a broadcaster labels nothing."""
    result = classifier.classify(
        "Network hires former White House aide as analyst",
        "The network hired a former counterterrorism adviser to the president as a security analyst.",
        "en",
    )
    assert result.labels == [] and "counterterror*" not in terms_of(result, "counter-terrorism")


def test_alert_reason_lists_a_term_once_with_title_and_body_counts_added() -> None:
    """reason_for merges 'counter-terrorism' matched in title (1) and body (2) into one entry ×3;
    a negated match (it scored nothing) is not a reason."""
    import dataclasses

    from monitor.alerts import reason_for
    from monitor.config import AlertRule
    from monitor.model import Evidence, Item

    evidence = [
        Evidence("counter-terrorism", 1, "title", 4.0),
        Evidence("counter-terrorism", 2, "body", 4.0),
        Evidence("cell*", 1, "body", 2.0),
        Evidence("terroris*", 1, "body", 3.0, negated=True),
    ]
    item = Item(
        id="i1",
        story_id="s1",
        source="example",
        title="t",
        text="x",
        language="en",
        language_confidence=1.0,
        topics={"counter-terrorism": 12.0},
        labels=["counter-terrorism"],
        evidence={"counter-terrorism": evidence},
        countries={},
        duplicate_of=None,
        dedup="new",
    )
    expected = "rule ct: counter-terrorism 12.0 (counter-terrorism ×3, cell* ×1)"
    assert reason_for(AlertRule(name="ct"), item) == expected
    # a rule watching other topics gives only theirs (an analyst's trial read counter-terrorism
    # evidence in its maritime desk's alert)
    both = dataclasses.replace(
        item,
        topics={"counter-terrorism": 12.0, "diplomacy": 7.0},
        labels=["counter-terrorism", "diplomacy"],
        evidence={"counter-terrorism": evidence, "diplomacy": [Evidence("talks", 1, "title", 2.0)]},
    )
    assert reason_for(AlertRule(name="dip", topics=["diplomacy"]), both) == "rule dip: diplomacy 7.0 (talks ×1)"


def test_min_score_raises_the_bar_of_a_rule_and_never_lowers_it() -> None:
    """``min_score`` keeps a labelled topic only at or above that score, for matching and for the
    reason; a score over ``min_score`` without the label does not fire the rule."""
    import dataclasses

    from monitor.alerts import reason_for, rule_matches
    from monitor.config import AlertRule
    from monitor.model import Evidence, Item

    item = Item(
        id="i1", story_id="s1", source="example", title="t", text="x", language="en", language_confidence=1.0,
        topics={"counter-terrorism": 12.0, "diplomacy": 7.0},
        labels=["counter-terrorism", "diplomacy"],
        evidence={"counter-terrorism": [Evidence("bombing*", 2, "body", 4.0)],
                  "diplomacy": [Evidence("talks", 1, "title", 2.0)]},
        countries={}, duplicate_of=None, dedup="new",
    )
    strict = AlertRule(name="strict", min_score=10)
    assert rule_matches(strict, item)
    assert reason_for(strict, item) == "rule strict: counter-terrorism 12.0 (bombing* ×2)"
    assert not rule_matches(AlertRule(name="dip", topics=["diplomacy"], min_score=10), item)
    assert not rule_matches(AlertRule(name="both", topics=["counter-terrorism", "diplomacy"], match="all",
                                      min_score=10), item)
    unlabelled = dataclasses.replace(item, labels=["counter-terrorism"])
    assert not rule_matches(AlertRule(name="low", topics=["diplomacy"], min_score=1), unlabelled)


def test_context_terms_score_but_need_a_term_to_label() -> None:
    """A context match adds its weight to the score, but only a ``terms`` match makes the label."""
    clf = small({"talks": 1}, context={"foreign ministry": 3})
    alone = clf.classify("Report", "The foreign ministry said so.", "en")
    assert alone.topics["t"] == 3.0 and alone.labels == []
    assert [(e.term, e.weight) for e in alone.evidence["t"]] == [("foreign ministry", 3.0)]
    # the output says why the score is no label (an analyst's trial could not tell)
    assert alone.held == {"t": "only context terms matched: a label also needs a match of a 'terms' entry"}
    both = clf.classify("Report", "The foreign ministry said talks would resume.", "en")
    assert both.labels == ["t"] and both.held == {}


def test_a_single_term_deep_in_the_body_is_held_with_its_reason() -> None:
    """Above the threshold with one distinct term past the lede: not a label, and ``held`` says so."""
    config = TopicConfig(threshold=1.0, min_distinct_terms=2, languages={"en": LanguageRules(terms={"talks": 2})})
    clf = Classifier(TopicsFile(topics={"t": config}))
    result = clf.classify("", "filler " * 80 + "talks resumed.", "en")
    assert result.labels == [] and result.topics["t"] >= 1.0
    assert result.held == {
        "t": "1 distinct term(s), none in the title or lede: "
        "a label needs 2 distinct terms, or one in the title or lede"
    }


@pytest.mark.parametrize(
    ("title", "text", "lang"),
    [
        (
            "Foreign ministry says two nationals died in avalanche",
            "The foreign ministry said two of its nationals were killed in the Alps; consular staff "
            "are supporting the families and the embassy is in contact with local rescuers.",
            "en",
        ),
        (
            "Séisme : le Quai d'Orsay confirme la mort d'un Français",
            "Le ministère des Affaires étrangères a confirmé la mort d'un ressortissant ; le centre de "
            "crise du Quai d'Orsay est en contact avec sa famille et l'ambassade organise les rapatriements.",
            "fr",
        ),
        (
            "الخارجية: وفاة مواطن في زلزال وسفارتنا تتابع",
            "أعلنت وزارة الخارجية وفاة مواطن في الزلزال، وأوضحت أن السفارة تتابع إجراءات إعادة الجثمان "
            "وتتواصل مع الجالية للاطمئنان على رعايا البلاد.",
            "ar",
        ),
    ],
)
def test_consular_news_quoting_the_foreign_ministry_is_not_diplomacy(
    classifier: Classifier, title: str, text: str, lang: str
) -> None:
    """A ministry, an embassy and a consulate named in disaster news are context only: no label."""
    assert classifier.classify(title, text, lang).labels == []


def test_the_same_ministry_summoning_an_ambassador_is_diplomacy(classifier: Classifier) -> None:
    """With an act (summoned, rappelé, استدعاء) the same institutions make a diplomacy item."""
    en = classifier.classify(
        "Foreign ministry summons ambassador over border incident",
        "The foreign ministry summoned the ambassador on Monday and handed him a protest note.",
        "en",
    )
    fr = classifier.classify(
        "Paris rappelle son ambassadeur",
        "Le Quai d'Orsay a annoncé que l'ambassadeur rappelé à Paris rentrerait après la crise.",
        "fr",
    )
    ar = classifier.classify(
        "الخارجية تستدعي سفير دولة مجاورة",
        "قررت وزارة الخارجية استدعاء السفير وتسليمه مذكرة احتجاج على تصريحات مسؤولين في بلاده.",
        "ar",
    )
    assert (en.labels, fr.labels, ar.labels) == (["diplomacy"], ["diplomacy"], ["diplomacy"])


@pytest.mark.parametrize(
    ("title", "text", "lang"),
    [
        (
            "Gunman opens fire in shopping centre car park",
            "A gunman shot two men in a car park on Friday; police said the attacker knew the victims "
            "and that the assailant fled before a manhunt began.",
            "en",
        ),
        (
            "Des hommes armés braquent un fourgon blindé",
            "Des hommes armés ont attaqué un fourgon de transport de fonds ; les assaillants ont pris "
            "un convoyeur en otage avant de le relâcher.",
            "fr",
        ),
        (
            "مسلحون يختطفون تاجرا ويطالبون بفدية",
            "اختطف مسلحون تاجرا في المدينة وطالبوا أسرته بفدية، وقالت الشرطة إن المسلحين ينتمون إلى عصابة.",
            "ar",
        ),
    ],
)
def test_attack_methods_without_a_militant_marker_are_crime(
    classifier: Classifier, title: str, text: str, lang: str
) -> None:
    """Gunmen, a hostage and a kidnapping with no terror, militant or group term are not counter-terrorism."""
    assert classifier.classify(title, text, lang).labels == []


def test_the_same_gunmen_with_a_claim_are_counter_terrorism(classifier: Classifier) -> None:
    """Add a claim by a jihadist group and the gunmen's attack is counter-terrorism."""
    result = classifier.classify(
        "Gunmen storm hotel, jihadist group claims attack",
        "Gunmen stormed a hotel on Friday; a jihadist group claimed responsibility for the assault.",
        "en",
    )
    assert result.labels == ["counter-terrorism"]


def test_a_court_that_condemns_is_not_diplomacy(classifier: Classifier) -> None:
    """'condemned to', 'condamné à' and أدانت المحكمة never count as a government's condemnation."""
    en = classifier.classify("", "He was condemned to life in prison.", "en")
    fr = classifier.classify("", "Il a été condamné à huit ans de prison.", "fr")
    ar = classifier.classify("", "أدانت المحكمة المتهم بالاختلاس", "ar")
    positive = [e.term for r in (en, fr, ar) for e in r.evidence.get("diplomacy", []) if e.weight > 0]
    assert positive == []
    assert "condemn*" in terms_of(classifier.classify("", "Egypt condemns the strike.", "en"), "diplomacy")
    assert "condamne" in terms_of(classifier.classify("", "Paris condamne la frappe.", "fr"), "diplomacy")
    assert "أدان" in terms_of(classifier.classify("", "أدانت مصر الهجوم", "ar"), "diplomacy")


def test_consul_terms_do_not_match_consultations(classifier: Classifier) -> None:
    """Parliamentary 'consultations' and a 'consultant' are not consular vocabulary."""
    result = classifier.classify(
        "", "Les consultations parlementaires ont repris; a consultant advised the consulate.", "fr"
    )
    assert terms_of(result, "diplomacy") == {"consulat*"}


def test_arabic_broken_plural_with_hamza_matches_before_a_pronoun() -> None:
    """نظرائه and سفرائها (hamza written on ya before a pronoun) match نظراء and سفراء."""
    clf = small({"نظراء": 1, "سفراء": 1}, lang="ar")
    result = clf.classify("", "التقى الوزير نظراءه ثم اجتمع مع نظرائه العرب وسفرائها", "ar")
    counts = {e.term: e.count for e in result.evidence["t"]}
    assert counts == {"نظراء": 2, "سفراء": 1}


def test_negation_cue_reaches_its_window_forward_and_backward() -> None:
    """A term 0-4 tokens after a ``negated_by`` cue, or ending 0-4 tokens before a
    ``negated_after`` cue, does not count (window 5); one further away does."""
    rules = LanguageRules(terms={"terroris*": 3}, negated_by=("ruled out",), negated_after=("not suspected",))
    topic = TopicConfig(threshold=1.0, min_distinct_terms=1, languages={"en": rules})
    clf = Classifier(TopicsFile(topics={"t": topic}))
    assert clf.classify("Report", "Police ruled out terrorism.", "en").topics["t"] == 0.0
    assert clf.classify("Report", "Police ruled out that this was terrorism.", "en").topics["t"] == 0.0
    far = clf.classify("Report", "Police ruled out a gas leak at once, and then said it was terrorism.", "en")
    assert far.topics["t"] == 3.0
    assert clf.classify("Report", "Terrorism is not suspected.", "en").topics["t"] == 0.0
    # only the negated occurrence is dropped: the other one still counts
    both = clf.classify("Report", "Police ruled out terrorism here. In the north, the other blast was terrorism.", "en")
    assert both.topics["t"] == 3.0
    # the negated one is listed after the scoring one, marked, so the analyst sees both
    assert [(e.term, e.count, e.negated) for e in both.evidence["t"]] == [
        ("terroris*", 1, False),
        ("terroris*", 1, True),
    ]


@pytest.mark.parametrize(
    ("language", "title", "text", "shown"),
    [
        (
            "en",
            "Man stabbed in London street",
            "A man was stabbed in east London on Tuesday. Police said the attack was not being treated "
            "as terrorism and found no evidence of a terrorist motive.",
            True,
        ),
        (
            "fr",
            "Attaque au couteau à Lyon : un blessé",
            "Un homme a été blessé au couteau samedi à Lyon. Le parquet écarte à ce stade la piste "
            "terroriste ; la piste terroriste est écartée, selon une source policière.",
            True,
        ),
        (
            "ar",
            "طعن رجل في شارع بالقاهرة",
            "أصيب رجل بطعنات في أحد شوارع القاهرة، واستبعدت الشرطة وجود دوافع إرهابية، "
            "وقالت إنه لا علاقة للحادث بالإرهاب.",
            True,
        ),
        # found by an analyst's trial: "not terror-related", "pas de motif terroriste", مستبعدة وجود
        # (an excluded phrase is not shown; a negated term is)
        ("en", "Mall stabbing not terror-related, police say", "Police said the attack was not terror-related.", False),
        ("fr", "Attaque au couteau : pas de motif terroriste", "Le parquet n'a trouvé aucun motif terroriste.", True),
        ("ar", "حادث دهس في برلين", "قالت الشرطة إن السائق كان مخمورا، مستبعدة وجود دوافع سياسية أو إرهابية.", True),
    ],
)
def test_ruled_out_terrorism_is_not_counter_terrorism(
    classifier: Classifier, language: str, title: str, text: str, shown: bool
) -> None:
    """Default rules: a stabbing where the police rule out terrorism gets no topic, in each language."""
    result = classifier.classify(title, text, language)
    assert "counter-terrorism" not in result.labels
    terror = [e for e in result.evidence.get("counter-terrorism", []) if e.term.startswith(("terror", "إرهاب"))]
    assert bool(terror) == shown and all(e.negated for e in terror)  # shown as negated, scoring nothing


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Police have not ruled out terrorism after the bomb attack claimed by jihadists."),
        ("fr", "La police n'exclut pas la piste terroriste après l'attentat revendiqué par des djihadistes."),
        ("ar", "لم تستبعد الشرطة وجود دوافع إرهابية وراء الهجوم الانتحاري الذي تبناه تنظيم داعش."),
    ],
)
def test_a_double_negative_keeps_the_evidence(classifier: Classifier, language: str, text: str) -> None:
    """'have not ruled out' / 'n'exclut pas' / 'لم تستبعد' are exclusions, which disarm the cue."""
    result = classifier.classify("", text, language)
    assert result.labels == ["counter-terrorism"]
    assert any(e.term in ("terroris*", "إرهابي") for e in result.evidence["counter-terrorism"])


def test_targets_without_a_group_kept_as_context_is_nothing(classifier: Classifier) -> None:
    """"targets" is an attack method only beside a group kept as context (rows of the attack-event
    table below): "central bank targets 2% inflation" gives no counter-terrorism evidence."""
    assert not terms_of(classifier.classify("Central bank targets 2% inflation", "", "en"), "counter-terrorism")


def test_denying_involvement_in_an_attack_does_not_deny_the_attack_in_arabic(classifier: Classifier) -> None:
    """ينفي (denies) is an Arabic negation cue, but "ينفي ضلوع إيران في هجوم حماس" denies Iran's part,
    not Hamas's attack: labelled as in English and French. The police denying a terrorist motive
    stays negated."""
    denial = classifier.classify("خامنئي ينفي ضلوع إيران في هجوم حماس على إسرائيل", "", "ar")
    assert denial.labels == ["counter-terrorism"] and "هجوم + HAMAS" in terms_of(denial, "counter-terrorism")
    motive = classifier.classify("الشرطة تنفي وجود دوافع إرهابية وراء الحادث", "", "ar")
    assert motive.labels == [] and all(e.negated for e in motive.evidence["counter-terrorism"])


def relation_classifier(relations: tuple[str, ...], lang: str = "en") -> Classifier:
    """Topic "t": one ordinary term ("talks", 1), relation terms worth 3, threshold 3."""
    rules = LanguageRules(terms={"talks": 1}, relations=relations)
    topic = TopicConfig(threshold=3.0, min_distinct_terms=2, relation_weight=3.0, languages={lang: rules})
    return Classifier(TopicsFile(topics={"t": topic}), load_countries())


def test_a_relation_term_scores_only_between_two_states_up_front() -> None:
    """'urges' with Japan and China in the title adds the relation weight once, labels, and the
    evidence names the term and the countries; with one state, or with the relation only deep
    in the body, it adds nothing."""
    clf = relation_classifier(("urge*",))
    two = clf.classify("Japan urges China to restore hotline", "Tokyo urges Beijing again.", "en")
    assert two.topics["t"] == 3.0 and two.labels == ["t"]
    assert [(e.term, e.count, e.where, e.weight) for e in two.evidence["t"]] == [("urge* + CN, JP", 1, "title", 3.0)]
    one = clf.classify("Japan urges fishermen to stay in port", "The agency urges caution.", "en")
    assert one.topics["t"] == 0.0 and one.labels == [] and "t" not in one.evidence
    filler = " ".join(["The weather was calm."] * 15)  # 60 tokens: past the lede
    deep = clf.classify("Japan and China", f"{filler} Officials urge calm.", "en")
    assert deep.topics["t"] == 0.0 and deep.labels == []


def test_a_relation_event_in_the_title_scores_the_title_relation_weight() -> None:
    """With title_relation_weight 4.5 the headline "Russia warns U.S." scores 4.5, the same verb in
    the lede under a headline naming the two states 3 (relation_weight); unset, both score 3."""
    rules = LanguageRules(terms={"talks": 1}, relations=("warn*",))
    topic = TopicConfig(
        threshold=3.0, min_distinct_terms=2, relation_weight=3.0, title_relation_weight=4.5, languages={"en": rules}
    )
    clf = Classifier(TopicsFile(topics={"t": topic}), load_countries())
    title = clf.classify("Russia warns U.S. to stop 'hostile' activity", "", "en")
    assert [(e.term, e.where, e.weight) for e in title.evidence["t"]] == [("warn* + RU, US", "title", 4.5)]
    lede = clf.classify("Russia and the U.S.", "Moscow warned Washington on Tuesday.", "en")
    assert [(e.term, e.where, e.weight) for e in lede.evidence["t"]] == [("warn* + RU, US", "body", 3.0)]
    plain = relation_classifier(("warn*",)).classify("Russia warns U.S. to stop 'hostile' activity", "", "en")
    assert plain.topics["t"] == 3.0


@pytest.mark.parametrize(
    ("language", "relation", "title", "weight"),
    [
        ("en", "warn*", "Saudi warns U.S. over 9/11 law", 5.5),  # the verb right after a state: its act
        ("en", "agree*", "Baghdad, Washington agree to cut troops", 5.5),
        ("ar", "نددت", "نددت كوريا الشمالية بالعقوبات الأمريكية", 5.5),  # verb first, then the state
        ("fr", "dénonce", "Le Mali et le Cameroun réinstaurent le visa : Bamako dénonce Yaoundé", 5.5),
        ("en", "agree*", "New Zealand museum agrees to return items to Indigenous Australians", 4.5),  # a museum
        ("en", "denied", "Myanmar model who criticised junta denied entry to Thailand", 4.5),
    ],
)
def test_a_headline_verb_beside_a_state_scores_more_than_one_a_state_name_only_qualifies(
    language: str, relation: str, title: str, weight: float
) -> None:
    """title_adjacent_relation_weight: in a headline a relation verb right before or after a side is
    that side's act (headlines keep subject and verb together); with a noun between them ("New
    Zealand museum agrees") the state only qualifies the noun, and the event keeps
    title_relation_weight. Both corpus false alarms of a flat 5.5 were of the second kind."""
    rules = LanguageRules(terms={"talks": 1}, relations=(relation,))
    topic = TopicConfig(
        threshold=3.0, relation_weight=3.0, title_relation_weight=4.5, title_adjacent_relation_weight=5.5,
        languages={language: rules},
    )
    clf = Classifier(TopicsFile(topics={"t": topic}), load_countries())
    [event] = clf.classify(title, "", language).evidence["t"]
    assert (event.where, event.weight) == ("title", weight)


@pytest.mark.parametrize(
    ("language", "relation", "title", "expected"),
    [
        ("fr", "fustig*", "Téhéran fustige les sanctions de Washington", "fustig* + IR, US"),
        ("ar", "تندد", "الرباط تندد بقرار الجزائر", "تندد + DZ, MA"),
    ],
)
def test_relation_terms_take_capitals_as_states_in_french_and_arabic(
    language: str, relation: str, title: str, expected: str
) -> None:
    """Capitals stand for their states (Téhéran, Washington, الرباط, الجزائر); Arabic clitics on
    the country names do not hide them (بقرار الجزائر)."""
    result = relation_classifier((relation,), language).classify(title, "", language)
    assert result.labels == ["t"]
    assert [e.term for e in result.evidence["t"]] == [expected]


@pytest.mark.parametrize(
    ("language", "title", "text", "relation"),
    [
        (
            "en",
            "Japan urges China to restore coast guard hotline",
            "Tokyo called on Beijing on Monday to restore the maritime hotline between the two coast guards, "
            "the foreign ministry said.",
            "urge* + CN, JP",
        ),
        (
            "fr",
            "Rabat accueille froidement la proposition d'Alger sur le Sahel",
            "Le ministère marocain des affaires étrangères a jugé « prématurée » l'initiative algérienne.",
            "accueille + DZ, MA",
        ),
        (
            "ar",
            "الرباط تنتقد موقف الجزائر من ملف الصحراء",
            "انتقدت وزارة الخارجية المغربية في بيان الموقف الجزائري الأخير.",
            "تنتقد + DZ, MA",
        ),
    ],
)
def test_default_rules_label_a_short_item_by_its_relation_between_states(
    classifier: Classifier, language: str, title: str, text: str, relation: str
) -> None:
    """A two-line item with no diplomatic noun: one state criticising or urging another, plus a
    foreign ministry, is diplomacy, and the relation is the evidence that tipped it."""
    result = classifier.classify(title, text, language)
    assert result.labels == ["diplomacy"]
    assert relation in terms_of(result, "diplomacy")


def test_arabic_future_verbs_are_relation_events(classifier: Classifier) -> None:
    """سـ (will) before the verb: "Egypt and France will sign an agreement to fight terrorism" is
    both topics, with the dual verb of signing between the two states as the diplomacy event."""
    result = classifier.classify("مصر وفرنسا ستوقعان اتفاقية لمكافحة الإرهاب", "", "ar")
    assert result.labels == ["counter-terrorism", "diplomacy"]
    assert "توقعان + EG, FR" in terms_of(result, "diplomacy")


def test_the_same_verb_toward_no_other_state_is_not_diplomacy(classifier: Classifier) -> None:
    """'Japan urges fishermen ...' quoting the foreign ministry: one state, no relation event."""
    result = classifier.classify(
        "Japan urges fishermen to avoid typhoon zone",
        "The fisheries agency called on crews on Monday to stay in port, the foreign ministry said.",
        "en",
    )
    assert result.labels == [] and not any("+" in term for term in terms_of(result, "diplomacy"))


@pytest.mark.parametrize(
    ("language", "title", "text", "relation"),
    [
        (
            "en",
            "Mali defies ECOWAS over two-year transition",
            "The junta rejected the election timetable set by the regional bloc.",
            "defies + ML, ECOWAS",
        ),
        (
            "fr",
            "Le Mali défie la Cédéao et garde sa transition de deux ans",
            "La junte a rejeté le calendrier électoral proposé par l'organisation régionale.",
            "défie + ML, ECOWAS",
        ),
        (
            "ar",
            "النيجر تتحدى إيكواس وتمدد المرحلة الانتقالية",
            "رفض المجلس العسكري الجدول الزمني للانتخابات الذي اقترحته المجموعة الإقليمية.",
            "تتحدى + NE, ECOWAS",
        ),
    ],
)
def test_an_international_body_is_one_side_of_a_relation(
    classifier: Classifier, language: str, title: str, text: str, relation: str
) -> None:
    """A state defying a regional body: ``parties`` names count as a side and are reported by
    their code (Cédéao and إيكواس are both ECOWAS)."""
    result = classifier.classify(title, text, language)
    assert result.labels == ["diplomacy"]
    assert relation in terms_of(result, "diplomacy")
    assert "ECOWAS" not in result.countries  # a party is not a country


def test_two_names_of_one_body_are_one_side() -> None:
    """'NATO' and 'North Atlantic Treaty Organization' share a code: one side, no relation."""
    rules = LanguageRules(
        terms={"talks": 1},
        relations=("urge*",),
        parties={"NATO": "NATO", "North Atlantic Treaty Organization": "NATO"},
    )
    topic = TopicConfig(threshold=3.0, min_distinct_terms=1, relation_weight=3.0, languages={"en": rules})
    clf = Classifier(TopicsFile(topics={"t": topic}), {})
    alone = clf.classify("NATO urges calm", "The North Atlantic Treaty Organization spoke.", "en")
    assert alone.topics["t"] == 0.0
    two = clf.classify("NATO urges Russia to talk", "", "en")
    assert two.topics["t"] == 0.0  # no gazetteer here: Russia is not a side either
    clf = Classifier(TopicsFile(topics={"t": topic}), load_countries())
    assert [e.term for e in clf.classify("NATO urges Russia to talk", "", "en").evidence["t"]] == ["urge* + RU, NATO"]


def test_a_bcp47_language_tag_selects_the_rules_of_its_language(classifier: Classifier) -> None:
    """'fr-FR' and 'FR' mean French rules: the English UN is not found in 'Un accident'."""
    for tag in ("fr-FR", "FR", "fr_FR"):
        result = classifier.classify("Un accident sur l'autoroute", "Un camion s'est renversé.", tag)
        assert "UN" not in terms_of(result, "diplomacy") and result.topics["diplomacy"] == 0.0


def test_a_short_english_headline_is_not_left_as_nigerian_pidgin() -> None:
    """py3langid calls this headline Nigerian Pidgin (pcm); it is folded into English, so English
    rules apply and an alert rule for 'en' sees it."""
    from monitor.language import LanguageDetector

    assert LanguageDetector().detect("Nigeria and Ghana sign trade deal", "").code == "en"


def test_english_acronyms_that_case_folding_would_lose(classifier: Classifier) -> None:
    """'US' is the United States and 'IS' the Islamic State in mixed-case English, not the words
    'us' and 'is'; a headline all in capitals keeps them as words."""
    from monitor.classify import expand_acronyms

    result = classifier.classify("IS destroys part of Palmyra's Roman theatre", "", "en")
    assert "Islamic State" in terms_of(result, "counter-terrorism")
    ties = classifier.classify("US-China ties strained as envoy recalled", "", "en")
    assert ties.countries == {"US": 1, "CN": 1}
    assert expand_acronyms("TELL US WHAT IS NEXT") == "TELL US WHAT IS NEXT"
    assert classifier.classify("", "Tell us what is next.", "en").countries == {}


_INTERCEPTED = "Air defences intercepted it, the coalition said."


@pytest.mark.parametrize(
    ("language", "title", "text", "event"),
    [
        ("en", "Taliban kidnap aid worker in Kunar", "Gunmen seized the engineer on Tuesday.", "kidnap* + TALIBAN"),
        (
            "fr",
            "Des talibans enlèvent un humanitaire dans le Kunar",
            "Des hommes armés ont emmené l'ingénieur mardi.",
            "enlevé* + TALIBAN",
        ),
        ("ar", "طالبان تختطف عامل إغاثة في كونار", "اقتاد مسلحون المهندس يوم الثلاثاء.", "تختطف + TALIBAN"),
        # the Houthis are a party and context in the three languages (in Arabic since the sixth
        # session: three blind Yemen items were missed and no false alarm came of it)
        ("en", "Houthis fire missile at Saudi city of Jazan", _INTERCEPTED, "missile* + HOUTHI"),
        ("fr", "Les houthis tirent un missile sur la ville saoudienne de Jazan", _INTERCEPTED, "missile* + HOUTHI"),
        ("ar", "الحوثيون يطلقون صاروخا باتجاه مدينة جازان السعودية", _INTERCEPTED, "صاروخ + HOUTHI"),
        # the Arabic "targets" verbs and assassination are attack methods like استهداف; armed wings are
        # parties of their movement (found missing on the thirteenth blind set)
        ("ar", "حزب الله يستهدف مواقع الاحتلال في الجليل", "", "يستهدف + HEZBOLLAH"),
        ("en", "Qassam Brigades fire rockets at Ashkelon", "", "rocket* + HAMAS"),
        ("ar", "سرايا القدس تعلن اغتيال قائد ميداني", "", "اغتيال + ISLAMIC-JIHAD"),
        # "targets" and "cible" as in Arabic (found missing on the sixteenth blind set)
        ("en", "Hezbollah targets Israeli army post with drones", "The group said its fighters hit the post.",
         "targets + HEZBOLLAH"),
        ("fr", "Le Hezbollah cible une position de l'armée israélienne", "Le groupe a revendiqué l'attaque.",
         "ciblé* + HEZBOLLAH"),
        # the military communiqué's "neutralised" (found missing by an analyst's trial)
        ("fr", "Turquie : un cadre du PKK « neutralisé » par une frappe de drone en Irak",
         "Le ministère turc de la Défense a annoncé sa mort.", "neutralis* + PKK"),
    ],
)
def test_an_attack_method_with_a_militant_group_is_an_attack_event(
    classifier: Classifier, language: str, title: str, text: str, event: str
) -> None:
    """The Taliban and a kidnapping are both context (the Taliban also govern, kidnappings are also
    crime); together up front they are an attack event: one side is enough, and countries are not
    sides for counter-terrorism (min_sides 1, country_sides false)."""
    result = classifier.classify(title, text, language)
    assert result.labels == ["counter-terrorism"]
    assert event in terms_of(result, "counter-terrorism")


@pytest.mark.parametrize(
    ("language", "title", "group"),
    [
        ("en", "Allied Democratic Forces rebels kill villagers near Beni", "Allied Democratic Forces"),
        ("fr", "Les Forces démocratiques alliées tuent des villageois près de Beni", "Forces démocratiques alliées"),
        ("ar", "القوات الديمقراطية المتحالفة تقتل قرويين قرب بيني", "القوات الديمقراطية المتحالفة"),
        # attacks known by their date
        ("en", "Last suspect in the 9/11 attacks arrested in Pakistan", "9/11 attack*"),
        ("fr", "Procès des attentats du 13 novembre : le verdict attendu", "attentats du 13 novembre"),
        ("ar", "اعتقال آخر متهم بالضلوع في اعتداءات 11 سبتمبر", "اعتداء 11 سبتمبر"),
        # armed Islamists are combatants, whatever party the word "Islamist" also names
        ("en", "Armed Islamists kill 12 soldiers in ambush", "armed islamist*"),
        ("fr", "L'armée affirme avoir tué 109 islamistes armés en un an", "islamiste armé"),
        ("ar", "مقتل ثلاثة جنود في كمين نصبه مسلحون إسلاميون", "مسلح إسلامي"),
        ("ar", "جماعة الشباب تنصب كمينا لقافلة بوروندية في الصومال", "جماعة الشباب"),
        # counter-terrorism operations known by their name; القسام alone is Hamas's armed wing
        ("fr", "Fin de l'opération Barkhane : la France et le Tchad doivent coopérer", "opération Barkhane"),
        ("ar", "استشهاد قياديين بالقسام في غارات إسرائيلية على لبنان", "القسام"),
    ],
)
def test_a_named_armed_group_or_a_dated_attack_labels_the_item(
    classifier: Classifier, language: str, title: str, group: str
) -> None:
    """The ADF's killings in eastern Congo carry no 'terror' word: the group's name is the evidence;
    so is the date an attack is known by (9/11, the 13 November attacks, 7 October)."""
    result = classifier.classify(title, "", language)
    assert result.labels == ["counter-terrorism"] and group in terms_of(result, "counter-terrorism")


@pytest.mark.parametrize("title", ["Al-Qa'ida leader killed in drone strike", "Da’esh claims attack on church"])
def test_group_names_spelled_with_an_apostrophe_match(classifier: Classifier, title: str) -> None:
    """The apostrophe splits the token ("qa", "ida"); the spelling is a two-word phrase rule, and a
    curly apostrophe splits the same way."""
    assert classifier.classify(title, "", "en").labels == ["counter-terrorism"]


def test_the_un_after_the_preposition_li_is_a_side(classifier: Classifier) -> None:
    """"للأمم المتحدة" (to the United Nations: li- + al-, the alef unwritten) is the party UN, so
    an envoy's appeal to a state's factions is a relation between the UN and that state."""
    result = classifier.classify(
        "المبعوث يدعو الأطراف اليمنية إلى خفض التصعيد",
        "دعا المبعوث الخاص للأمم المتحدة إلى اليمن الأطراف إلى ضبط النفس.",
        "ar",
    )
    assert any(term.endswith(" + YE, UN") for term in terms_of(result, "diplomacy"))
    assert result.labels == ["diplomacy"]


@pytest.mark.parametrize(
    ("language", "title", "event"),
    [
        ("en", "Putin and Xi hold talks in Moscow", "talks + CN, RU"),
        ("fr", "Macron reçoit Tebboune à l'Élysée", "reçoit + DZ, FR"),
        ("ar", "ماكرون يستقبل تبون في الإليزيه", "يستقبل + DZ, FR"),
        # meetings terms ("meeting", "tête-à-tête", "اجتماع") between two leaders of different states
        ("en", "Trade tops the agenda of Biden and Xi's first meeting in Bali", "first meeting + CN, US"),
        ("fr", "Tête-à-tête entre Macron et Tebboune en marge du sommet", "tête-à-tête + DZ, FR"),
        ("ar", "اجتماع بين بوتين وأردوغان في سوتشي", "اجتماع + RU, TR"),
        # the actors list reaches beyond the great powers: Central and West African, Southeast Asian leaders
        ("en", "Tshisekedi and Kagame meet in Doha", "meet + CD, QA, RW"),
        ("fr", "Ouattara reçoit Bassirou Diomaye Faye à Abidjan", "reçoit + CI, SN"),
        ("ar", "أنور إبراهيم يستقبل برابوو في كوالالمبور", "يستقبل + ID, MY"),
    ],
)
def test_two_leaders_of_different_states_are_a_diplomatic_event(
    classifier: Classifier, language: str, title: str, event: str
) -> None:
    """Named heads of state (``actors``) are sides of a relation, and an event between two of
    different states (a relation verb, or a ``meetings`` term) scores actor_relation_weight (7), so
    the headline alone is diplomacy. The people count as mentions of their states too, so an alert
    rule on a country sees its leader's item (a Gulf desk's trial: "Tamim receives a call from the
    Iranian president" had no QA)."""
    result = classifier.classify(title, "", language)
    assert result.labels == ["diplomacy"]
    [ev] = [e for e in result.evidence["diplomacy"] if "+" in e.term]
    assert (ev.term, ev.weight) == (event, 7)
    assert set(event.split(" + ")[1].split(", ")) <= set(result.countries)


def test_the_un_secretary_general_is_the_un_as_a_side(classifier: Classifier) -> None:
    """Guterres (a party of diplomacy, code UN) is a side of a relation event, not a state."""
    result = classifier.classify("Guterres urges Israel to allow aid into Gaza", "", "en")
    assert "urge* + IL, PS, UN" in terms_of(result, "diplomacy")
    assert "UN" not in result.countries


def test_leaders_of_one_state_or_one_leader_alone_are_no_such_event(classifier: Classifier) -> None:
    """Trump against Biden is one state; Macron at home names no second state (his two mentions are
    France's, for alert filters)."""
    one_state = classifier.classify("Trump accuses Biden of weakness", "", "en")
    assert one_state.labels == [] and not any("+" in t for t in terms_of(one_state, "diplomacy"))
    at_home = classifier.classify("Macron defends pension reform", "Macron spoke to reporters.", "en")
    assert at_home.labels == [] and at_home.countries == {"FR": 2}


def test_a_meeting_needs_two_leaders_named_beside_it() -> None:
    """Beside two countries only (a board meeting), or with the leaders in the headline and the
    meeting in the lede (someone else's meeting), a ``meetings`` term scores nothing."""
    rules = LanguageRules(terms={"talks": 1}, relations=("urge*",), meetings=("meeting",))
    topic = TopicConfig(
        threshold=3.0, min_distinct_terms=1, relation_weight=3.0, actor_relation_weight=7.0, languages={"en": rules}
    )
    actors = {"US": {"en": ("Trump", "Biden")}, "RU": {"en": ("Putin",)}, "CN": {"en": ("Xi",)}}
    clf = Classifier(TopicsFile(topics={"t": topic}, actors=actors), load_countries())
    board = clf.classify("Chinese and US firms hold board meeting", "", "en")
    assert board.topics["t"] == 0.0
    elsewhere = clf.classify("Putin helped Trump, report finds", "Trump left after a meeting on Friday.", "en")
    assert elsewhere.topics["t"] == 0.0
    lede = clf.classify("Trade tops the agenda", "Biden's meeting with Xi lasted three hours.", "en")
    assert [(e.term, e.weight) for e in lede.evidence["t"]] == [("meeting + CN, US", 7)]
    # the headline's meeting of two leaders is the event shown, not a relation verb of the lede
    headline = clf.classify("Biden and Xi meeting in Bali", "Washington urges Beijing to ease tensions.", "en")
    assert [(e.term, e.where) for e in headline.evidence["t"] if "+" in e.term] == [("meeting + CN, US", "title")]


@pytest.mark.parametrize(
    ("language", "title", "text", "home"),
    [
        ("en", "Danish prime minister on official visit to Greenland",
         "She met local leaders in Nuuk during the official visit.", "at home: GL is DK"),
        ("fr", "Macron en visite officielle en Nouvelle-Calédonie",
         "Le président a rencontré les élus lors de sa visite officielle à Nouméa.", "at home: NC is FR"),
        ("ar", "ماكرون في زيارة رسمية إلى ريونيون", "دشن الرئيس الفرنسي مستشفى خلال زيارته الرسمية.",
         "at home: RE is FR"),
    ],
)
def test_an_official_visit_to_ones_own_territory_is_not_diplomacy(
    classifier: Classifier, language: str, title: str, text: str, home: str
) -> None:
    """When the title and lede name one state and its dependent territory only, the item is about
    that state at home: diplomacy's terms ("official visit") score, but no label, and the evidence
    says why (found by an analyst trial)."""
    result = classifier.classify(title, text, language)
    assert result.labels == []
    assert [e.term for e in result.evidence["diplomacy"] if e.negated] == [home]
    envoy = classifier.classify("Trump envoy visits Greenland", "The US envoy met Greenland's premier.", "en")
    assert envoy.labels == ["diplomacy"]


def test_demonyms_of_smaller_states_are_country_mentions(classifier: Classifier) -> None:
    """"The Danish government", "le gouvernement norvégien", "الحكومة الفنلندية" are country mentions
    (alert rules filter on them)."""
    assert classifier.classify("", "The Danish government said on Monday it would reply.", "en").countries == {"DK": 1}
    assert classifier.classify("", "Le gouvernement norvégien a répondu lundi.", "fr").countries == {"NO": 1}
    assert classifier.classify("", "قالت الحكومة الفنلندية إنها سترد.", "ar").countries == {"FI": 1}


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("fr", "Macron achève sa visite à Saint-Pierre-et-Miquelon"),
        ("en", "Macron ends his visit to Saint Pierre and Miquelon"),
        ("fr", "La France signe un accord de pêche avec la Polynésie française"),
    ],
)
def test_a_visit_to_a_dependent_territory_is_no_visit_between_states(
    classifier: Classifier, language: str, title: str
) -> None:
    """A dependent territory is its sovereign's side (``SOVEREIGN``): a French president in
    Saint-Pierre-et-Miquelon is at home. The territory still counts as a mention."""
    result = classifier.classify(title, "", language)
    assert "diplomacy" not in result.labels
    assert not any("+" in t for t in terms_of(result, "diplomacy"))
    assert set(result.countries) & {"PM", "PF"}


@pytest.mark.parametrize(
    ("language", "title", "text", "event"),
    [
        (
            "fr",
            "Une attaque a eu lieu à Talataye, dans le nord du Mali",
            "Des hommes armés non identifiés ont ouvert le feu sur le marché. Le bilan reste incertain.",
            "attaque* + SAHEL",
        ),
        (
            "ar",
            "مصر: مقتل 3 أمنيين ومدني في هجوم مسلح",
            "قالت مصادر إن مسلحين استهدفوا سيارة للشرطة في مدينة العريش بمحافظة شمال سيناء.",
            "هجوم + SINAI",
        ),
        (
            "en",
            "Gunmen attack a prison in Cotabato, freeing 130 inmates",
            "About a hundred armed men stormed the jail and exchanged fire with the guards.",
            "attack + MINDANAO",
        ),
    ],
)
def test_an_attack_in_an_insurgency_region_is_an_attack_event(
    classifier: Classifier, language: str, title: str, text: str, event: str
) -> None:
    """Regions where insurgents operate (North Sinai, northern Mali, Mindanao ...) are parties of
    counter-terrorism's attack events, as named groups are: an attack there by unnamed gunmen is
    labelled, with the region's code in the evidence."""
    result = classifier.classify(title, text, language)
    assert result.labels == ["counter-terrorism"]
    assert event in terms_of(result, "counter-terrorism")


@pytest.mark.parametrize(
    ("language", "title", "text", "event"),
    [
        ("en", "Israel declares new combat zone in southern Lebanon",
         "The army said Hezbollah fighters had fired on its troops near the border.", "combat zone + HEZBOLLAH"),
        ("fr", "Israël annonce des opérations terrestres au Liban",
         "L'armée veut démanteler l'infrastructure du Hezbollah dans le sud.", "opérations terrestres + HEZBOLLAH"),
        ("ar", "غارات إسرائيلية على مواقع لحزب الله في جنوب لبنان",
         "قال الجيش إنه استهدف مخازن أسلحة.", "غارات + HEZBOLLAH"),
    ],
)
def test_strikes_and_operations_against_a_militant_group_are_counter_terrorism(
    classifier: Classifier, language: str, title: str, text: str, event: str
) -> None:
    """Strikes, raids and ground operations beside a group kept as context are events with the group
    as target; the group in an election story, or strikes with no group named, are not."""
    result = classifier.classify(title, text, language)
    assert result.labels == ["counter-terrorism"] and event in terms_of(result, "counter-terrorism")
    vote = classifier.classify("Hezbollah wins seats in Lebanese election", "The group kept its majority.", "en")
    assert vote.labels == [] and not any("+" in t for t in terms_of(vote, "counter-terrorism"))
    war = classifier.classify("Russian airstrikes hit Kharkiv", "Ukraine said five people died.", "en")
    assert war.topics["counter-terrorism"] == 0.0


def test_an_insurgency_region_without_an_attack_is_no_event(classifier: Classifier) -> None:
    """A region by itself (tourism in Sinai, a festival in Timbuktu) scores nothing."""
    sinai = classifier.classify("Tourists return to South Sinai resorts", "Hotels in Sinai report full bookings.", "en")
    assert sinai.topics["counter-terrorism"] == 0.0
    mali = classifier.classify("Le festival de Tombouctou rouvre", "Les musiciens du nord du Mali sont revenus.", "fr")
    assert mali.labels == [] and not any("+" in t for t in terms_of(mali, "counter-terrorism"))


def test_the_papers_own_special_envoy_is_no_diplomat(classifier: Classifier) -> None:
    """"Notre envoyé spécial" is the newspaper's reporter on the spot, not a state's envoy."""
    text = "De notre envoyé spécial à Bogota. Les électeurs votent aujourd'hui dans un calme relatif."
    result = classifier.classify("Colombie : le jour du vote", text, "fr")
    assert "envoyé spécial" not in terms_of(result, "diplomacy") and result.labels == []


@pytest.mark.parametrize(
    ("title", "text", "term"),
    [
        ("عملية دهس في وسط المدينة توقع ثلاثة جرحى", "اعتقلت الشرطة السائق.", "عملية دهس"),
        (
            "ثلاثة قتلى في عملية طعن بمهرجان في زولينغن الألمانية",
            "قالت الشرطة إن مهاجما طعن عددا من المارة، وإن النيابة المختصة بقضايا الإرهاب تولت التحقيق.",
            "عملية طعن",
        ),
    ],
)
def test_arabic_ramming_and_stabbing_attacks_are_counter_terrorism(
    classifier: Classifier, title: str, text: str, term: str
) -> None:
    """عملية دهس and عملية طعن (ramming and stabbing attacks) are terms, as "ramming attack",
    "voiture-bélier", "stabbing attack" and "attentat au couteau" are."""
    result = classifier.classify(title, text, "ar")
    assert result.labels == ["counter-terrorism"]
    assert term in terms_of(result, "counter-terrorism")


def test_a_court_appeal_is_no_stabbing(classifier: Classifier) -> None:
    """الطعن is also a court appeal: alone, without عملية or هجوم, it is no evidence."""
    appeal = classifier.classify(
        "محكمة النقض تقبل الطعن في حكم البراءة", "قبلت المحكمة الطعن المقدم من النيابة.", "ar"
    )
    assert appeal.labels == [] and not terms_of(appeal, "counter-terrorism")


@pytest.mark.parametrize(
    ("language", "title", "text", "named"),
    [
        ("en", "Egypt and Jordan discuss the Deal of the Century", "The two foreign ministers met in Cairo.",
         "Deal of the Century"),
        ("fr", "Washington relance les pourparlers de Vienne avec Téhéran",
         "Les négociateurs américains et iraniens doivent se retrouver la semaine prochaine.", "pourparlers de Vienne"),
        ("ar", "مصر والأردن تبحثان صفقة القرن", "التقى وزيرا خارجية البلدين في القاهرة.", "صفقة القرن"),
        ("en", "Morocco severed ties with Iran", "Rabat accused Tehran of arming the Polisario.", "severed ties"),
        ("fr", "Le Maroc et Israël annoncent la normalisation des relations",
         "Rabat et Tel-Aviv rouvrent leurs bureaux de liaison.", "normalisation des relations"),
        ("ar", "إسبانيا تعلن الاعتراف بدولة فلسطين", "قالت الحكومة في مدريد إن القرار يدعم حل الدولتين.",
         "اعتراف بدولة"),
        ("fr", "Le Tchad menace de quitter le G5 Sahel", "N'Djamena reproche à ses partenaires leur inaction.",
         "G5 Sahel"),
        ("ar", "قمة تحالف دول الساحل في نيامي", "اتفق رؤساء مالي والنيجر وبوركينا فاسو على قوة موحدة.",
         "تحالف دول الساحل"),
        ("fr", "Entre la Cédéao et l'AES, un face-à-face tendu", "Le Mali et le Niger ont quitté la Cédéao.", "AES"),
    ],
)
def test_named_peace_plans_and_talks_are_diplomacy_terms(
    classifier: Classifier, language: str, title: str, text: str, named: str
) -> None:
    """Plans, accords and talks known by a name (the Deal of the Century, the Vienna talks) are terms,
    as are ties normalised or severed, the recognition of a state and regional bodies (the G5 Sahel)."""
    result = classifier.classify(title, text, language)
    assert result.labels == ["diplomacy"]
    assert named in terms_of(result, "diplomacy")


@pytest.mark.parametrize(
    ("language", "title", "event"),
    [
        ("en", "Egyptian ambassador in Rome: 'Our position has not changed'", "ambassador* + EG, IT"),
        ("fr", "L'ambassadeur d'Égypte à Rome : « Notre position n'a pas changé »", "ambassadeur* + EG, IT"),
        ("ar", "السفير المصري في روما: موقفنا لم يتغير", "سفير + EG, IT"),
    ],
)
def test_an_envoy_speaking_in_the_title_is_a_relation_event(
    classifier: Classifier, language: str, title: str, event: str
) -> None:
    """An ambassador of one state in another, as the headline's subject, is a relation between the
    two (``roles``), so the two-line item is diplomacy with no relation verb or diplomatic noun."""
    result = classifier.classify(title, "He spoke to reporters on Friday after a week of press reports.", language)
    assert result.labels == ["diplomacy"]
    assert result.evidence["diplomacy"][0].term == event


def test_a_role_counts_in_the_title_only() -> None:
    """The same ambassador in the lede is a source, not the subject (consular news quotes foreign
    ministers): no relation event, while a relation verb in the lede still makes one."""
    rules = LanguageRules(terms={"talks": 1}, relations=("urge*",), roles=("ambassador*",))
    topic = TopicConfig(threshold=3.0, min_distinct_terms=1, relation_weight=3.0, languages={"en": rules})
    clf = Classifier(TopicsFile(topics={"t": topic}), load_countries())
    title = clf.classify("Egyptian ambassador in Rome speaks", "", "en")
    assert [e.term for e in title.evidence["t"]] == ["ambassador* + EG, IT"] and title.labels == ["t"]
    lede = clf.classify("Quake toll rises", "The Egyptian ambassador in Rome said two were missing.", "en")
    assert lede.topics["t"] == 0.0 and lede.labels == []
    verb = clf.classify("Quake toll rises", "Egypt urges Italy to speed up the search.", "en")
    assert [e.term for e in verb.evidence["t"]] == ["urge* + EG, IT"]


def test_a_militant_group_without_an_attack_is_no_event(classifier: Classifier) -> None:
    """'Hamas elects a new leader': the group alone, or a country beside a verb, makes no event."""
    result = classifier.classify("Hamas elects new political leader", "The movement chose its leader.", "en")
    assert result.labels == [] and not any("+" in t for t in terms_of(result, "counter-terrorism"))
    result = classifier.classify("Egypt attacked by critics over dam plan", "Ethiopia replied.", "en")
    assert not any("+" in t for t in terms_of(result, "counter-terrorism"))


def test_a_party_with_a_country_code_is_refused() -> None:
    """'Francophonie: FR' would make the body and France one side; the error names topic and party."""
    rules = LanguageRules(terms={"talks": 1}, relations=("urge*",), parties={"Francophonie": "FR"})
    topic = TopicConfig(threshold=3.0, relation_weight=3.0, languages={"fr": rules})
    with pytest.raises(ConfigError, match=r"topics\.t\.languages\.fr\.parties: party 'Francophonie' has the code 'FR'"):
        Classifier(TopicsFile(topics={"t": topic}), load_countries())


def test_an_actor_under_a_code_the_gazetteer_lacks_is_refused() -> None:
    """'XK' is Kosovo and known; 'ZZ' is no state: the error names the section and the code."""
    topic = TopicConfig(threshold=3.0, languages={"en": LanguageRules(terms={"talks": 1})})
    topics = TopicsFile(topics={"t": topic}, actors={"ZZ": {"en": ("Nobody",)}})
    with pytest.raises(ConfigError, match=r"actors\.ZZ: 'ZZ' is not a country code of the gazetteer"):
        Classifier(topics, load_countries())


def test_an_actor_named_like_a_country_is_refused() -> None:
    """French "Hollande" is also the Netherlands in the gazetteer: as an actor it would count as NL."""
    topic = TopicConfig(threshold=3.0, languages={"fr": LanguageRules(terms={"talks": 1})})
    topics = TopicsFile(topics={"t": topic}, actors={"FR": {"fr": ("Hollande",)}})
    with pytest.raises(ConfigError, match=r"actors\.FR\.fr: 'Hollande' is also a country name .*\(NL\)"):
        Classifier(topics, load_countries())


@pytest.mark.parametrize(
    ("language", "title", "text", "event", "labels"),
    [
        (
            "fr",
            "Londres : une voiture fonce sur la foule",
            "Des hommes armés ont ouvert le feu.",
            "fonce sur + SOFT-TARGET",
            ["counter-terrorism"],
        ),
        (
            "en",
            "Gunman opens fire on worshippers at mosque",
            "The attacker killed six people during evening prayers, police said.",
            "opens fire + SOFT-TARGET",
            ["counter-terrorism"],
        ),
        # the event alone is worth 3 of the 5 needed: a shooting at a mosque, a ramming, nothing else said
        ("ar", "مشتبه به وحيد في إطلاق نار بمسجد في كندا", "", "إطلاق نار + SOFT-TARGET", []),
        ("en", "Car rams into crowd in Nice", "", "rams + SOFT-TARGET", []),
        ("ar", "سيارة تدهس حشدا في نيس", "", "تدهس + SOFT-TARGET", []),
    ],
)
def test_an_attack_on_a_place_only_terrorists_attack_is_an_attack_event(
    classifier: Classifier, language: str, title: str, text: str, event: str, labels: list[str]
) -> None:
    """A mosque, worshippers, a crowd (SOFT-TARGET parties) beside an attack method up front make an
    attack event with no group named, as blind labellers read a car driven into a crowd."""
    result = classifier.classify(title, text, language)
    assert event in terms_of(result, "counter-terrorism")
    assert result.labels == labels


@pytest.mark.parametrize(
    ("language", "title", "text", "event"),
    [
        ("en", "Saudi Arabia accuses Qatar of supporting terrorism", "Riyadh cut ties with Doha.", "accuse* + QA, SA"),
        ("ar", "السعودية تتهم قطر بدعم الإرهاب", "قطعت الرياض علاقاتها مع الدوحة.", "تتهم + QA, SA"),
    ],
)
def test_accusing_a_state_of_supporting_terrorism_is_no_counter_terrorism(
    classifier: Classifier, language: str, title: str, text: str, event: str
) -> None:
    """The 2017 Gulf crisis: one state accusing another of backing terrorism is a relation between
    states (title_adjacent_relation_weight 5.5: the verb is right after the accusing state), and
    "terrorism" in it is no attack or group."""
    result = classifier.classify(title, text, language)
    assert "counter-terrorism" not in result.labels and "counter-terrorism" not in result.evidence
    assert ("diplomacy", event, "title", 5.5) in [
        (topic, ev.term, ev.where, ev.weight) for topic, evs in result.evidence.items() for ev in evs
    ]


def test_a_state_advising_its_own_citizens_is_no_relation_event(classifier: Classifier) -> None:
    """"Kuwait urges its citizens in the US ..." is consular news: no "urge* + KW, US" event, and the
    citizens weigh against diplomacy; the two countries are still mentions."""
    title = "Kuwait urges its citizens in the US to avoid gatherings"
    result = classifier.classify(title, "The embassy advised nationals to stay indoors.", "en")
    assert "diplomacy" not in result.labels
    assert not any("+" in term for term in terms_of(result, "diplomacy"))
    assert result.countries == {"KW": 1, "US": 1}


def test_a_state_air_force_bombing_is_no_terrorist_bombing(classifier: Classifier) -> None:
    """"Israeli bombing" weighs against counter-terrorism instead of scoring "bombing*" (it is in
    ``against``, not ``exclude``, so Israel still counts as a country mention)."""
    result = classifier.classify("Ten minutes of Israeli bombing devastated villages in southern Lebanon", "", "en")
    assert result.labels == [] and result.topics["counter-terrorism"] < 0
    assert result.countries == {"IL": 1, "LB": 1}


@pytest.mark.parametrize(
    ("language", "title", "expected"),
    [
        # "U.N." is two one-letter words after normalization, as "U.S." is
        ("en", "Russia's invasion shadows U.N. Assembly", "U.N. Assembly"),
        # وقع/وقعت is "occurred" far more often than "signed": only توقيع and the dual forms sign
        ("ar", "توقيع اتفاقية تعاون بين مصر والسعودية", "توقيع + EG, SA"),
        ("ar", "وقعت اشتباكات بين الجيش الأفغاني ومسلحين قرب قاعدة أمريكية", None),
    ],
)
def test_diplomacy_terms_added_from_the_twelfth_set(
    classifier: Classifier, language: str, title: str, expected: str | None
) -> None:
    """Vocabulary found missing on blind sets: the dotted U.N., and Arabic signing without the
    ambiguous وقعت."""
    terms = terms_of(classifier.classify(title, "", language), "diplomacy")
    assert (expected in terms) if expected else not terms




def test_arabic_peace_talks_are_diplomacy(classifier: Classifier) -> None:
    """Peace-process vocabulary (محادثات السلام، عملية السلام ...) was missing in Arabic."""
    result = classifier.classify("استئناف محادثات السلام بين إثيوبيا وإريتريا", "", "ar")
    assert result.labels == ["diplomacy"]
    assert {"محادثات السلام", "محادثات + ER, ET"} <= terms_of(result, "diplomacy")


def test_downing_street_is_no_downing(classifier: Classifier) -> None:
    """"downing" (of a drone) is an attack method beside a group; "Downing Street" is excluded, so
    the prime minister's office hosting talks on Hezbollah is no attack event."""
    result = classifier.classify("Downing Street hosts talks on Hezbollah disarmament", "", "en")
    assert "counter-terrorism" not in result.labels
    assert not any("+" in term for term in terms_of(result, "counter-terrorism"))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # written in the style of wire briefs, which tickers print without a headline
        ("Le Mali a protesté auprès de l'Algérie jeudi et rappelé son ambassadeur pour consultations. "
         "Bamako dit attendre des explications.", "fr"),
        ("The Kenyan ambassador to Ethiopia warned on Monday that Addis Ababa is hurting regional trade. "
         "Ethiopia has not replied.", "en"),
        ("قال وزير الخارجية الأردني إن بلاده لا تعلق آمالا على وعود إسرائيل. وأضاف أن المشاورات مستمرة.", "ar"),
    ],
)
def test_a_headless_brief_s_first_sentence_is_its_headline(classifier: Classifier, text: str, language: str) -> None:
    """A brief with no headline states its news in its first sentence: that sentence is scored as
    the title (a blind set's briefs of one state protesting to another scored 5.5 as a body and
    were missed). The same text under a headline stays a body."""
    headless = classifier.classify("", text, language)
    assert headless.labels == ["diplomacy"]
    titled = classifier.classify("Brief", text, language)
    assert titled.topics["diplomacy"] < headless.topics["diplomacy"]


def test_headline_of_headless_needs_a_sentence_end_past_abbreviations() -> None:
    """The first sentence end between 25 and 300 characters; "U.S." is no sentence end."""
    from monitor.classify import headline_of_headless

    assert headline_of_headless("U.S. envoy says talks with Cuba went well. More to come.") == (
        "U.S. envoy says talks with Cuba went well.", "More to come.")
    assert headline_of_headless("قال دي ميستورا إن الضربة جاءت بعد هجوم؟ ثم أضاف") == (
        "قال دي ميستورا إن الضربة جاءت بعد هجوم؟", "ثم أضاف")
    assert headline_of_headless("no sentence end " * 30) == ("", "no sentence end " * 30)
    # a post ending in a link has no full stop: short as a headline, it is one (a trial's Mastodon post)
    post = "Mali recalls its ambassador to Algeria over drone incident https://example.org/p/1 #Sahel"
    assert headline_of_headless(post) == (post, "")


@pytest.mark.parametrize(
    ("title", "text", "language"),
    [
        ("", "The national teams of Kenya and Uganda meet on Sunday in a friendly match in Nairobi.", "en"),
        ("Morocco and Egypt meet in the World Cup qualifier tonight", "", "en"),
        ("", "التقى المنتخب الأردني نظيره العراقي وديا في عمان.", "ar"),
        ("Le Cameroun et le Nigeria se rencontrent en demi-finale", "", "fr"),
        ("", "Tribunal de Lyon : un escroc condamné pour avoir vendu de faux passeports diplomatiques.", "fr"),
    ],
)
def test_national_teams_and_a_sentenced_fraudster_are_no_diplomacy(
    classifier: Classifier, title: str, text: str, language: str
) -> None:
    """National teams "meet" as states do, and a person "condamné" is sentenced, not a state
    condemning: a trial found each labelled diplomacy (sport terms are counter-evidence; "été
    condamné" and "condamné pour" are excluded)."""
    assert classifier.classify(title, text, language).labels == []


@pytest.mark.parametrize(
    ("past", "present"),
    [("a appelé", "appelle"), ("a rejeté", "rejette"), ("a reçu", "reçoit"), ("a soutenu", "soutient")],
)
def test_french_passe_compose_in_a_lede_is_the_same_relation_as_the_present(
    classifier: Classifier, past: str, present: str
) -> None:
    """Wire ledes say "l'UE a appelé Niamey à ..." where headlines say "appelle": both are the
    EU-Niger relation event (a blind set's brief had only "Union européenne" as evidence)."""
    lede = "Bruxelles : l'Union européenne {} mardi les autorités de transition du Niger, dit un porte-parole."
    terms = []
    for verb in (past, present):
        result = classifier.classify("Sahel : Bruxelles hausse le ton", lede.format(verb), "fr")
        terms.append({ev.term.split(" + ")[1] for ev in result.evidence["diplomacy"] if " + " in ev.term})
    assert terms == [{"EU, NE"}, {"EU, NE"}]


def test_a_headline_alone_has_its_score_multiplied_by_the_headline_only_factor(classifier: Classifier) -> None:
    """A headline list's item has no body to add evidence: its score is multiplied by the topic's
    ``headline_only_factor`` (diplomacy 1.5), so "the president meets Brazil's president", a title
    relation event worth 4.5, is a label alone and not under a body that names nothing more."""
    rules = LanguageRules(terms={"talks": 2})
    topic = TopicConfig(threshold=1.0, min_distinct_terms=1, headline_only_factor=1.5, languages={"en": rules})
    clf = Classifier(TopicsFile(topics={"t": topic}))
    assert clf.classify("Ceasefire talks resume", "", "en").topics["t"] == 6.0  # 2 x title weight 2 x 1.5
    assert clf.classify("Ceasefire talks resume", "Both sides sent delegations.", "en").topics["t"] == 4.0
    # a headless brief of one sentence is scored as a title, not as a headline list's line: on a
    # blind set the factor on such briefs gave four false alarms (a cricket board "rejected" ...)
    assert clf.classify("", "Ceasefire talks resume in the capital today.", "en").topics["t"] == 4.0
    headline = "الرئيس يلتقي رئيس البرازيل ويؤكد دعم حقوق الشعب الفلسطيني"
    alone = classifier.classify(headline, "", "ar")
    assert alone.labels == ["diplomacy"] and alone.topics["diplomacy"] == 6.75
    assert classifier.classify(headline, "وجرى خلال اللقاء بحث الأوضاع.", "ar").topics["diplomacy"] < 6.5


@pytest.mark.parametrize(
    ("headline", "labels"),
    [
        ("القائم بأعمال رئيس الوزراء يفتتح مستشفى جديدا في العاصمة", []),  # the acting prime minister
        ("واشنطن تعلق منح تأشيرات الزيارة لمواطني ثلاث دول", []),  # visit visas
        ("الخارجية تستدعي القائم بأعمال السفارة الأمريكية", ["diplomacy"]),  # the chargé d'affaires
    ],
)
def test_arabic_acting_premier_and_visit_visas_are_no_diplomacy(
    classifier: Classifier, headline: str, labels: list[str]
) -> None:
    """القائم بأعمال is a chargé d'affaires, but القائم بأعمال رئيس الوزراء an acting prime minister;
    تأشيرات الزيارة are visit visas, not a visit (false alarms read in a blind set)."""
    assert classifier.classify(headline, "", "ar").labels == labels
