"""Issue 14 item 1: the composer on Spanish briefs its word lists were not grown on.

tests/generation/data/spanish_briefs_heldout.json holds 40 briefs written (commit c6fdf85)
before the general lexicon, the word-shape fallbacks and the noun-compound order existed. The
same measure as the acceptance set (`test_spanish_briefs.measure`) runs on it.

Before (composer with the ~660-entry glossary only): mean coverage 0.730, lowest 0.29, 10
briefs under 0.6. After: mean 0.959, lowest 0.67, none under 0.6. That "after" is not blind:
the lexicon was written after reading the "before" misses. The blind figures are those of the
later sets, each committed before its first measurement (fresh: 0.890, fresh3: 0.888, fresh4:
0.864; see their tests below). Thresholds sit a little under what was measured.
`python -m tests.generation.test_spanish_briefs PATH` prints every prompt of a set.
"""

from __future__ import annotations

from pathlib import Path

from generation.backends.prompt.composer import translate
from generation.backends.prompt.rules import CLIP_WINDOW
from tests.generation.test_spanish_briefs import measure, summary

HELDOUT = Path(__file__).parent / "data" / "spanish_briefs_heldout.json"


def test_the_held_out_set_holds_forty_briefs_across_nodes_tones_and_places():
    briefs = [m.brief for m in measure(HELDOUT)]
    assert len(briefs) == 40
    assert len({b["node"] for b in briefs}) >= 5
    assert len({b["tone"] for b in briefs}) >= 12
    assert all(len(b["concepts"]) >= 4 for b in briefs)


def test_held_out_briefs_keep_most_of_their_concepts_in_the_prompt():
    found = summary(measure(HELDOUT))

    assert found.mean >= 0.93, str(found)
    assert found.lowest >= 0.65, str(found)
    assert found.below == 0, str(found)


def test_held_out_prompts_carry_no_forbidden_word_contradiction_salad_or_spanish():
    found = summary(measure(HELDOUT))

    assert (found.leaks, found.contradictions, found.salad, found.spanish) == (0, 0, 0, 0)


def test_every_held_out_prompt_fits_the_clip_window():
    found = summary(measure(HELDOUT))

    assert found.max_positive_tokens <= CLIP_WINDOW
    assert found.max_negative_tokens <= CLIP_WINDOW


# --- the general rules behind the figures, one behaviour each ----------------------------


def test_a_noun_of_a_bare_noun_reads_as_an_english_compound():
    assert translate("Dueños de perros").text == "dog owners"
    assert translate("Camiones de carga para la flota").text == "cargo trucks for the fleet"


def test_a_noun_compound_is_not_made_over_a_coordination_a_phrase_or_a_quantity():
    assert translate("Dueños de perros y gatos").text == "owners of dogs and cats"
    assert translate("Contadores de empresas familiares").text == (
        "accountants of family businesses"
    )
    assert translate("Grupo de amigos").text == "group of friends"


def test_a_participle_after_its_noun_is_an_adjective_before_it():
    assert translate("Casa usada").text == "used home"
    assert translate("Crédito aprobado").text == "approved loan"


def test_a_fixed_phrase_wins_over_a_word_by_word_reading():
    assert translate("Recién casados que buscan apartamento").text == (
        "newlyweds looking for apartment"
    )
    assert translate("Regalos para el Día de la Madre").text == "gifts for the Mother's Day"


def test_words_in_no_list_are_read_from_their_shape_only_when_english_has_the_word():
    # A cognate simplemma's English word list knows, a diminutive, an adverb in -mente.
    assert translate("Organización de eventos culturales").text == (
        "organization of cultural events"
    )
    assert translate("Una casita en el campo").text == "a home in the countryside"
    assert translate("Paga rápidamente").text == "pay quickly"
    # "zarandajo" has no English look-alike: left out, never printed in Spanish.
    assert translate("Zarandajos de Bogotá").dropped == ("Zarandajos",)


def test_a_percentage_is_left_to_the_copy_with_its_up_to_and_of():
    assert translate("Financia hasta el 70% de tu casa").text == "finance home"


FRESH = Path(__file__).parent / "data" / "spanish_briefs_fresh.json"


