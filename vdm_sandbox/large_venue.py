"""A generated large venue, for trying the shop with a full season's programme.

`SANDBOX_CATALOGUE=large` serves 150 shows of three performances each (`large:<n>` for n
shows) in four halls, spread over the coming twelve months, in nine genres, with several
sets of ticket types, some performances sold out and some not for sale (`nosal`).

The venue is generated as the same data as a catalogue file (see `demo_catalogue.json`)
and read by the same `catalogue.from_dict`. It is deterministic: each show is drawn from a
random generator seeded with its own number, so two loads give the same venue, and the
first 40 shows of `large` are the 40 shows of `large:40` (only their dates differ, as the
programme is spread over the same year, and so may their halls). Dates are given
relative to today.
"""

from __future__ import annotations

import hashlib
import random
import string
from typing import Any

DEFAULT_SHOWS = 150
MAX_SHOWS = 10_000
PERFORMANCES = 3
LAST_DAY = 367  # the last performance: 367 days cannot fit in one calendar year, so it is past a year end
WIDEST_RUN = 14  # days between a show's first and last performance, at most

# Show ids are 100000 + 10 * n, their performances the next three numbers: unique, and far
# below 2**31 however many shows are asked for.
FIRST_SHOW_ID = 100_000

# The big hall's numbered seats (seating.py): a stalls of 18 rows of 28, the front twelve the
# first rank, and a balcony of 6 rows of 25 in the second: 654 seats, of which a performance
# sells the first 650 (its capacity). The other halls are unnumbered.
SCHOUWBURG_SEATING = {
    "ranks": [{"rank_id": 1, "rank_name": "Rang 1"}, {"rank_id": 2, "rank_name": "Rang 2", "price_off": "5.00"}],
    "sections": [
        {"section_id": 1, "section_name": "Parket",
         "rows": [{"row_nr": r, "seats": 28, "rank_id": 1 if r <= 12 else 2} for r in range(1, 19)]},
        {"section_id": 2, "section_name": "Balkon",
         "rows": [{"row_nr": r, "seats": 25, "rank_id": 2} for r in range(1, 7)]},
    ],
}

HALLS = [
    {"location_id": 11, "location_name": "Schouwburgzaal", "capacity": 650,
     "location_address": "Havenkade 2", "location_address1": None, "location_zip": "8011 AB",
     "location_city": "Zwolle", "location_country": "NL", "location_phone": "038 012 5500",
     "seating": SCHOUWBURG_SEATING},
    {"location_id": 12, "location_name": "Kleine Zaal", "capacity": 220,
     "location_address": "Havenkade 2", "location_address1": "Ingang Pakhuisstraat", "location_zip": "8011 AB",
     "location_city": "Zwolle", "location_country": "NL", "location_phone": "038 012 5500"},
    {"location_id": 13, "location_name": "Studio", "capacity": 90,
     "location_address": "Pakhuisstraat 7", "location_address1": None, "location_zip": "8011 AC",
     "location_city": "Zwolle", "location_country": "NL", "location_phone": "038 012 5501"},
    {"location_id": 14, "location_name": "Muziekzaal", "capacity": 400,
     "location_address": "Kadewal 15", "location_address1": "Tweede verdieping", "location_zip": "8011 BD",
     "location_city": "Zwolle", "location_country": "NL", "location_phone": "038 012 5502"},
]
SCHOUWBURG, KLEIN, STUDIO, MUZIEK = 11, 12, 13, 14

PAYMENT_METHODS = [
    {"payment_id": 33, "payment_desc": "iDEAL", "payment_cost": "0.00"},
    {"payment_id": 34, "payment_desc": "Creditcard", "payment_cost": "1.50"},
    {"payment_id": 35, "payment_desc": "Bancontact", "payment_cost": "0.35"},
]

# --- ticket types ----------------------------------------------------------------------


def _discount_id(*parts: str) -> str:
    """A ten-character id like VdM's, the same on every load."""
    digest = int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest(), "big")
    alphabet = string.ascii_letters + string.digits
    chars = []
    for _ in range(10):
        digest, i = divmod(digest, len(alphabet))
        chars.append(alphabet[i])
    return "".join(chars)


