"""Articles written for these tests (invented places, people and outlets; example.* domains).

Each is a headline and ~300 words in six paragraphs, in English, French and Arabic, plus
articles with a similar headline but a different story. :func:`page` wraps one in an HTML page
with a chosen page chrome, so variants (edited headline, reordered paragraphs, other chrome,
one paragraph cut) can be built at test time.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class OwnArticle:
    lang: str
    title: str
    paragraphs: tuple[str, ...]


EN = OwnArticle(
    "en",
    "Harbour authority in Westmere approves new container terminal",
    (
        "The harbour authority of Westmere voted on Tuesday to approve a new container terminal on the "
        "northern shore of the bay, ending four years of public hearings and two revised environmental "
        "studies. The project is expected to double the port's capacity by the end of the decade.",
        "Board chair Helen Ostrova said the decision followed months of negotiation with fishing "
        "cooperatives, which had feared that dredging would destroy the oyster beds near the river mouth. "
        "Under the final plan, dredging will stop during the spawning season and a monitoring station "
        "will publish water quality data every week.",
        "The terminal will cost an estimated 840 million crowns, financed by a consortium of three "
        "regional banks and a loan from the national infrastructure fund. Construction is scheduled to "
        "begin next spring and to last about three years, employing up to twelve hundred workers.",
        "Shipping companies welcomed the vote. A spokesman for the Northern Lines group said larger "
        "vessels currently have to unload at Carrow, two hundred kilometres away, and that the new "
        "berths would cut transport costs for exporters of timber and machine parts in the valley.",
        "Residents of the Lindholm district remain divided. Some hope for new jobs and a renovated "
        "waterfront, while others worry about heavy lorry traffic on the coast road. The city council "
        "has promised a bypass, but its route and its budget have not yet been agreed.",
        "Environmental groups said they would study the final permit before deciding whether to appeal. "
        "The authority will hold an information evening at the maritime museum next Thursday, where "
        "engineers will present the construction calendar and answer questions from the public.",
    ),
)

EN_OTHER = OwnArticle(
    "en",
    "Harbour authority in Westmere rejects new cruise terminal",
    (
        "A proposal to build a cruise ship terminal in the old town of Westmere was turned down by the "
        "harbour authority after residents collected more than nine thousand signatures against it.",
        "Opponents argued that the narrow streets around the cathedral could not absorb several thousand "
        "visitors arriving at the same hour, and that the historic quays would lose their character.",
        "The developer, a tourism company based in Valmont, said it regretted the outcome and would look "
        "for another site further along the coast, possibly near the disused ferry station.",
        "Local shop owners were less enthusiastic about the refusal. Several said that cruise passengers "
        "would have brought customers during the quiet winter months when hotels are half empty.",
        "The mayor said the city would now concentrate on rail connections and on smaller boats, which "
        "she described as a better fit for a town of forty thousand inhabitants and medieval streets.",
        "A final report on the consultation will be published in March, together with the list of the "
        "questions that residents asked during the six public meetings held over the autumn.",
    ),
)

FR = OwnArticle(
    "fr",
    "La région de Vallombre lance un plan pour ses lignes de bus rurales",
    (
        "Le conseil régional de Vallombre a adopté jeudi un plan de réorganisation des lignes de bus "
        "rurales, qui prévoit une desserte toutes les heures dans les communes de plus de mille habitants "
        "et un service à la demande pour les hameaux les plus isolés du plateau.",
        "Selon la vice-présidente chargée des transports, Claire Dumontel, près d'un tiers des habitants "
        "de la région n'ont aujourd'hui aucun bus après dix-huit heures. Le nouveau réseau doit permettre "
        "aux lycéens et aux salariés en horaires décalés de se passer de la voiture.",
        "Le plan coûtera environ quarante-deux millions d'euros sur cinq ans. La région prévoit d'acheter "
        "soixante véhicules fonctionnant au biogaz produit par les exploitations agricoles locales, et de "
        "rénover une vingtaine d'abris dans les villages.",
        "Les associations d'usagers saluent une avancée, mais regrettent que les tarifs ne soient pas "
        "encore connus. Elles demandent un abonnement unique valable dans le train régional et dans les "
        "bus, comme cela existe déjà dans la métropole voisine.",
        "Plusieurs maires de petites communes craignent de devoir participer au financement. Le président "
        "de l'association des maires ruraux a demandé que la région prenne en charge l'entretien des arrêts "
        "et la signalisation, sans contribution des budgets municipaux.",
        "Les premières lignes seront mises en service à la rentrée de septembre. Une consultation en ligne "
        "est ouverte jusqu'à la fin du mois pour recueillir les propositions d'horaires des habitants, qui "
        "seront présentées lors d'une réunion publique à Saint-Aubin.",
    ),
)

FR_OTHER = OwnArticle(
    "fr",
    "La région de Vallombre lance un plan pour ses pistes cyclables",
    (
        "La région de Vallombre veut relier ses principales villes par des pistes cyclables continues d'ici "
        "six ans, a annoncé mardi son président lors d'une visite sur le chantier de la voie verte du canal.",
        "Le projet représente cent quatre-vingts kilomètres d'aménagements, dont une partie sur d'anciennes "
        "voies ferrées abandonnées depuis les années soixante-dix et rachetées par les départements.",
        "Les cyclistes du quotidien réclament surtout des parkings sécurisés près des gares, car les vols "
        "de vélos ont fortement augmenté l'année dernière selon la gendarmerie.",
        "Les agriculteurs riverains s'inquiètent de la circulation sur les chemins de service et demandent "
        "des barrières amovibles pour que leurs engins puissent passer pendant les moissons.",
        "Le budget, encore provisoire, serait partagé entre la région, l'État et l'Union européenne, "
        "qui finance déjà plusieurs itinéraires touristiques le long du fleuve.",
        "Un premier tronçon entre Belcourt et Saint-Aubin doit ouvrir au printemps, avec des bornes de "
        "réparation et des panneaux indiquant les distances jusqu'aux villages.",
    ),
)

AR = OwnArticle(
    "ar",
    "بلدية وادي الريحان تفتتح محطة جديدة لتحلية مياه البحر",
    (
        "افتتحت بلدية وادي الريحان صباح الأحد محطة جديدة لتحلية مياه البحر على الساحل الجنوبي، بطاقة إنتاجية "
        "تبلغ ستين ألف متر مكعب يومياً، في خطوة تهدف إلى إنهاء الانقطاعات المتكررة للمياه خلال أشهر الصيف.",
        "وقال رئيس البلدية سالم العتيبي إن المحطة ستغطي حاجة نحو مئتي ألف نسمة من سكان المدينة "
        "والقرى المجاورة، وإن شبكة الأنابيب الجديدة ستصل إلى الأحياء الشرقية "
        "التي كانت تعتمد على الصهاريج منذ سنوات.",
        "وبلغت تكلفة المشروع نحو مئة وعشرين مليون دينار، تم تمويلها بقرض من صندوق التنمية الإقليمي ومساهمة "
        "من شركات القطاع الخاص، على أن تسدد البلدية القرض على مدى خمس عشرة سنة من عائدات بيع المياه.",
        "وتعمل المحطة جزئياً بالطاقة الشمسية من خلال حقل ألواح أقيم على أرض مجاورة، ما يخفض استهلاك الكهرباء "
        "بنسبة الثلث تقريباً بحسب المهندسين المشرفين، الذين أكدوا أن المياه المنتجة مطابقة للمعايير الصحية.",
        "ورحب السكان بالمشروع، لكن بعضهم أبدى قلقه من ارتفاع الفواتير الشهرية، فيما طالبت جمعيات الصيادين "
        "بضمانات بشأن تصريف المياه المالحة بعيداً عن مناطق الصيد التقليدية قرب الشاطئ.",
        "وأعلنت البلدية أنها ستنظم أياماً مفتوحة لزيارة المحطة خلال الشهر المقبل، كما ستنشر تقريراً دورياً "
        "عن جودة المياه وكميات الإنتاج على موقعها الإلكتروني ليطلع عليه المواطنون.",
    ),
)

AR_OTHER = OwnArticle(
    "ar",
    "بلدية وادي الريحان تفتتح مكتبة عامة جديدة",
    (
        "افتتحت بلدية وادي الريحان مكتبة عامة في وسط المدينة تضم أكثر من أربعين ألف كتاب وقاعة للمطالعة "
        "مخصصة للطلاب، إضافة إلى ركن للأطفال يقدم ورش قراءة أسبوعية.",
        "وقالت مديرة المكتبة إن المبنى كان في الأصل سوقاً قديماً للحبوب، وقد جرى ترميمه مع الحفاظ على "
        "واجهته الحجرية وأقواسه التي تعود إلى بداية القرن الماضي.",
        "وتتيح المكتبة استعارة الكتب مجاناً لسكان المدينة، كما توفر أجهزة حاسوب متصلة بالإنترنت لمن لا "
        "يملكون اتصالاً في منازلهم، وخاصة طلاب الجامعات القادمين من القرى.",
        "وأشار عدد من المعلمين إلى أن المدينة كانت تفتقر منذ سنوات إلى مكان هادئ للدراسة، وأن المكتبة "
        "ستساعد على تشجيع القراءة بين الشباب في العطل المدرسية.",
        "وتعتزم البلدية تنظيم معرض للكتاب في ساحة المكتبة خلال الربيع بمشاركة دور نشر محلية، مع أمسيات "
        "شعرية ولقاءات مع كتاب من المنطقة.",
        "وستفتح المكتبة أبوابها يومياً من التاسعة صباحاً حتى الثامنة مساءً، باستثناء يوم الجمعة.",
    ),
)

OWN_ARTICLES = (EN, FR, AR)

#: Two kinds of page chrome (different outlets' templates). ``{lang}``, ``{title}``, ``{body}``.
CHROME_A = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<title>{title} | Example Courier</title>
<meta property="og:site_name" content="Example Courier"></head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/economy">Economy</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By Staff Reporter</p>{body}</article></main>
<footer><p>Copyright Example Courier. All rights reserved.</p></footer></body></html>"""
CHROME_B = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:site_name" content="Example Gazette"></head><body>
<div id="top"><ul class="menu"><li><a href="/a">Latest</a></li><li><a href="/b">Regions</a></li></ul></div>
<div class="layout"><div class="story"><h1 class="headline">{title}</h1>{body}</div>
<aside><h3>Newsletter</h3><p>Sign up for the Example Gazette morning briefing.</p></aside></div>
<div class="foot">Example Gazette, 12 Example Street</div></body></html>"""


def page(article: OwnArticle, chrome: str = CHROME_A, *, title: str | None = None,
         paragraphs: tuple[str, ...] | None = None) -> bytes:
    """The article as an HTML page (UTF-8 bytes), optionally with another headline or paragraphs."""
    chosen = paragraphs if paragraphs is not None else article.paragraphs
    body = "".join(f"<p>{escape(p)}</p>\n" for p in chosen)
    return chrome.format(lang=article.lang, title=escape(title or article.title), body=body).encode("utf-8")


def text(article: OwnArticle, paragraphs: tuple[str, ...] | None = None) -> str:
    """The article body as extracted text (one paragraph per line)."""
    return "\n".join(paragraphs if paragraphs is not None else article.paragraphs)
