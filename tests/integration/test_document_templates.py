"""Every document template renders, in both languages, from the smallest possible context."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from documents.catalog import TITLES
from documents.context import ApplicationInfo, OfficeInfo, PacketContext, UmkmInfo
from documents.packets import office_from_settings
from documents.render import CHECKLIST, COVER, Renderer
from workflow.processes import ProcessRegistry
from workflow.settings import Settings

RENDERER = Renderer()
OFFICE: OfficeInfo = office_from_settings(Settings())


def referenced() -> list[str]:
    names = {COVER, CHECKLIST}
    for definition in ProcessRegistry().all():
        for state in definition.states.values():
            names.update(state.documents)
    return sorted(names)


def minimal(name: str, lang: str) -> PacketContext:
    family = name.split("/")[0] if name.split("/")[0] in ("halal", "trademark", "sni") else "halal"
    process = {"halal": "halal_regular"}.get(family, family)
    return PacketContext(
        lang=lang,
        office=OFFICE,
        umkm=UmkmInfo(
            "8120000000001", "U", "P", "umkm", "mikro", "Kota Ambon", "", "", "", None, ""
        ),
        application=ApplicationInfo(
            1,
            process,
            family,
            "T",
            "R",
            "INTAKE",
            "Intake",
            "consultant",
            "",
            None,
            date(2026, 11, 2),
            None,
            None,
            None,
            None,
            "",
            "",
            (),
        ),
        addressee="A",
        products=(),
        materials=(),
        process_steps=(),
        checklist=(),
        documents=(name,),
        template_version=RENDERER.version,
        issued_on=date(2026, 11, 2),
        reference="00001.01/PLUT/HLR/XI/2026",
        code="SF-AAAA-BBBB",
        verify_url="http://localhost:8000/verifikasi/SF-AAAA-BBBB",
    )


@pytest.mark.parametrize("name", referenced())
def test_every_document_a_stage_names_is_shipped_with_a_title(name: str) -> None:
    assert RENDERER.exists(name), f"templates/documents/{name}.html.j2"
    assert name in TITLES


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("name", referenced())
def test_every_document_renders_from_a_minimal_context(name: str, lang: str) -> None:
    document = RENDERER.document(name, minimal(name, lang))
    assert len(document.pages) >= 1
    assert RENDERER.fetcher.refused == []


def test_a_static_guide_is_laid_out_once_and_reused() -> None:
    ctx = minimal("guide/halal", "id")
    first = RENDERER.document("guide/halal", ctx)
    other_umkm = replace(ctx, umkm=replace(ctx.umkm, name="Lain"))
    assert RENDERER.document("guide/halal", other_umkm) is first
    assert RENDERER.document("guide/halal", replace(ctx, lang="en")) is not first