def _type(set_name: str, name: str, base: str, kind: str = "€", value: str = "0.00") -> dict:
    return {"discount_id": _discount_id(set_name, name), "discount_name": name, "base_price": base,
            "discount_type": kind, "discount_value": value}


def _ticket_types() -> dict[str, list[dict]]:
    sets: dict[str, list[dict]] = {}
    for price in ("19.50", "24.50", "29.50"):  # the usual evening: standard, CJP, 65+
        name = f"regulier-{price}"
        sets[name] = [_type(name, "Standaard", price), _type(name, "CJP", price, "%", "25.00"),
                      _type(name, "65+", price, "€", "2.50")]
    for first, second in (("42.50", "32.50"), ("57.50", "44.00")):  # two ranks, two base prices
        name = f"rang-{first}"
        sets[name] = [_type(name, "1e rang", first), _type(name, "2e rang", second),
                      _type(name, "Jongeren t/m 29 jaar", second, "=", "15.00")]
    for price in ("14.50", "17.50"):
        name = f"familie-{price}"
        sets[name] = [_type(name, "Volwassene", price), _type(name, "Kind t/m 12 jaar", price, "=", "9.50")]
    for price in ("16.00", "21.00"):  # the small halls
        name = f"klein-{price}"
        sets[name] = [_type(name, "Standaard", price), _type(name, "Vriend van het theater", price, "€", "5.00"),
                      _type(name, "Student", price, "=", "11.00")]
    return sets


# --- word lists ------------------------------------------------------------------------

FIRST_NAMES = ["Anouk", "Sanne", "Daan", "Lotte", "Bram", "Fleur", "Joris", "Noor", "Sem", "Evi", "Ruben",
               "Iris", "Thijs", "Mila", "Jesse", "Femke", "Wouter", "Hanna", "Koen", "Esmee"]
LAST_NAMES = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot",
              "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "Kuipers", "Veenstra"]
GROUPS = ["Noorderlicht", "De Wolkenfabriek", "Het Pakhuis", "Zuidenwind", "De Verbeelding", "Kompas",
          "Lichtval", "De Parel", "Oostpoort", "De Vuurtoren", "Tij", "Het Open Venster", "Brak", "De Kade"]
ADJECTIVES = ["Stille", "Verloren", "Gouden", "Laatste", "Eerste", "Blauwe", "Wilde", "Lange", "Donkere",
              "Lichte", "Vergeten", "Nieuwe", "Oude", "Rode", "Zoete", "Bittere", "Verre", "Halve", "Kleine", "Grote"]
NOUNS = [("De", "Haven"), ("Het", "Uur"), ("De", "Zomer"), ("Het", "Huis"), ("De", "Tuin"), ("Het", "Feest"),
         ("De", "Reis"), ("De", "Storm"), ("Het", "Lied"), ("De", "Nacht"), ("Het", "Verlangen"),
         ("De", "Rivier"), ("Het", "Eiland"), ("De", "Spiegel"), ("De", "Brief"), ("Het", "Land"),
         ("De", "Stad"), ("De", "Winter"), ("Het", "Spel"), ("De", "Droom"), ("Het", "Woud"), ("De", "Belofte")]
CABARET_TITLES = ["Zelfspot", "Onderhuids", "Tegenwind", "Nachtwerk", "Bijzaak", "Vrij Spel", "Kantelpunt",
                  "Ruis", "Houvast", "Uitverkocht", "Tussendoor", "Kopzorgen", "Zijspoor", "Bijna Volwassen",
                  "Zonder Filter", "Naar Huis", "Lachen om Niks", "Eerlijk Gezegd"]
OPERAS = ["La Traviata", "Carmen", "Die Zauberflöte", "Tosca", "La Bohème", "Don Giovanni", "Madama Butterfly",
          "Rigoletto", "Le nozze di Figaro", "Aida", "Il barbiere di Siviglia", "Fidelio"]
COMPOSERS = ["Beethoven", "Brahms", "Mozart", "Schubert", "Mendelssohn", "Dvořák", "Sjostakovitsj",
             "Haydn", "Ravel", "Debussy", "Bach", "Sweelinck", "Tsjaikovski", "Janáček"]
