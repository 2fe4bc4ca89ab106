"""Identity codes an applicant gives, checked as far as the standards allow without a registry look-up.
Pure functions: each returns the normalised code, or raises CodeInvalid with the msgid of what is wrong.

- Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from 0-9 and the capital
  letters without I, O, S, V, Z; characters 3-8 are the administrative division (digits); the last is a
  check character, 31 - (Σ value×weight mod 31), with weights 3^i mod 31.
- Resident identity number (居民身份证号码, GB 11643-1999): 17 digits (division, birth date YYYYMMDD,
  sequence) and a check character by ISO 7064 MOD 11-2 (10 is written X).
"""

from __future__ import annotations

from datetime import date

from app.core.errors import DomainError
from app.core.i18n import N_

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, …
ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, …
ID_CHECK = "10X98765432"  # (Σ mod 11) → check character
ADULT_AGE = 18


class CodeInvalid(DomainError):
    code = "code_invalid"


def _clean(raw: str) -> str:
    return "".join((raw or "").split()).upper()


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a credit code (all from USCC_CHARS)."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def check_credit_code(raw: str) -> str:
    code = _clean(raw)
    if not code:
        raise CodeInvalid(N_("Enter the unified social credit code."))
    if len(code) != 18:
        raise CodeInvalid(N_("A unified social credit code has 18 characters; this one has %(num)s."), num=len(code))
    bad = sorted({c for c in code if c not in USCC_CHARS})
    if bad:
        raise CodeInvalid(
            N_(
                "A unified social credit code uses digits and capital letters except I, O, S, V and Z (found %(chars)s)."  # noqa: E501
            ),
            chars=", ".join(bad),
        )
    if not code[2:8].isdigit():
        raise CodeInvalid(N_("Characters 3 to 8 of a unified social credit code are digits (the region code)."))
    if uscc_check_char(code[:17]) != code[17]:
        raise CodeInvalid(
            N_("This unified social credit code is not valid: its last character does not match. Check for a typo.")
        )
    return code


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def check_id_number(raw: str, *, today: date | None = None) -> str:
    code = _clean(raw)
    if not code:
        raise CodeInvalid(N_("Enter the resident identity card number."))
    if len(code) != 18:
        raise CodeInvalid(N_("An identity card number has 18 characters; this one has %(num)s."), num=len(code))
    if not code[:17].isdigit() or not (code[17].isdigit() or code[17] == "X"):
        raise CodeInvalid(N_("An identity card number is 17 digits followed by a digit or X."))
    try:
        born = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        raise CodeInvalid(N_("Characters 7 to 14 of the identity card number are not a valid birth date.")) from None
    today = today or date.today()
    if born.year < 1900 or born > today:
        raise CodeInvalid(N_("Characters 7 to 14 of the identity card number are not a valid birth date."))
    if id_check_char(code[:17]) != code[17]:
        raise CodeInvalid(
            N_("This identity card number is not valid: its last character does not match. Check for a typo.")
        )
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < ADULT_AGE:
        raise CodeInvalid(N_("The holder of a personal shop must be at least 18 years old."))
    return code
