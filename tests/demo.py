"""Names for the demo catalogue (vdm_sandbox/demo_catalogue.json), so that a test says which
performance, ticket type or payment method it means instead of a bare id.

A test about a value it makes up itself keeps its literal; these are for the demo venue's
own shows. tests/test_sandbox.py::test_the_tests_names_for_the_demo_venue_say_what_it_holds
checks every name against the catalogue."""

from __future__ import annotations

# --- shows and their performances (days from today, as the catalogue sets them) --------------

DE_STORM = 100  # Toneel, Grote Zaal, ticket types "regulier"
DE_STORM_FIRST = 101  # in 9 days, 20:15: on sale, the performance most tests buy for
SOLD_OUT = 102  # De Storm in 10 days: every seat presold
DE_STORM_MATINEE = 103  # in 11 days, 14:30: on sale

NACHTVLINDERS = 200  # Cabaret, Kleine Zaal, "regulier": the soonest show
NACHTVLINDERS_FIRST = 201  # in 5 days: at most 8 tickets per order
NACHTVLINDERS_LATER = 202  # in 40 days: at most 8 per order

MESSIAH = 300  # Muziek, Grote Zaal, ticket types "concert"
MESSIAH_FIRST = 301  # in 24 days
MESSIAH_MATINEE = 302  # in 25 days, 15:00

ZWANENMEER = 400  # Dans and Jeugd, ticket types "familie"
ZWANENMEER_FIRST = 401
ZWANENMEER_SECOND = 402

JAZZ = 500  # Muziek in the Foyer, ticket types "foyer"
PAST = 501  # three days ago: gone from everything upcoming
JAZZ_ON_SALE = 502  # in 14 days: at most 4 tickets per order
NOT_ON_SALE_YET = 503  # in 45 days, status "nosal": shown, not sold

GOUDEN_UUR = 600  # Cabaret, Kleine Zaal, "regulier"
AFTER_MIDNIGHT = 601  # 22:30 until 00:45 the next day
GOUDEN_UUR_LATER = 602

VIER_SEIZOENEN = 700  # Muziek, Kleine Zaal, "concert"; no image
VIER_SEIZOENEN_FIRST = 701
UNPUBLISHED = 702  # status "unpub": not in any answer

# --- halls ------------------------------------------------------------------------------------

GROTE_ZAAL, KLEINE_ZAAL, FOYER = 1, 2, 3

# --- ticket types (discount ids) --------------------------------------------------------------

# "regulier" (De Storm, Nachtvlinders, Het Gouden Uur): 24.50
STANDARD = "2ePdA8q3BN"  # Standaard: 24.50
STADSPAS = "AYDJK7JlkX"  # 25 % off: 18.38
SENIOR = "Kp65PlusQ2"  # 65+: 2.50 off, 22.00
# "concert" (Messiah, Vier Seizoenen): 32.00
CONCERT_STANDARD = "Cn7StdR4xZ"  # Standaard: 32.00
STUDENT = "Cn7StuD8yQ"  # a fixed 12.50
CJP = "Cn7CjpW2kL"  # 25 % off: 24.00
# "familie" (Het Zwanenmeer): 17.50
ADULT = "Fm3VolW9aB"  # Volwassene: 17.50
CHILD = "Fm3KndR1cD"  # Kind t/m 12 jaar: a fixed 9.50
# "foyer" (Jazz in de Foyer): 15.00
FOYER_STANDARD = "Fy5StdT6eF"  # Standaard: 15.00
FRIEND = "Fy5VrdN3gH"  # Vriend van het theater: 5.00 off, 10.00

# --- payment methods ----------------------------------------------------------------------------

IDEAL = 33  # no cost
CREDITCARD = 34  # 1.50 on top
BANCONTACT = 35  # 0.35 on top

# --- the Grote Zaal's numbered seats (its "seating" in the demo catalogue) -----------------------
# Parket: rows 1-8 of 24 seats; Balkon: rows 1-3 of 18, seats 9 and 10 of its row 1 blocked. 246
# seats, 244 for sale, of which a performance sells the first 240 (its capacity) in this order.

PARKET, BALKON = 1, 2  # section ids
RANG_1 = 1  # Parket rows 1-6: the ticket types' own prices
RANG_2 = 2  # Parket rows 7-8 and the Balkon: 3.00 less (Standaard 21.50)
OPEN_SEATING = 1  # the one rank of an unnumbered hall (Kleine Zaal, Foyer): the ticket types' prices

FIRST_SEAT = "DWfDL1qf5p"  # Parket row 1 seat 1: the first seat best-available takes
SECOND_SEAT = "XI7scWy0L9"  # Parket row 1 seat 2
THIRD_SEAT = "I1bMHen83Q"  # Parket row 1 seat 3
LAST_RANG_1_SEAT = "muLYv0HvY1"  # Parket row 6 seat 24: the 144th seat, the last of Rang 1
FIRST_RANG_2_SEAT = "NHPq1STIor"  # Parket row 7 seat 1: the 145th seat
BLOCKED_SEAT = "Dy2klJTjHG"  # Balkon row 1 seat 9: never for sale (the light desk)
LAST_SEAT_FOR_SALE = "lBfGOlQoo6"  # Balkon row 3 seat 14: the 240th seat for sale
BEYOND_CAPACITY = "SLnGkiIXBs"  # Balkon row 3 seat 15: the first of the four past the 240
