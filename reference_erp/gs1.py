"""GS1 helpers: GTIN-14 check digits and UDI strings in human-readable form.

>>> gtin14("0860001", 42, indicator=1)
'10860001000426'
>>> is_valid_gtin("10860001000426")
True
>>> udi("10860001000426", "2027-03-31", "L2403-000017", "S0000170003")
'(01)10860001000426(17)270331(10)L2403-000017(21)S0000170003'
"""

from __future__ import annotations


def check_digit(digits: str) -> int:
    """Return the GS1 mod-10 check digit for ``digits`` (the GTIN without its last digit).

    Weights 3,1,3,1... are applied from the rightmost digit.

    >>> check_digit("0400638133393")  # EAN-13 4006381333931
    1
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def gtin14(company_prefix: str, item_reference: int, indicator: int = 0) -> str:
    """Build a GTIN-14: indicator digit, company prefix, item reference, check digit."""
    ref_len = 12 - len(company_prefix)
    body = f"{indicator}{company_prefix}{item_reference:0{ref_len}d}"
    if len(body) != 13:
        raise ValueError("company prefix and item reference do not fit a GTIN-14")
    return body + str(check_digit(body))


def is_valid_gtin(gtin: str) -> bool:
    """True when ``gtin`` is 14 digits with a correct check digit."""
    return len(gtin) == 14 and gtin.isdigit() and check_digit(gtin[:-1]) == int(gtin[-1])


def udi(gtin: str, expiry_iso: str, lot_number: str, serial: str | None = None) -> str:
    """Return the UDI as a GS1 human-readable string: (01) GTIN, (17) expiry YYMMDD,
    (10) lot and, for serial-controlled devices, (21) serial."""
    yymmdd = expiry_iso[2:4] + expiry_iso[5:7] + expiry_iso[8:10]
    text = f"(01){gtin}(17){yymmdd}(10){lot_number}"
    if serial:
        text += f"(21){serial}"
    return text