def test_a_second_held_out_set_nobody_read_before_measuring_stays_near_the_bar():
    # Written after the first lexicon and measured blind: mean 0.890, lowest 0.57, one brief
    # under 0.6 (a home insurance brief lost fire, theft and flood). The lexicon's second sweep
    # (risks, home services, hobbies, weather, feelings, paperwork, food) was written after
    # that reading and lifts it to 0.990 / 0.86, so this set is no longer blind: the bar stays
    # at the blind figure, a little under. spanish_briefs_fresh3.json is the blind one now.
    found = summary(measure(FRESH))

    assert found.briefs == 15
    assert found.mean >= 0.87, str(found)
    assert found.lowest >= 0.55, str(found)
    assert found.below <= 1, str(found)
    assert (found.leaks, found.contradictions, found.salad, found.spanish) == (0, 0, 0, 0)
    assert found.max_positive_tokens <= CLIP_WINDOW


def test_a_compound_of_an_irregular_noun_takes_its_irregular_plural():
    assert translate("Abuelas con sus nietos").text == "grandmothers with their grandchildren"
    assert translate("Bomberos de la ciudad").text == "firefighters of the city"


def test_two_names_joined_by_y_read_as_two_names_joined_by_and():
    assert translate("Pescadores de Tumaco y Buenaventura").text == (
        "fishermen of Tumaco and Buenaventura"
    )


FRESH3 = Path(__file__).parent / "data" / "spanish_briefs_fresh3.json"


def test_a_third_held_out_set_measured_blind_meets_the_bar():
    # Written after c1e2c8a and committed (f4620ba) before the composer ran on it; measured
    # once: mean 0.888, lowest 0.67, none under 0.6. Asserted a little under that.
    found = summary(measure(FRESH3))

    assert found.briefs == 20
    assert found.mean >= 0.86, str(found)
    assert found.lowest >= 0.65, str(found)
    assert found.below == 0, str(found)
    assert (found.leaks, found.contradictions, found.salad, found.spanish) == (0, 0, 0, 0)
    assert found.max_positive_tokens <= CLIP_WINDOW


def test_english_text_made_of_words_spanish_shares_stays_english():
    # The lexicon holds "come", "red", "local" and "festival" as Spanish: English words alike
    # must not make an English field read as Spanish ("Come home" read "eat").
    assert translate("Come home once a month").text == "Come home once a month"
    assert translate("Local festival, red balloons").text.lower() == "local festival, red balloons"
    assert translate("Fast loan approval").text == "Fast loan approval"
    # Spanish made of such words still reads as Spanish when a word is Spanish only.
    assert translate("Festival local de música").text == "local festival of music"


def test_a_verb_before_an_infinitive_takes_to():
    assert translate("Familias que quieren comprar casa").text == "families wanting to buy home"
    assert translate("Necesitas ahorrar").text == "need to save"


FRESH4 = Path(__file__).parent / "data" / "spanish_briefs_fresh4.json"


def test_a_fourth_held_out_set_measured_blind_stays_near_the_bar():
    # Written after 0546df6 and committed (369ca0c) before the composer ran on it; measured
    # once: mean 0.864, lowest 0.43, two briefs under 0.6 (automatic payments: forget, dates,
    # busy, bills; a home gym: weights, exercise bikes, training) and one phrase of salad
    # ("brands of personal cared for and beauty"). Below the 0.6-each goal, so the assertion
    # is the blind figure, a little under; later fixes that read these results do not count
    # as blind and are measured by the test of that commit.
    found = summary(measure(FRESH4))

    assert found.briefs == 20
    assert found.mean >= 0.84, str(found)
    assert found.lowest >= 0.4, str(found)
    assert found.below <= 2, str(found)
    assert (found.leaks, found.contradictions, found.spanish) == (0, 0, 0)
    assert found.salad <= 1, str(found)
    assert found.max_positive_tokens <= CLIP_WINDOW


def test_a_feminine_plural_keeps_its_own_entry_over_the_masculine_lemma():
    # simplemma's lemma of "señoras" is "señor": the singular form's own entry comes first.
    assert translate("Señoras del barrio").text == "women of the neighbourhood"


def test_a_participle_shape_that_is_a_noun_of_its_own_stays_a_noun():
    # "cuidado" is care, not "cared for".
    assert translate("Belleza y cuidado personal").text == "beauty and personal care"
