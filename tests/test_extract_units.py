"""Unit tests of the extraction parts: language, sentences, dates, amounts, gazetteer morphology."""

from __future__ import annotations

import textwrap

import pytest

from silkroad.extract import amounts, dates, entities, events, lang, sentences


@pytest.mark.parametrize("text,expected", [
    ("2006 жылдың тамыз айында Жапония Премьер-Министрі сапармен барды", "kk"),
    ("В августе 2006 года премьер-министр Японии посетил Казахстан", "ru"),
    ("Japan signed a loan agreement with Uzbekistan", "en"),
])
def test_language(text, expected):
    assert lang.detect(text) == expected


def _values(text, language):
    return [d.value() for d in dates.find(text, language)]


@pytest.mark.parametrize("text,language,value,precision", [
    ("2006 жылдың тамыз айында Коидзуми келді", "kk", "2006-08", "month"),
    ("2017 жылдың мамыр айында кездесу өтті", "kk", "2017-05", "month"),
    ("в августе 2006 года состоялся визит", "ru", "2006-08", "month"),
    ("August 28, 2004 the dialogue began", "en", "2004-08-28", "day"),
    ("2002 жылы 12 сәуірде Қытайда", "kk", "2002-04-12", "day"),
    ("13 августа 2020 года в городе Бишкек", "ru", "2020-08-13", "day"),
    ("Бишкек, 14.08.20 /Кабар/", "ru", "2020-08-14", "day"),
    ("On 19 February 2024, JICA signed", "en", "2024-02-19", "day"),
    ("Жапония 1995 жылы несие берді", "kk", "1995", "year"),
])
def test_absolute_dates(text, language, value, precision):
    assert value in _values(text, language)
    assert dates.precision(value) == precision


def test_since_is_not_an_event_date():
    assert _values("встречи проводились с 2004 года", "ru") == []
    assert _values("2004 жылдан бері жұмыс істейді", "kk") == []


def test_may_the_verb_is_not_a_month():
    assert all(d.month != 5 for d in dates.find("Japan may provide a loan", "en"))


@pytest.mark.parametrize("text,language,anchor,doc_date,value", [
    ("сол жылдың қаңтарында жоспар таныстырылды", "kk", "1998-08", None, "1998-01"),
    ("келесі жылдың қаңтарында қарым-қатынас орнады", "kk", "1991", None, "1992-01"),
    ("the following year a loan was signed", "en", "2010", None, "2011"),
    ("в следующем году будет саммит", "ru", None, "2023-09-21", "2024"),
    ("12 сәуірде кездесті", "kk", None, "2002-06-01", "2002-04-12"),
    ("бүгін, 9 тамызда Астанаға келмейтін болды", "kk", None, "2024-08-09", "2024-08-09"),
])
def test_relative_dates(text, language, anchor, doc_date, value):
    found = dates.find(text, language)
    resolved = [dates.resolve(d, anchor, doc_date) for d in found]
    assert value in resolved


@pytest.mark.parametrize("text,language,value,currency,approx", [
    ("Кишида шамамен 24 миллиард иен беретінін жариялады", "kk", 24e9, "JPY", True),
    ("Барлық қаражат (1,6 млрд доллар)", "kk", 1.6e9, "USD", False),
    ("a loan of 27.423 billion yen", "en", 27.423e9, "JPY", False),
    ("JICA provides ODA Loan for US$250m", "en", 250e6, "USD", False),
    ("в размере 305 млн. японских иен", "ru", 305e6, "JPY", False),
    ("¥2.7 billion for roads", "en", 2.7e9, "JPY", False),
    ("кредит в размере 11,87 миллиарда иен", "ru", 11.87e9, "JPY", False),
    ("up to 37,000 million yen", "en", 37e9, "JPY", True),
    ("$11.96 млн.", "ru", 11.96e6, "USD", False),
    ("на общую сумму $180,6 тыс.", "ru", 180.6e3, "USD", False),
    ("1,500 million yen", "en", 1.5e9, "JPY", False),
    ("US$ 250 million", "en", 250e6, "USD", False),
    ("кредит 5 млрд иеной", "ru", 5e9, "JPY", False),
    ("300 млн сум", "ru", 300e6, "UZS", False),
    ("Жапония 2,5 млрд теңге бөлді", "kk", 2.5e9, "KZT", False),
    ("Japan pledged $3bn", "en", 3e9, "USD", False),
])
def test_amounts(text, language, value, currency, approx):
    found = amounts.find(text, language)
    assert found, text
    assert found[0].value == pytest.approx(value)
    assert found[0].currency == currency
    assert found[0].approximate is approx