CLASSICAL_FORMS = ["Strijkkwartetten", "Pianotrio's", "Symfonie", "Vioolconcert", "Liederen", "Cellosonates"]
ENSEMBLES = ["Strijkkwartet", "Kamerorkest", "Ensemble", "Pianotrio", "Blazerskwintet"]
JAZZ_FORMS = ["Quartet", "Trio", "Quintet", "Big Band", "& Band"]
POP_TITLES = ["Akoestisch", "Thuiswedstrijd", "Onderweg", "Nieuw Werk", "De Theatertour", "Tien Jaar", "Songs"]
CITIES = ["Zwolle", "Kampen", "Deventer", "Groningen", "Utrecht", "Nijmegen", "Antwerpen", "Leeuwarden"]
DANCE_TITLES = ["Bolero", "De Vuurvogel", "Sacre", "Zwerm", "Getijden", "Zwaartekracht", "Evenwicht", "Adem",
                "Vlucht", "Schaduwspel"]

# Per genre: how often it comes up, its halls, its ticket types, start times, length in minutes.
GENRES: dict[str, dict[str, Any]] = {
    "Toneel": {"weight": 26, "halls": [SCHOUWBURG, KLEIN, STUDIO], "types": ["regulier-24.50", "regulier-29.50",
               "klein-21.00"], "times": ["20:00:00", "20:15:00"], "minutes": (90, 150), "image": "images/storm.svg"},
    "Cabaret": {"weight": 18, "halls": [KLEIN, STUDIO], "types": ["regulier-19.50", "regulier-24.50", "klein-16.00"],
                "times": ["20:15:00", "20:30:00"], "minutes": (90, 120), "image": "images/nachtvlinders.svg"},
    "Muziek": {"weight": 14, "halls": [MUZIEK, KLEIN], "types": ["regulier-24.50", "regulier-29.50"],
               "times": ["20:00:00", "20:30:00"], "minutes": (90, 120), "image": None},
    "Klassiek": {"weight": 12, "halls": [MUZIEK, SCHOUWBURG], "types": ["rang-42.50", "regulier-29.50"],
                 "times": ["19:30:00", "20:00:00"], "minutes": (100, 140), "image": "images/messiah.svg"},
    "Dans": {"weight": 10, "halls": [SCHOUWBURG, KLEIN], "types": ["regulier-24.50", "regulier-29.50"],
             "times": ["20:00:00", "20:15:00"], "minutes": (60, 100), "image": "images/zwanenmeer.svg"},
    "Jeugd": {"weight": 9, "halls": [KLEIN, STUDIO, SCHOUWBURG], "types": ["familie-14.50", "familie-17.50"],
              "times": ["14:00:00", "14:30:00", "15:00:00"], "minutes": (50, 75), "image": "images/zwanenmeer.svg"},
    "Jazz & Blues": {"weight": 6, "halls": [MUZIEK, STUDIO], "types": ["klein-21.00", "regulier-24.50"],
                     "times": ["20:30:00", "21:00:00"], "minutes": (100, 130), "image": "images/jazz.svg"},
    "Opera": {"weight": 3, "halls": [SCHOUWBURG], "types": ["rang-57.50"], "times": ["19:30:00"],
              "minutes": (150, 190), "image": None},
    "Musical": {"weight": 2, "halls": [SCHOUWBURG], "types": ["rang-42.50", "rang-57.50"],
                "times": ["20:00:00"], "minutes": (140, 170), "image": "images/gouden-uur.svg"},
}
# A youth show is also one of these; some concerts have a family matinee.
YOUTH_ALSO = ["Toneel", "Dans", "Muziek"]

# Days after a show's first performance on which the other two are given.
RUNS = [(0, 1, 2), (0, 1, 8), (0, 7, 14), (0, 2, 9), (0, 6, 7)]


