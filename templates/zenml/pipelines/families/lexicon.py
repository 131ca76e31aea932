"""Word lists for synthetic support messages: 14 real languages, and pseudo-languages for others.

Why real words: language identification must be tested on text a real detector recognises, and
sentiment and entity models must learn from signal that looks like language. Each language has
sentence templates with slots for a product (``thing``), an opinion carrying the sentiment,
and entity mentions (people, organisations, places, shared across languages as names are).
A language without a list gets a pseudo-language: syllables drawn from a generator seeded by
the language code, so its messages still carry a learnable sentiment signal (no real detector
will name it, which is what routing to the fallback model is for).
"""

# Letters of other alphabets are the point of this module.
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["ENTITIES", "LANGUAGES", "Lexicon", "lexicon"]

ENTITIES: dict[str, tuple[str, ...]] = {
    "PER": ("Maria", "Jonas", "Aiko", "Pedro", "Elena", "Omar", "Sofia", "Lukas"),
    "ORG": ("Acmex", "Nordwind", "Zentrova", "Bluefin", "Korimo", "Veltra"),
    "LOC": ("Berlin", "Lisbon", "Osaka", "Toronto", "Nairobi", "Krakow", "Helsinki"),
}


@dataclass(frozen=True)
class Lexicon:
    """One language's templates and slot fillers; opinions are keyed by sentiment."""

    templates: tuple[str, ...]
    things: tuple[str, ...]
    opinions: dict[str, tuple[str, ...]]


def _lex(templates: str, things: str, positive: str, negative: str, neutral: str) -> Lexicon:
    def split(text: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in text.split("|"))

    return Lexicon(
        split(templates),
        split(things),
        {"positive": split(positive), "negative": split(negative), "neutral": split(neutral)},
    )