@pytest.mark.parametrize("text,language,value", [
    ("Japan provides 44 million grant aid to Kyrgyzstan", "en", 44e6),
    ("Japan will provide 20 billion in loans", "en", 20e9),
    ("помощь в размере 5 млн на проект", "ru", 5e6),
])
def test_amounts_without_currency_in_money_context(text, language, value):
    found = amounts.find(text, language)
    assert [(a.value, a.currency) for a in found] == [(pytest.approx(value), None)]


def test_scaled_counts_are_not_amounts():
    assert amounts.find("6 million people live in the region", "en") == []
    assert amounts.find("лишь 3 млн человек", "ru") == []


def test_month_abbreviations_only_as_dates():
    assert _values("07 мар 2018, 13:33", "ru") == ["2018-03-07"]
    assert _values("Mar 17, 2025", "en") == ["2025-03-17"]
    assert all(d.month is None for d in dates.find("Марат Нуртлеу и декларация", "ru"))
    assert all(d.month is None for d in dates.find("сен Жапонияға бардың ба", "kk"))


@pytest.mark.parametrize("text,value", [
    ("Title of the news\n\n07 мар 2018, 13:33\n\nКиргизский премьер 6 марта 2018 года принял участие.", "2018-03-07"),
    ("Бишкек, 14.08.20 /Кабар/. Правительство Японии приняло решение предоставить помощь.", "2020-08-14"),
    ("29 Қараша, 2010\n\nЖапония жақындай түсті", "2010-11-29"),
    ("ASTANA, March 17, 2025 – Kazakh FM met Japanese officials.", "2025-03-17"),
    ("Текст новости о визите.\nИсточник: NHK World, 19.05.2019", "2019-05-19"),
    ("Түсті: 13.08.2025; Мақұлданды: 25.02.2026; Онлайн қолжетімді: 30.03.2026\nМақала", None),
    ("On 6 March 2018 the prime minister of Kyrgyzstan took part in a long ceremony of signing notes.", None),
])
def test_document_date_from_header_dateline_or_source_line(text, value):
    assert dates.document_date(text) == value


def test_month_without_year_far_after_the_document_date_is_last_year():
    found = dates.find("On November 25 the sides met", "en")
    assert [dates.resolve(d, None, "2024-02-19") for d in found] == ["2023-11-25"]
    found = dates.find("On February 3 the sides met", "en")
    assert [dates.resolve(d, None, "2024-02-19") for d in found] == ["2024-02-03"]


def test_back_references_and_excluded_forms_are_not_triggers():
    assert not events.triggers("for its cooperation regarding this visit", "en")
    assert not events.triggers("осы сапар", "kk")
    s = "Договоренность об этом была достигнута в ходе встречи"
    types = {(t.event_type, t.strong) for t in events.triggers(s, "ru")}
    assert ("agreement", True) not in types and ("meeting", True) in types
    assert events.choose(events.triggers(s, "ru"), "ru").event_type == "meeting"


def test_apparatus_paragraphs_are_labels():
    assert events.is_label("Қаржыландыру: Зерттеу ... гранты есебінен")
    assert events.is_label("Source: The Japan Times, 2024")
    assert not events.is_label("Japan signed a loan agreement.")