def parse_setting(value: str) -> int:
    """`large` or `large:<number of shows>` (1 to 10000): the number of shows."""
    name, colon, count = value.strip().partition(":")
    if name == "large" and not colon:
        return DEFAULT_SHOWS
    count = count.strip()
    if name != "large" or not (count.isascii() and count.isdigit()) or not 1 <= int(count) <= MAX_SHOWS:
        raise ValueError(f"SANDBOX_CATALOGUE={value!r}: use large or large:<number of shows, 1 to {MAX_SHOWS}>")
    return int(count)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _poetic(rng: random.Random) -> str:
    article, noun = rng.choice(NOUNS)
    return f"{article} {rng.choice(ADJECTIVES)} {noun}"


def _show_words(rng: random.Random, genre: str) -> tuple[str, str, str]:
    """A title, a subtitle (the company or the artist) and a description in HTML."""
    director = _person(rng)
    if genre == "Toneel":
        title = _poetic(rng)
        subtitle = rng.choice([f"Toneelgroep {rng.choice(GROUPS)}", f"Theatercollectief {rng.choice(GROUPS)}",
                               f"{_person(rng)} & {_person(rng)}"])
        text = (f"<p>Een voorstelling over wat mensen elkaar <strong>niet</strong> durven te zeggen. "
                f"{subtitle} speelt een nieuw stuk van {_person(rng)}.</p><p>Regie: {director}.</p>")
    elif genre == "Cabaret":
        artist = _person(rng)
        title, subtitle = rng.choice(CABARET_TITLES), artist
        text = (f"<p>In <em>{title}</em> neemt {artist} de wereld en zichzelf op de hak, "
                f"met liedjes van {_person(rng)}.</p>")
    elif genre == "Muziek":
        artist = _person(rng)
        title, subtitle = f"{artist} - {rng.choice(POP_TITLES)}", f"met band uit {rng.choice(CITIES)}"
        text = f"<p>{artist} speelt nieuwe liedjes en oude favorieten, akoestisch en met volle band.</p>"
    elif genre == "Klassiek":
        composer = rng.choice(COMPOSERS)
        title = f"{composer}: {rng.choice(CLASSICAL_FORMS)}"
        subtitle = f"{rng.choice(ENSEMBLES)} {rng.choice(GROUPS)}"
        text = (f"<p>Werken van {composer} en tijdgenoten, gespeeld door {subtitle}.</p>"
                f"<ul><li>Solist: {_person(rng)}</li><li>Inleiding om 19.00 uur in de foyer</li></ul>")
    elif genre == "Dans":
        title = rng.choice([rng.choice(DANCE_TITLES), _poetic(rng)])
        subtitle = f"Dansgezelschap {rng.choice(GROUPS)}"
        text = f"<p>Een avondvullende choreografie van {director} voor acht dansers en live muziek.</p>"
    elif genre == "Jeugd":
        title = f"{_poetic(rng)} (6+)"
        subtitle = f"Jeugdtheater {rng.choice(GROUPS)}"
        text = f"<p>Voor iedereen vanaf 6 jaar: een avontuur met muziek, poppen en veel lachen.</p><p>Regie: {director}.</p>"
    elif genre == "Jazz & Blues":
        leader = _person(rng)
        title, subtitle = f"{leader} {rng.choice(JAZZ_FORMS)}", rng.choice(["Jazz in de Muziekzaal", "Blue Monday"])
        text = f"<p>{leader} en band met standards en eigen werk. Bar open vanaf 20.00 uur.</p>"
    elif genre == "Opera":
        title = rng.choice(OPERAS)
        subtitle = f"Reisopera {rng.choice(GROUPS)}"
        text = (f"<p>{title} in een nieuwe enscenering van {director}, "
                f"gezongen in het origineel met Nederlandse boventiteling.</p>")
    else:  # Musical
        title = f"{_poetic(rng)} - de musical"
        subtitle = f"{rng.choice(GROUPS)} Producties"
        text = f"<p>Een grote familiemusical met een cast van twintig en een live orkest. Regie: {director}.</p>"
    return title, subtitle, text


def _clock(start: str, minutes: int) -> str:
    hours, mins = int(start[:2]), int(start[3:5])
    total = (hours * 60 + mins + minutes) % (24 * 60)  # past midnight: the next day, as VdM writes it
    return f"{total // 60:02d}:{total % 60:02d}:00"


