"""Open data in the JSON API (issue #8), mounted at /api/v1/open-data/; public, read-only.

The same figures as the transparency page's data.json (``cms.selectors_open_data.as_dict``):
money as decimal strings in yuan ("12500.00"), never floats.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from cms.selectors_open_data import as_dict, open_data, programmes_with_data
from grants.models import Programme

router = Router()


class ProgrammeYearsOut(Schema):
    id: int
    name: str
    funder: str
    years: list[int]


class ProgrammeOut(Schema):
    id: int
    name: str
    funder: str


class FiguresOut(Schema):
    """The figures a breakdown row and a project row both give."""

    awarded: str
    paid: str
    returned: str
    spent: str
    donated: str
    matched: str
    beneficiaries: int
    volunteer_hours: str
    responses: int
    mean_satisfaction: str | None


class TallyOut(FiguresOut):
    key: str
    label: str
    projects: int


class GradeOut(Schema):
    code: str
    label: str
    projects: int


class ProjectOut(FiguresOut):
    id: int
    title: str
    organisation: str
    district: str
    theme: str
    organisation_type: str
    url: str


class OpenDataOut(Schema):
    programme: ProgrammeOut
    year: int
    currency: str
    totals: TallyOut
    by_district: list[TallyOut]
    by_theme: list[TallyOut]
    by_organisation_type: list[TallyOut]
    grades: list[GradeOut]
    not_evaluated: int
    projects: list[ProjectOut]


@router.get(
    "/",
    response=list[ProgrammeYearsOut],
    auth=None,
    url_name="open_data_programmes",
    summary="Programmes with public projects, and their years",
)
def list_programmes(request):
    return [
        {
            "id": item.programme.pk,
            "name": item.programme.name,
            "funder": item.programme.funder,
            "years": item.years,
        }
        for item in programmes_with_data()
    ]


@router.get(
    "/{programme_id}/{year}",
    response=OpenDataOut,
    auth=None,
    url_name="open_data_figures",
    summary="The open-data figures of a programme's year",
)
def figures(request, programme_id: int, year: int):
    programme = get_object_or_404(Programme, pk=programme_id)
    data = open_data(programme=programme, year=year)
    if not data.projects:
        raise HttpError(404, _("No public project of this programme in this year."))
    return as_dict(data)