def test_percent_and_counts_are_not_amounts():
    assert amounts.find("процентной ставкой 1,4%", "ru") == []
    assert amounts.find("подписали 9 двусторонних документов", "ru") == []


def test_sentences_keep_initials_and_abbreviations():
    text = ("Ш.А. Шадаева мен П.К. Килыбаева т.ғ.к. атағын алды. Жапония 2,5 млрд. доллар берді. "
            "Interview of A.P. Losyukov to Interfax. В 2006 г. Коидзуми посетил Астану. Новая фраза.")
    spans = sentences.split(text)
    parts = [text[s:e] for s, e in spans]
    assert parts == [
        "Ш.А. Шадаева мен П.К. Килыбаева т.ғ.к. атағын алды.",
        "Жапония 2,5 млрд. доллар берді.",
        "Interview of A.P. Losyukov to Interfax.",
        "В 2006 г. Коидзуми посетил Астану.",
        "Новая фраза.",
    ]


def test_sentence_offsets_with_shift():
    spans = sentences.split("One. Two.", offset=100)
    assert spans == [(100, 104), (105, 109)]


def test_kazakh_suffix_chains():
    assert entities.is_suffix_chain("ға")
    assert entities.is_suffix_chain("дағы")       # locative + attributive
    assert entities.is_suffix_chain("ның")
    assert entities.is_suffix_chain("мен")
    assert not entities.is_suffix_chain("ский")
    assert not entities.is_suffix_chain("абвгд")


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory):
    d = tmp_path_factory.mktemp("kb")
    (d / "actors.yaml").write_text(textwrap.dedent("""\
        actors:
          - id: japan
            kind: state
            country: JP
            names: {en: Japan, ru: Япония, kk: Жапония}
          - id: kazakhstan
            kind: state
            country: KZ
            names: {en: Kazakhstan, ru: Казахстан, kk: Қазақстан}
          - id: uzbekistan
            kind: state
            country: UZ
            names: {en: Uzbekistan, ru: Узбекистан, kk: Өзбекстан}
          - id: turkmenistan
            kind: state
            country: TM
            names: {en: Turkmenistan, ru: Туркменистан, kk: Түрікменстан}
          - id: junichiro-koizumi
            kind: person
            country: JP
            names: {en: Junichiro Koizumi, ru: Дзюнъитиро Коидзуми, kk: Дзюнитиро Коидзуми}
            aliases: {en: [Koizumi], ru: [Коидзуми, Дзюнитиро Коидзуми], kk: [Коидзуми]}
        """), encoding="utf-8")
    return entities.gazetteer((d,))


def _found(gaz, text):
    return {(text[m.start:m.end], m.actor) for m in gaz.find(text) if m.actor}


def test_kazakh_case_forms(small_kb):
    text = "Қазақстанға, Өзбекстанмен, Түрікменстанның, Жапонияның, Қазақстандағы, Коидзумидің"
    assert _found(small_kb, text) == {
        ("Қазақстанға", "kazakhstan"), ("Өзбекстанмен", "uzbekistan"), ("Түрікменстанның", "turkmenistan"),
        ("Жапонияның", "japan"), ("Қазақстандағы", "kazakhstan"), ("Коидзумидің", "junichiro-koizumi")}


def test_russian_inflection(small_kb):
    text = "Узбекистану помог вместе с Японией, визит Дзюнитиро Коидзуми в Казахстане"
    assert _found(small_kb, text) == {
        ("Узбекистану", "uzbekistan"), ("Японией", "japan"), ("Дзюнитиро Коидзуми", "junichiro-koizumi"),
        ("Казахстане", "kazakhstan")}


def test_english_and_no_partial_words(small_kb):
    found = _found(small_kb, "Koizumi visited Kazakhstan; Japan's aid. Japanology is not Japan.")
    assert ("Koizumi", "junichiro-koizumi") in found
    assert ("Kazakhstan", "kazakhstan") in found
    assert all(t != "Japanology" for t, _ in found)


