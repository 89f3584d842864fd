"""What a business does, as far as the self-declare path cares: food service is not eligible.

Kepkaban 150/2022 (and 146/2025 as reported) open the self-declare path to goods only, not to
restaurants, canteens, catering or food stalls (DOMAIN.md §3.2, [S43 P]). A business says what it
does in two ways: its KBLI 2020 code (the OSS registers one per line of business; golongan pokok
56, *penyediaan makanan dan minuman*, is food service: 56101 restoran, 56102 rumah/warung makan,
56210 jasa boga, 56290 kantin ...) and the business type the office records in words. Either one
is enough to refuse; when neither is recorded, the business's name is read the same way, so that
"Rumah Makan Padang Sederhana" is not taken for a producer of packaged food.
"""

from __future__ import annotations

import re

__all__ = [
    "BUSINESS_TYPE_MAX_LENGTH",
    "FOOD_SERVICE_KBLI",
    "FOOD_SERVICE_RULE",
    "FOOD_SERVICE_TYPES",
    "food_service_problem",
    "parse_kbli",
]

BUSINESS_TYPE_MAX_LENGTH = 100
"""The longest business type the database stores (``umkm.business_type``)."""
FOOD_SERVICE_KBLI = "56"
"""KBLI 2020 golongan pokok 56: penyediaan makanan dan minuman (food and beverage service)."""
FOOD_SERVICE_TYPES = (
    "rumah makan",
    "warung makan",
    "warteg",
    "kedai makan",
    "depot makan",
    "restoran",
    "restaurant",
    "resto",
    "kantin",
    "canteen",
    "katering",
    "catering",
    "jasa boga",
    "food court",
    "kafe",
    "cafe",
)
"""Words for food service, matched as whole words in the business type (or name)."""
FOOD_SERVICE_RULE = (
    "self-declare is for goods, not food service (restaurants, canteens, catering and food "
    "stalls; KBLI 56xxx), Kepkaban 150/2022"
)
_FOOD_SERVICE = re.compile(r"\b(" + "|".join(map(re.escape, FOOD_SERVICE_TYPES)) + r")\b")
_KBLI = re.compile(r"(?:kbli\s*)?(\d{5})")


def parse_kbli(text: str) -> str | None:
    """A KBLI 2020 code from ``text`` ("10794", "KBLI 10794"); None for an empty one. Raises
    ``ValueError`` naming the expected form for anything else."""
    cleaned = " ".join(text.split()).casefold()
    if not cleaned:
        return None
    match = _KBLI.fullmatch(cleaned)
    if match is None or match[1].startswith("00"):
        raise ValueError(
            f"KBLI must be a 5-digit KBLI 2020 code such as 10794 (keripik) or 56101 "
            f"(restoran), got {text.strip()!r}"
        )
    return match[1]


def food_service_problem(business_type: str | None, kbli: str | None, name: str) -> str | None:
    """Why a business with this business type, KBLI and name is food service, naming the rule;
    None when nothing recorded says so. ``name`` is read only when the business type and KBLI
    are both unrecorded."""
    if kbli is not None and kbli.startswith(FOOD_SERVICE_KBLI):
        return f"KBLI {kbli} is food service: {FOOD_SERVICE_RULE}"
    if business_type is not None:
        found = _FOOD_SERVICE.search(business_type.casefold())
        if found is not None:
            return f"business type {business_type!r} is food service: {FOOD_SERVICE_RULE}"
        return None
    if kbli is None:
        found = _FOOD_SERVICE.search(name.casefold())
        if found is not None:
            return (
                f"the business name says {found[1]!r} and no business type is recorded; "
                f"record one if it makes goods: {FOOD_SERVICE_RULE}"
            )
    return None
