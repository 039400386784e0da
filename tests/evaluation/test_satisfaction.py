"""Residents' satisfaction with closed cases in the evaluation: the rating links sent in a period and the
answers to them per department, grid and major category; satisfaction rate = (satisfied + basically) /
answered, response rate = answered / invited; a link never answered (or answered after the period) is never
counted as satisfied; reviews that reopened or kept a case counted. On the dashboard and the formulas page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, CaseState
from evaluation.indicators import DEPARTMENT, GRID, Period, local_today
from evaluation.satisfaction import CATEGORY, satisfaction_indicators
from gridmgmt import tasking
from public import follow, ratings
from public.models import CaseRating, RatingInvitation

from ..cases.helpers import drive, evidence, report


def closed_case(world, *, roads: bool = False) -> Case:
    """A resident's case closed by sanitation in grid 1 (waste), or by roads in grid 2 (manhole covers)."""
    if not roads:
        with tasking.suppressed():
            case = report(world, actor=world.resident, source="resident")
        return drive(world, CaseState.CLOSED, case)
    with tasking.suppressed():
        case = report(
            world, actor=world.resident, source="resident", grid=world.g2, category=world.cats.manhole
        )
        case = services.case_file(case=case, actor=world.dispatcher)
        case = services.case_dispatch(case=case, actor=world.dispatcher, department=world.roads)
        case = services.case_accept(case=case, actor=world.other_staff)
        case = services.case_resolve(case=case, actor=world.other_staff, notes="已修复", **evidence(case))
        return services.case_verify_pass(case=case, actor=world.gridadmin, **evidence(case))


def invited(world, n: int, *, roads: bool = False) -> RatingInvitation:
    case = closed_case(world, roads=roads)
    reporter = follow.follower_add(case=case, kind="reporter", channel="email", address=f"r{n}@example.com")
    ratings.rating_link_for(case, reporter)
    return RatingInvitation.objects.get(case=case)


def answered(invitation: RatingInvitation, rating: str) -> CaseRating:
    return ratings.rating_record(invitation=invitation, rating=rating, comment="")


def local(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def yesterday(world) -> Period:
    """Links of yesterday: sanitation (grid 1, waste) A satisfied, B basically, C dissatisfied and
    reopened, D no answer, E dissatisfied and kept; roads (grid 2, manhole covers) F satisfied, G no
    answer, H answered only today (after the period). A link of the day before yesterday is outside."""
    day = local_today() - dt.timedelta(days=1)
    links = {name: invited(world, n) for n, name in enumerate("ABCDE")}
    links |= {name: invited(world, n + 10, roads=True) for n, name in enumerate("FGH")}
    links["I"] = invited(world, 20)
    for name, rating in {"A": "satisfied", "B": "basically_satisfied", "C": "dissatisfied"}.items():
        answered(links[name], rating)
    answered(links["E"], "dissatisfied")
    answered(links["F"], "satisfied")
    answered(links["H"], "satisfied")
    answered(links["I"], "satisfied")
    reopen, keep = (
        CaseRating.objects.get(invitation=links["C"]),
        CaseRating.objects.get(invitation=links["E"]),
    )
    ratings.rating_review_decide(rating=reopen, actor=world.dispatcher, decision="reopen", reason="返工")
    ratings.rating_review_decide(rating=keep, actor=world.dispatcher, decision="keep", reason="已核实")
    # Move the history back in time: the links sent yesterday at noon, answered at one.
    RatingInvitation.objects.update(created_at=local(day, 12))
    CaseRating.objects.update(created_at=local(day, 13))
    RatingInvitation.objects.filter(pk=links["I"].pk).update(created_at=local(day - dt.timedelta(days=1), 12))
    CaseRating.objects.filter(invitation=links["H"]).update(created_at=local(day + dt.timedelta(days=1), 9))
    return Period(day, day)


def test_the_district_counts_the_links_of_the_period_and_their_answers(yesterday):
    total = satisfaction_indicators(yesterday).total
    assert (total.invited, total.answered) == (8, 5)
    assert (total.satisfied, total.basically, total.dissatisfied) == (2, 1, 2)
    assert (total.reopened, total.kept, total.pending) == (1, 1, 0)
    assert total.satisfaction_rate == 3 / 5  # 60.0 %
    assert total.response_rate == 5 / 8  # 62.5 %


def test_no_answer_is_never_counted_as_satisfied(yesterday):
    total = satisfaction_indicators(yesterday).total
    # D and G never answered, H only after the period: none of them is in either numerator.
    assert total.content == 3 and total.answered == 5 and total.invited - total.answered == 3


def test_each_department_grid_and_category_has_its_figures(world, yesterday):
    figures = satisfaction_indicators(yesterday)
    by = {kind: {row.key: row for row in figures.rows(kind)} for kind in (DEPARTMENT, GRID, CATEGORY)}
    sanitation, roads = by[DEPARTMENT]["sanitation"], by[DEPARTMENT]["roads"]
    assert (sanitation.invited, sanitation.answered, sanitation.content) == (5, 4, 2)
    assert (sanitation.satisfaction_rate, sanitation.response_rate) == (0.5, 0.8)
    assert (sanitation.reopened, sanitation.kept) == (1, 1)
    assert (roads.invited, roads.answered, roads.content) == (3, 1, 1)
    assert (roads.satisfaction_rate, roads.response_rate) == (1.0, 1 / 3)
    assert {key: row.invited for key, row in by[GRID].items()} == {world.g1.code: 5, world.g2.code: 3}
    majors = {key: (row.invited, row.answered) for key, row in by[CATEGORY].items()}
    assert majors == {world.cats.major.code: (5, 4), world.cats.facilities.code: (3, 1)}
    assert by[DEPARTMENT]["sanitation"].label == world.sanitation.name


def test_a_period_without_links_has_no_rates(world):
    figures = satisfaction_indicators(Period(dt.date(2020, 1, 1), dt.date(2020, 1, 31)))
    assert figures.total.invited == 0
    assert figures.total.satisfaction_rate is None and figures.total.response_rate is None
    assert figures.departments == [] and figures.grids == [] and figures.categories == []


def test_the_figures_cost_one_query(yesterday, django_assert_num_queries):
    with django_assert_num_queries(1):
        satisfaction_indicators(yesterday)


def test_the_dashboard_shows_the_rates_with_their_fractions(client, world, yesterday):
    client.force_login(world.supervisor)
    query = {"start": yesterday.start.isoformat(), "end": yesterday.end.isoformat()}
    response = client.get(reverse("evaluation-dashboard"), query)
    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index('id="satisfaction"') :]
    assert "60.0%" in section and "3/5" in section and "62.5%" in section and "5/8" in section
    assert "50.0%" in section and "80.0%" in section and "33.3%" in section
    assert world.sanitation.name in section


def test_the_formulas_page_defines_both_rates(client, world, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.dispatcher)
    html = client.get(reverse("evaluation-formulas")).content.decode()
    section = html[html.index('id="satisfaction-formulas"') :]
    assert 'id="f-rating_satisfaction_rate"' in section and 'id="f-rating_response_rate"' in section
    assert "满意率" in section and "回复率" in section
    assert "(satisfied + basically satisfied) / answered" in section and "answered / invited" in section