def test_acronyms_match_only_in_capitals():
    full = entities.gazetteer()          # the bundled KB: the EU has the alias "ЕС"
    assert not any(m.actor == "european-union" for m in full.find("Еске сала кетейік, ол келді"))
    assert any(m.actor == "european-union" for m in full.find("Япония и ЕС подписали"))


def test_region_expands_to_five_countries(small_kb):
    codes = {c for m in small_kb.find("Орталық Азия елдеріне көмек") for c in m.countries}
    assert codes == {"KZ", "KG", "TJ", "TM", "UZ"}


def test_trigger_choice_prefers_finance_with_amount():
    s = "JICA signed a loan agreement of 15 billion yen during the visit"
    chosen = events.choose(events.triggers(s, "en"), "en", has_amount=True)
    assert chosen.event_type == "loan"
    s2 = "Nurtleu met with Iwaya to discuss investment cooperation"
    assert events.choose(events.triggers(s2, "en"), "en", has_amount=False).event_type == "meeting"


@pytest.mark.parametrize("text,language", [
    ("Diplomatic relations between Kazakhstan and Japan were established on January 26, 1992.", "en"),
    ("Japan recognized the independence of the Republic of Kazakhstan on December 28, 1991.", "en"),
    ("Embassy of Japan in Kazakhstan was opened in January 1993 in Almaty", "en"),
    ("Prime Minister Abe delivered a speech at Nazarbayev University", "en"),
    ("The new ambassador presented his credentials to President Tokayev", "en"),
    ("26 января 1992 года были установлены дипломатические отношения", "ru"),
    ("установление дипломатических отношений между Японией и Таджикистаном", "ru"),
    ("посол Японии вручил верительные грамоты Президенту", "ru"),
    ("премьер-министр выступил с речью на форуме в Астане", "ru"),
    ("Жапония елшісі сенім грамотасын табыстады", "kk"),
    ("келесі жылдың қаңтарында екі ел арасында дипломатиялық қарым-қатынас орнады", "kk"),
    ("Боао форумында сөйлеген сөзінде", "kk"),
    ("Жапонияның Қазақстандағы елшілігі ашылды", "kk"),
])
def test_other_triggers(text, language):
    assert events.choose(events.triggers(text, language), language).event_type == "other"


def test_an_anniversary_names_no_new_milestone():
    s = "This year Japan and Tajikistan celebrated 25th anniversary since establishment of diplomatic relations."
    assert not [t for t in events.triggers(s, "en") if t.event_type == "other"]
    s2 = "отмечается 30-летие установления дипломатических отношений"
    assert not [t for t in events.triggers(s2, "ru") if t.event_type == "other"]


def test_according_is_no_accord():
    assert events.triggers("According to 2011 data from the ministry", "en") == []


@pytest.mark.parametrize("text,expected", [
    ("Project for Rehabilitation of Roads (Phase II).", 2),
    ("На первом этапе было реабилитировано 42 км дороги", 1),
    ("Вторая фаза проекта осуществляется", 2),
    ("JPY 955 million for Phase I and", 1),
    ("жобаның екінші кезеңі", 2),
    ("в первую очередь", None),
    ("at this stage of relations", None),
])
def test_phase(text, expected):
    assert events.phase(text) == expected


@pytest.mark.parametrize("text,language,expected", [
    ("Japan will provide about $440,000 in grants", "en", "pledge"),
    ("Five new projects worth a total of $435,900 were signed", "en", "commitment"),
    ("Япония выделит Бишкеку 6 млн долларов", "ru", "pledge"),
    ("Правительство Японии выделило Узбекистану грант", "ru", "commitment"),
    ("Жапония 5 млн доллар грант береді", "kk", "pledge"),
    ("келісімге қол қойды", "kk", "commitment"),
])
def test_pledge_or_commitment(text, language, expected):
    assert events.stage(text, language) == expected