LANGUAGES: dict[str, Lexicon] = {
    "en": _lex(
        "I ordered the {thing} from {org} in {place} last week and honestly it was {opinion} |"
        " My friend {person} told me about the {thing} and after using it I think it is {opinion}"
        " | We contacted {org} about the {thing} and the whole experience was {opinion}",
        "phone | jacket | coffee machine | delivery | subscription",
        "excellent, I am very happy with it | wonderful and really worth the money |"
        " great, fast and friendly",
        "terrible, I want my money back | awful and completely broken | very bad and slow",
        "fine, nothing special to report | acceptable, about what I expected |"
        " ordinary, neither good nor bad",
    ),
    "es": _lex(
        "Pedí el {thing} de {org} en {place} la semana pasada y sinceramente fue {opinion} |"
        " Mi amiga {person} me habló del {thing} y después de usarlo creo que es {opinion} |"
        " Nos pusimos en contacto con {org} por el {thing} y toda la experiencia fue {opinion}",
        "teléfono | abrigo | cafetera | envío | servicio",
        "excelente, estoy muy contento | maravilloso y vale la pena | genial, rápido y amable",
        "horrible, quiero que me devuelvan el dinero | pésimo y está roto | muy malo y lento",
        "normal, nada especial que contar | aceptable, lo que esperaba |"
        " corriente, ni bueno ni malo",
    ),
    "fr": _lex(
        "J'ai commandé le {thing} chez {org} à {place} la semaine dernière et franchement c'était"
        " {opinion} | Mon amie {person} m'a parlé du {thing} et après l'avoir utilisé je pense que"
        " c'est {opinion} | Nous avons contacté {org} au sujet du {thing} et toute l'expérience"
        " était {opinion}",
        "téléphone | manteau | cafetière | livraison | abonnement",
        "excellent, je suis très content | merveilleux et vraiment rentable |"
        " formidable, rapide et aimable",
        "horrible, je veux être remboursé | affreux et complètement cassé | très mauvais et lent",
        "correct, rien de spécial à signaler | acceptable, comme je l'attendais |"
        " ordinaire, ni bon ni mauvais",
    ),
    "de": _lex(
        "Ich habe das {thing} letzte Woche bei {org} in {place} bestellt und ehrlich gesagt war es"
        " {opinion} | Meine Freundin {person} hat mir von dem {thing} erzählt und nach der Nutzung"
        " finde ich es {opinion} | Wir haben {org} wegen dem {thing} kontaktiert und die ganze"
        " Erfahrung war {opinion}",
        "Telefon | Jacke | Kaffeemaschine | Paket | Abonnement",
        "ausgezeichnet, ich bin sehr zufrieden | wunderbar und das Geld wirklich wert |"
        " großartig, schnell und freundlich",
        "schrecklich, ich will mein Geld zurück | furchtbar und völlig kaputt |"
        " sehr schlecht und langsam",
        "in Ordnung, nichts Besonderes zu berichten | akzeptabel, wie erwartet |"
        " gewöhnlich, weder gut noch schlecht",
    ),
    "it": _lex(
        "Ho ordinato il {thing} da {org} a {place} la settimana scorsa e sinceramente è stato"
        " {opinion} | La mia amica {person} mi ha parlato del {thing} e dopo averlo usato penso"
        " che sia {opinion} | Abbiamo contattato {org} per il {thing} e tutta l'esperienza è stata"
        " {opinion}",
        "telefono | cappotto | caffettiera | pacco | abbonamento",
        "eccellente, sono molto soddisfatto | meraviglioso e vale davvero la spesa |"
        " fantastico, veloce e gentile",
        "terribile, voglio indietro i miei soldi | pessimo e completamente rotto |"
        " molto brutto e lento",
        "normale, niente di speciale da segnalare | accettabile, come mi aspettavo |"
        " ordinario, né buono né cattivo",
    ),
    "pt": _lex(
        "Eu encomendei o {thing} da {org} em {place} na semana passada e sinceramente foi"
        " {opinion} | A minha amiga {person} falou-me do {thing} e depois de o usar acho que é"
        " {opinion} | Nós contactámos a {org} sobre o {thing} e toda a experiência foi {opinion}",
        "telemóvel | casaco | máquina de café | encomenda | assinatura",
        "excelente, estou muito satisfeito | maravilhoso e vale mesmo a pena |"
        " ótimo, rápido e simpático",
        "horrível, quero o meu dinheiro de volta | péssimo e completamente avariado |"
        " muito mau e lento",
        "normal, nada de especial a dizer | aceitável, o que eu esperava | comum, nem bom nem mau",
    ),
    "nl": _lex(
        "Ik heb vorige week de {thing} bij {org} in {place} besteld en eerlijk gezegd was het"
        " {opinion} | Mijn vriendin {person} vertelde me over de {thing} en na het gebruik vind ik"
        " het {opinion} | Wij hebben {org} gebeld over de {thing} en de hele ervaring was"
        " {opinion}",
        "telefoon | jas | koffiezetapparaat | bezorging | abonnement",
        "uitstekend, ik ben heel tevreden | geweldig en echt het geld waard |"
        " fantastisch, snel en vriendelijk",
        "verschrikkelijk, ik wil mijn geld terug | vreselijk en helemaal kapot |"
        " heel slecht en traag",
        "prima, niets bijzonders te melden | acceptabel, zoals ik verwachtte |"
        " gewoon, niet goed en niet slecht",
    ),
    "sv": _lex(
        "Jag beställde {thing} från {org} i {place} förra veckan och ärligt talat var det"
        " {opinion} | Min vän {person} berättade om {thing} och efter att ha använt den tycker jag"
        " att den är {opinion} | Vi kontaktade {org} om {thing} och hela upplevelsen var {opinion}",
        "telefonen | jackan | kaffebryggaren | leveransen | prenumerationen",
        "utmärkt, jag är mycket nöjd | underbart och verkligen värt pengarna |"
        " jättebra, snabbt och vänligt",
        "hemskt, jag vill ha tillbaka mina pengar | förfärligt och helt trasigt |"
        " mycket dåligt och långsamt",
        "okej, inget särskilt att rapportera | godtagbart, ungefär som jag väntade mig |"
        " vanligt, varken bra eller dåligt",
    ),
    "pl": _lex(
        "Zamówiłem {thing} w firmie {org} w mieście {place} w zeszłym tygodniu i szczerze mówiąc"
        " było to {opinion} | Moja przyjaciółka {person} opowiedziała mi o tym i po użyciu uważam,"
        " że {thing} jest {opinion} | Skontaktowaliśmy się z {org} w sprawie {thing} i całe"
        " doświadczenie było {opinion}",
        "telefon | kurtka | ekspres do kawy | przesyłka | subskrypcja",
        "doskonałe, jestem bardzo zadowolony | wspaniałe i naprawdę warte swojej ceny |"
        " świetne, szybkie i miłe",
        "okropne, chcę zwrotu pieniędzy | straszne i całkowicie zepsute | bardzo złe i powolne",
        "w porządku, nic szczególnego | do przyjęcia, tego się spodziewałem |"
        " zwyczajne, ani dobre, ani złe",
    ),
    "fi": _lex(
        "Tilasin tuotteen {thing} yritykseltä {org} kaupungista {place} viime viikolla ja"
        " rehellisesti sanottuna se oli {opinion} | Ystäväni {person} kertoi minulle tuotteesta"
        " {thing} ja käytön jälkeen mielestäni se on {opinion} | Otimme yhteyttä yritykseen {org}"
        " tuotteesta {thing} ja koko kokemus oli {opinion}",
        "puhelin | takki | kahvinkeitin | toimitus | tilaus",
        "erinomainen, olen todella tyytyväinen | upea ja todella rahan arvoinen |"
        " loistava, nopea ja ystävällinen",
        "kamala, haluan rahani takaisin | hirveä ja täysin rikki | todella huono ja hidas",
        "ihan tavallinen, ei mitään erityistä | hyväksyttävä, kuten odotin |"
        " tavallinen, ei hyvä eikä huono",
    ),
    "tr": _lex(
        "Geçen hafta {place} şehrindeki {org} mağazasından {thing} sipariş ettim ve açıkçası"
        " {opinion} | Arkadaşım {person} bana {thing} hakkında bilgi verdi ve kullandıktan sonra"
        " bence {opinion} | {org} ile {thing} hakkında iletişime geçtik ve bütün deneyim"
        " {opinion}",
        "telefon | ceket | kahve makinesi | teslimat | abonelik",
        "mükemmeldi, çok memnunum | harikaydı ve parasına gerçekten değer |"
        " çok güzeldi, hızlı ve nazik",
        "berbattı, paramı geri istiyorum | korkunçtu ve tamamen bozuk | çok kötü ve yavaştı",
        "idare ederdi, söylenecek özel bir şey yok | kabul edilebilirdi, beklediğim gibi |"
        " sıradandı, ne iyi ne kötü",
    ),
    "ru": _lex(
        "Я заказал {thing} в компании {org} в городе {place} на прошлой неделе и честно говоря"
        " это было {opinion} | Моя подруга {person} рассказала мне про {thing} и после"
        " использования я думаю что это {opinion} | Мы связались с {org} по поводу {thing} и весь"
        " опыт был {opinion}",
        "телефон | куртку | кофеварку | доставку | подписку",
        "отлично, я очень доволен | замечательно и действительно стоит своих денег |"
        " прекрасно, быстро и вежливо",
        "ужасно, верните мне деньги | отвратительно и полностью сломано | очень плохо и медленно",
        "нормально, ничего особенного | приемлемо, как я и ожидал | обычно, ни хорошо ни плохо",
    ),
    "el": _lex(
        "Παρήγγειλα το {thing} από την {org} στο {place} την περασμένη εβδομάδα και ειλικρινά ήταν"
        " {opinion} | Η φίλη μου η {person} μου είπε για το {thing} και αφού το χρησιμοποίησα"
        " νομίζω ότι είναι {opinion} | Επικοινωνήσαμε με την {org} για το {thing} και όλη η"
        " εμπειρία ήταν {opinion}",
        "τηλέφωνο | μπουφάν | καφετιέρα | δέμα | συνδρομή",
        "εξαιρετικό, είμαι πολύ ευχαριστημένος | υπέροχο και αξίζει τα χρήματα |"
        " τέλειο, γρήγορο και φιλικό",
        "απαίσιο, θέλω τα χρήματά μου πίσω | φρικτό και εντελώς χαλασμένο | πολύ κακό και αργό",
        "εντάξει, τίποτα το ιδιαίτερο | αποδεκτό, όπως το περίμενα |"
        " συνηθισμένο, ούτε καλό ούτε κακό",
    ),
    "ja": _lex(
        "先週 {place} の {org} で{thing}を注文しましたが、正直に言うと{opinion} |"
        " 友達の {person} さんが{thing}について教えてくれて、使ってみたら{opinion} |"
        " {thing}のことで {org} に連絡しましたが、全体的な体験は{opinion}",
        "スマートフォン | ジャケット | コーヒーメーカー | 配達 | 定期購読",
        "とても素晴らしくて、本当に満足しています | 最高で、お金を払う価値がありました |"
        " すごく良くて、速くて親切でした",
        "ひどくて、お金を返してほしいです | 最悪で、完全に壊れていました |"
        " とても悪くて、遅かったです",
        "普通で、特に言うことはありません | まあまあで、予想通りでした |"
        " 良くも悪くもありませんでした",
    ),
}

_SYLLABLES = ("ka", "lo", "mi", "ren", "tu", "sha", "vo", "ne", "pi", "dra", "qu", "el", "zo")


def _pseudo(code: str) -> Lexicon:
    """A stable made-up language for ``code``: same words every run, distinct per code."""
    rng = np.random.default_rng(zlib.crc32(code.encode("utf-8")))

    def word() -> str:
        return "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 4))))

    def phrase(words: int) -> str:
        return " ".join(word() for _ in range(words))

    template = (
        f"{phrase(3)} {{thing}} {phrase(2)} {{org}} {phrase(2)} {{place}} {phrase(2)} {{opinion}}"
    )
    person = f"{phrase(2)} {{person}} {phrase(3)} {{thing}} {phrase(2)} {{opinion}}"
    return Lexicon(
        (template, person),
        tuple(word() for _ in range(5)),
        {s: tuple(phrase(3) for _ in range(3)) for s in ("positive", "negative", "neutral")},
    )


def lexicon(code: str) -> Lexicon:
    """The word lists of ``code``: a real language's, or a pseudo-language's."""
    return LANGUAGES.get(code) or _pseudo(code)