def _genres(rng: random.Random, genre: str) -> list[str]:
    """A show's genres: its own, and for some a second one."""
    if genre == "Jeugd":
        return [genre, rng.choice(YOUTH_ALSO)]
    if genre == "Muziek" and rng.random() < 0.15:
        return [genre, "Jazz & Blues"]
    return [genre]


def _stock(number: int, capacity: int, rng: random.Random) -> dict[str, Any]:
    """How full a performance is, and whether it is on sale, by its number across the venue."""
    stock: dict[str, Any] = {}
    if number % 13 == 5:
        stock["presold"] = capacity  # sold out
    elif number % 7 == 3:
        stock["presold"] = capacity - 1 - rng.randrange(8)  # nearly
    elif number % 5 == 1:
        stock["presold"] = rng.randrange(capacity // 2)
    if number % 29 == 11:
        stock["event_status"] = "nosal"
    return stock


def generate(shows: int = DEFAULT_SHOWS) -> dict[str, Any]:
    """The large venue as catalogue data, for `catalogue.from_dict`."""
    ticket_types = _ticket_types()
    genre_names = list(GENRES)
    weights = [GENRES[g]["weight"] for g in genre_names]
    booked: set[tuple[int, int, bool]] = set()  # (day, hall, matinee): one performance each
    titles: set[str] = set()
    events = []
    for n in range(shows):
        rng = random.Random(f"large-venue-show-{n}")
        genre = rng.choices(genre_names, weights)[0]
        spec = GENRES[genre]
        genres = _genres(rng, genre)
        title, subtitle, text = _show_words(rng, genre)
        for _ in range(5):  # a few draws for a title not used yet (an opera may come back)
            if title not in titles:
                break
            title, subtitle, text = _show_words(rng, genre)
        titles.add(title)

        show_id = FIRST_SHOW_ID + 10 * n
        # The first performances are spread evenly over the year; the last show ends on LAST_DAY.
        first_day = 1 + (n * (LAST_DAY - 1 - WIDEST_RUN)) // max(shows - 1, 1)
        run = (0, 7, 14) if n == shows - 1 else rng.choice(RUNS)
        types = rng.choice(spec["types"])
        minutes = rng.randrange(spec["minutes"][0], spec["minutes"][1] + 1, 5)
        family_matinee = genre == "Klassiek" and rng.random() < 0.25
        late = genre == "Cabaret" and rng.random() < 0.1
        subs = []
        for k, offset in enumerate(run):
            number = n * PERFORMANCES + k  # across the venue: decides sold out and nosal
            matinee = genre == "Jeugd" or (family_matinee and k == PERFORMANCES - 1)
            start = (rng.choice(GENRES["Jeugd"]["times"]) if matinee
                     else "22:30:00" if late else rng.choice(spec["times"]))
            day = first_day + offset
            # A hall of the genre that is free then; in a programme too full for that (a
            # thousand shows in a year), the genre's first hall twice.
            hall = next((h for h in spec["halls"] if (day, h, matinee) not in booked), spec["halls"][0])
            booked.add((day, hall, matinee))
            capacity = next(h["capacity"] for h in HALLS if h["location_id"] == hall)
            sub = {
                "event_id": show_id + 1 + k,
                "days_from_today": day,
                "event_time": start,
                "event_end": _clock(start, minutes),
                "location_id": hall,
                "ticket_types": types,
                "max_per_order": 6 if hall == STUDIO else 10,
            }
            sub.update(_stock(number, capacity, rng))
            if family_matinee and k == PERFORMANCES - 1:
                sub["ticket_types"] = "familie-17.50"
                sub["event_type"] = [genre, "Jeugd"]  # a family matinee of a concert series
            subs.append(sub)
        events.append({
            "event_id": show_id,
            "event_name": title,
            "event_short_text": subtitle,
            "event_text": text,
            "event_image": spec["image"] if rng.random() < 0.5 else None,
            "event_type": genres,
            "sub_events": subs,
        })
    return {
        "venue": "Stadsschouwburg Aan de Kade (generated demo)",
        "event_types": genre_names,
        "locations": HALLS,
        "payment_methods": PAYMENT_METHODS,
        "ticket_types": ticket_types,
        "events": events,
    }