@pytest.mark.parametrize("text,language,value", [
    ("выделила на эти цели более $24 млн.", "ru", 24e6),
    ("свыше 1 млрд йен", "ru", 1e9),
    ("около 280 тысяч долларов", "ru", 280e3),
    ("порядка 20 млрд иен", "ru", 20e9),
    ("about $440,000 in grants", "en", 440e3),
    ("over US$250m", "en", 250e6),
    ("approximately JPY 305 million", "en", 305e6),
    ("5 миллион доллардан астам грант", "kk", 5e6),
])
def test_approximate_amounts(text, language, value):
    found = amounts.find(text, language)
    assert found and found[0].value == value and found[0].approximate


def test_a_signing_date_wins_over_the_report_date():
    s = ("Комитет сегодня, 4 марта 2024 года, одобрил законопроект о ратификации обменных нот, "
         "подписанных 20 ноября 2023 года в городе Токио")
    found = dates.find(s, "ru")
    signed = events.signing_dates(s, "ru", found)
    assert [d.value() for d in found if id(d) in signed] == ["2023-11-20"]


def test_aggregates_over_a_period():
    assert events.is_aggregate("During 2016 Japanese fiscal year, Japan and Tajikistan signed grant projects "
                               "on the amount of 5.6 billion Japanese Yen.", "en")
    assert events.is_aggregate("За это время реализовано 85 проектов на шесть с половиной миллионов долларов", "ru")
    assert not events.is_aggregate("On June 2, 2017 the Exchange of Notes took place", "en")


def test_english_month_names_are_whole_words():
    assert _values("Mayor of the city of Nagoya met the President", "en") == []
    assert _values("on 7 May 2019 the notes were signed", "en") == ["2019-05-07"]


@pytest.mark.parametrize("text,language,etype", [
    ("Japan recognized Uzbekistan's independence in December 1991.", "en", "other"),
    ("Посольство Республики Таджикистан в Японии функционирует с 28 ноября 2007 года.", "ru", "other"),
    ("Ииджима Ясумаса елші ретіндегі миссиясын 2024 жылы желтоқсанда бастаған.", "kk", "other"),
    ("Назарбаев Жапония Парламентінің төрағасы Такео Кавамурамен жолықты.", "kk", "meeting"),
    ("Japan and Uzbekistan will sign a number of bilateral documents.", "en", "agreement"),
])
def test_more_trigger_forms(text, language, etype):
    assert events.choose(events.triggers(text, language), language).event_type == etype


def test_received_aid_is_no_reception():
    found = events.triggers("the country received generous donation and humanitarian aid from Kazakhstan", "en")
    assert "meeting" not in {t.event_type for t in found}


def test_direct_speech():
    assert events.is_speech('"Today we thoroughly discussed the perspectives of cooperation in trade and investment, and reached important agreements," said the President.')
    assert not events.is_speech("«Жібек жолы дипломатиясын» жүзеге асырудағы алғашқы қадамдардың бірі")
    assert not events.is_speech("Japan signed a loan agreement with Uzbekistan")


def test_sector_of_a_finance_sentence_in_three_languages():
    from silkroad.extract.events import sector

    assert sector("JICA signed a loan agreement for the Tashkent thermal power plant modernization", "en") == "energy"
    assert sector("Япония выделит грант на реконструкцию моста и автодороги Бишкек — Ош", "ru") == "transport"
    assert sector("Жапония аудандық ауруханаға медициналық жабдық беру туралы грант келісіміне қол қойды", "kk") \
        == "health"
    assert sector("Japan and Uzbekistan signed an agreement", "en") is None
    from silkroad.model import SECTORS
    from silkroad.extract.resources import load
    assert set(load("sectors")) <= set(SECTORS)          # every cue names a real sector
