# ruff: noqa: E501  (the PAGES table keeps one page per line)
"""Every recorded page of ../shared/corpus/pages served from 127.0.0.1, fetched through the fetch
layer and extracted: title, one body sentence, no page chrome, language (skipped without ../shared)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from monitor.extract import extract
from monitor.extract_html import HtmlExtractor
from monitor.fetch import Fetcher, FetchPolicy
from monitor.language import LanguageDetector
from monitor.model import Document
from tests.conftest import shared_path

#: page name, part of the title, words that must be in the body, a page-chrome string that must
#: not be, detected language.
PAGES = [
    ('ar-akhbarelyom-actress-naima-akef', '36 عامًا.. سر رحيل نعيمة عاكف في سن مبكر', 'وشعرت نعيمة عاكف ببعض الألم أثناء عملها في', 'رئيس مجلس الإدارة : أحمد جلال', 'ar'),
    ('ar-albayan-afghan-embassy-uae-diplomacy', 'القائم بأعمال السفارة الأفغانية يثمّن جهود الإمارات', 'ودعا داودزي أبناء الجالية الأفغانية في الإمارات إلى', 'تخطى قائمة التنقل', 'ar'),
    ('ar-alyaum-tehran-fakhrizadeh-assassination', 'طهران تدفن «زادة».. وتتهم المعارضة الإيرانية باغتياله', 'وأشار فراس إلى تقرير استخباري أمريكي صدر مؤخرا', 'المملكة اليوم', 'ar'),
    ('ar-cnnarabic-syria-rebels-missile-depots', 'معارضون يسيطرون على مخازن للصواريخ بريف دمشق', 'وفي محافظة الحسكة شمال شرقي البلاد، أفاد المرصد', 'الآراء الواردة أدناه', 'ar'),
    ('ar-elbalad-turki-alsheikh-yousra-covid', 'تركى آل الشيخ بعد إصابة يسرا بكورونا: يارب يرفع عنك - قناة', 'في حين أعلن ترك آل الشيخ رئيس هيئة', 'نشرة الأخبار', 'ar'),
    ('ar-lbcgroup-trump-hair-lifestyle', 'شعر وردي يُشعل السخرية… لغز لون شعر دونالد ترامب يربك', 'وأشار فوشيه إلى أن الإضاءة قد تكون عاملًا', 'آخر الأخبار', 'ar'),
    ('ar-sputnik-egypt-covid-cases', 'مصر تسجل 30 إصابة جديدة وحالتي وفاة بفيروس كورونا', 'وأكد عدم رصد أي حالات مصابة أو مشتبه', 'العالم العربي', 'ar'),
    ('en-abcnews-clinton-putin-hack', "Hillary Clinton: Putin's Alleged Involvement in Democratic", 'The demonstrations, which saw as many as 100,000', 'Guns in America', 'en'),
    ('en-apnews-mexico-economy', "Mexico's economy grew 1.1% in 1st quarter, 3.8% year on year", 'The institute said growth was spurred by an', 'U.S. News', 'en'),
    ('en-bbc-obama-gun-laws', "Obama admits US gun laws are his 'biggest frustration'", 'Nine months ago, the president seemed like a', 'Skip to content', 'en'),
    ('en-bbc-what-is-nato', 'What is Nato and which countries are in it?', "Article 5 is one of Nato's core principles.", 'British Broadcasting Corporation', 'en'),
    ('en-channel4-israel-hunts-hamas-leaders', 'Israel hunts Hamas leaders in Gaza, foreigners and wounded', 'The Jabalia refugee camp has been hit by', 'Channel 4 News', 'en'),
    ('en-euronews-swedish-police-gang-leaks', 'Swedish police to investigate reports of leaks to violent', 'A second pattern was also revealed where police', 'Log In', 'en'),
    ('en-foxnews-russia-iran-nuclear', "Russia's Nuclear Help to Iran Stirs Questions About Its", 'After Russia said in March that Bushehr would', 'FoxNews.com', 'en'),
    ('en-globalnews-syria-turkey-strikes', 'Syrian forces move into strategic town as Turkey vows to', 'Erdogan and his Russian counterpart Vladimir Putin are', 'Skip to Main Content', 'en'),
    ('en-guardian-valencia-fire', 'Death toll in Valencia fire rises to 10 as remains of last', 'It was not immediately known how many people', 'Print subscriptions', 'en'),
    ('en-heraldsun-surveillance-laws', 'Angry media won’t buckle over new surveillance laws', 'That would prevent access to the metadata of', 'Back To Top', 'en'),
    ('en-inquirer-egypt-torture-lawsuit-blocked', 'U.S. tells American he cannot sue Egyptian official he', 'U.S. District Judge Colleen Kollar-Kotelly of Washington, D.C.,', "Today's Paper", 'en'),
    ('en-ndtv-cricket-world-cup', 'India vs Sri Lanka Highlights, Cricket World Cup 2023:', '- 18:03 (IST)IND vs SL Live Score: OUTOUT!!!', 'WORLD EDITION', 'en'),
    ('en-npr-dylann-roof-convicted', 'Jury Finds Dylann Roof Guilty In S.C. Church Shooting', 'Less than 24 hours after the massacre, Roof', 'NPR Shop', 'en'),
    ('en-nytimes-rahami-bombings-arrest', 'Ahmad Khan Rahami Is Arrested in Manhattan and New Jersey', 'The car was pulled over on the Belt', 'Skip to content', 'en'),
    ('en-nytimes-us-lift-sudan-sanctions', 'United States to Lift Sudan Sanctions', 'Sales of military equipment will still be prohibited,', 'Skip to content', 'en'),
    ('en-politicoeu-ireland-presidency-nato-critic', 'Socialist critic of NATO and EU poised to win Ireland’s', 'At the final televised presidential debate Tuesday night,', 'Policy areas', 'en'),
    ('en-reuters-airasia-search-warship', 'Indonesia expands search for missing AirAsia jet, U.S.', 'The plane, whose engines were made by CFM', 'REUTERS SHOWCASE', 'en'),
    ('en-reuters-fed-rates', "Fed lifts rates, sees faster pace of hikes in Trump's first", 'Yellen called that a “very modest adjustment” driven', 'Directory of sites', 'en'),
    ('en-reuters-israeli-tank-reporters', "Israeli tank 'likely' fired machine gun at reporters after", 'TNO noted that the seven journalists were wearing', 'Reuters home', 'en'),
    ('en-seattletimes-amazon-halibut', 'Alaskan halibut, caught by a century-old Seattle boat,', 'If prices are being lowered and the quality', 'Local News', 'en'),
    ('en-telegraph-zimbabwe-coup', "Zimbabwe coup: Robert Mugabe and wife Grace 'insisting he", 'Zimbabwean intelligence reports seen by Reuters suggest that', 'Tech & Science', 'en'),
    ('en-timesofindia-kashmir-china-diplomacy', 'China snubs Imran Khan, says resolve J&K bilaterally', 'However, on Tuesday, China indicated that it was', 'Coronavirus Outbreak', 'en'),
    ('en-tpm-syria-carnage', "The Small Miracle You Haven't Heard About Amid the Carnage", 'So what is democratic confederalism? Öcalan calls it', 'Send Comments & News Tips', 'en'),
    ('en-wapo-tunisia-museum-attack', 'Attack stokes instability fears in North Africa', '“We must pay attention to what is written”', 'Accessibility for screenreader', 'en'),
    ('en-wikimedia-turkey-access-restored', 'Access to Wikipedia restored in Turkey after more than two', 'Wikipedia is a global free knowledge resource written', 'Skip to content', 'en'),
    ('fr-20minutes-tempete-ciaran', 'Dans la queue de la tempête Ciaran, à quoi s’attendre en', 'Jusqu’en fin de matinée vendredi, « les conditions', "T'as vu ?", 'fr'),
    ('fr-courrierinternational-tunnels-hamas', 'Gaza. En vidéo : voilà à quoi ressemblent les tunnels du', 'Depuis l’attaque du 7 octobre, qui a fait', 'Je m’abonne dès 2,99€/mois', 'fr'),
    ('fr-euronews-merlu-environnement', "Le merlu de l'Atlantique Nord sauvé de l'extinction ?", "Si le merlu de l'Atlantique fait désormais l'objet", 'Se Connecter', 'fr'),
    ('fr-lefigaro-guerre-ukraine', 'Guerre en Ukraine : la Russie affirme avoir fait échouer la', 'Des frappes russes ont fait au moins deux', 'BLACK FRIDAY -70% pendant 1 an', 'fr'),
    ('fr-lefigaro-montebourg-privatisations', 'Montebourg envisage des privatisations partielles', "À Bercy, chacun s'accorde à dire qu'il n'y", "Toute l'éco", 'fr'),
    ('fr-lemonde-binet-macron-politique', 'Sophie Binet met en garde Emmanuel Macron sur la « gravité', '« Je me suis adressée à lui avec', 'Consulterle journal', 'fr'),
    ('fr-lemonde-loi-renseignement', 'Le projet de loi sur le renseignement massivement approuvé', 'La Commission nationale informatique et libertés (CNIL), qui', 'Le Monde', 'fr'),
    ('fr-lesechos-ventes-voitures', 'Europe : les ventes de voitures neuves ont progressé au', "L'équipementier de télécommunications finlandais a subi une perte", 'Voir la bourse sur Investir', 'fr'),
    ('fr-liberation-seisme-nepal', 'Un troisième Français mort dans le séisme au Népal', '2 209 Français ont été localisés sains et', 'Se déconnecter', 'fr'),
    ('fr-radiocanada-kpmg-juge', 'Affaire KPMG : un juge se récuse', 'Dans un document déposé en cour pour expliquer', 'Grand Montréal', 'fr'),
    ('fr-regards-macronie-enquetes', 'Deux ans et demi en Macronie : une condamnation, dix mises', 'Le 31 août 2017, M’Jid El Guerrab, alors', "S'abonner à la page Facebook de Regards", 'fr'),
    ('fr-republicoftogo-chan-football', "Le championnat d'Afrique des Nations n'aura pas lieu", 'Décision prise mardi par la Confédération africaine de', 'République Togolaise', 'fr'),
]


@pytest.fixture(scope="module")
def pages_url() -> Iterator[str]:
    """One loopback server for the module serving ../shared/corpus/pages as text/html (no charset)."""
    folder = shared_path("corpus", "pages")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            path = folder / Path(self.path.lstrip("/")).name
            body = path.read_bytes() if path.is_file() else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy(allow_private_addresses=True)) as f:
        yield f


@pytest.fixture(scope="module")
def stages() -> tuple[HtmlExtractor, LanguageDetector]:
    return HtmlExtractor(), LanguageDetector()


@pytest.mark.shared
@pytest.mark.parametrize(("name", "title", "sentence", "chrome", "language"), PAGES,
                         ids=[p[0] for p in PAGES])
def test_corpus_page_extracts_title_body_and_language(
    pages_url: str, fetcher: Fetcher, stages: tuple[HtmlExtractor, LanguageDetector],
    name: str, title: str, sentence: str, chrome: str, language: str,
) -> None:
    """The page's headline, a sentence of its body, none of its chrome, and its language come out."""
    result = fetcher.fetch(f"{pages_url}/{name}.html")
    extractor, detector = stages
    doc = Document(source=name, content=result.content, content_type=result.content_type or "text/html",
                   url=result.final_url)
    article = extract(doc, extractor)
    assert title in article.title
    assert sentence in article.text
    assert chrome not in article.text
    assert detector.detect(article.title, article.text).code == language


def test_table_covers_every_corpus_page() -> None:
    """The table has one row per page in ../shared/corpus/pages, and all seven Arabic pages expect ar."""
    names = sorted(p.stem for p in shared_path("corpus", "pages").glob("*.html"))
    assert names == sorted(p[0] for p in PAGES)
    assert [p[4] for p in PAGES if p[0].startswith("ar-")] == ["ar"] * 7
