"""The ground's naming and figure rules: display names, who may see them, natural order, one percentage."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from gridmgmt.figures import decimal_text, percent_of, percent_text, percent_value
from gridmgmt.people import display_name, full_name, person_name_for
from gridmgmt.roles import Role
from gridmgmt.sorting import chinese_number, natural_key, natural_sorted

from .. import factories

# --- percentages: rounded half-up to one decimal, always one decimal ---------------------------------------


@pytest.mark.parametrize(
    ("fraction", "shown"),
    [
        (2 / 3, "66.7%"),  # truncation would say 66.6
        (1 / 3, "33.3%"),
        (1 / 8, "12.5%"),
        (1 / 16, "6.3%"),  # 6.25: a half rounds up
        (0.145, "14.5%"),  # 14.499999… in binary: rounded as the decimal it means
        (29 / 200, "14.5%"),
        (3 / 400, "0.8%"),
        (0.99996, "100.0%"),
        (1, "100.0%"),
        (0, "0.0%"),
        (None, "—"),
    ],
)
def test_a_rate_is_a_percentage_rounded_half_up_to_one_decimal(fraction, shown):
    assert percent_text(fraction) == shown


def test_a_percentage_from_counts_is_exact():
    assert percent_of(2, 3) == Decimal("66.7")
    assert percent_of(1, 16) == Decimal("6.3")
    assert percent_of(0, 5) == Decimal("0.0")
    assert percent_of(3, 0) is None and percent_of(None, 3) is None
    assert all(percent_of(n, d) == percent_value(n / d) for d in range(1, 60) for n in range(d + 1))


def test_other_figures_round_half_up_as_well():
    assert decimal_text(2.25) == "2.3" and decimal_text(3.8333) == "3.8" and decimal_text(None) == "—"


def test_the_percent_filter_uses_the_rule():
    page = Template("{% load gridmgmt_ui %}{{ r|percent }} {{ none|percent }}").render(Context({"r": 2 / 3}))
    assert page == "66.7% —"


# --- names ------------------------------------------------------------------------------------------------


def test_chinese_names_take_the_family_name_first_without_a_space():
    assert full_name("伟", "王") == "王伟"
    assert full_name("Wei", "Wang") == "Wei Wang"
    assert full_name("王伟", "") == "王伟" and full_name("", "") == ""


@pytest.mark.django_db
def test_an_account_shows_its_name_else_its_username():
    named = factories.user("gridadmin7", roles=(Role.GRID_ADMIN,))
    named.first_name, named.last_name = "伟", "王"
    assert display_name(named) == "王伟"
    assert display_name(factories.user("staff_roads", roles=(Role.DEPARTMENT_STAFF,))) == "staff_roads"
    assert display_name(None) == ""


@pytest.mark.django_db
def test_a_resident_never_sees_a_staff_name_but_staff_do():
    staff = factories.user("staff_roads", roles=(Role.DEPARTMENT_STAFF,))
    staff.first_name = "李娜"
    resident = factories.user("resident1", roles=(Role.RESIDENT,))
    resident.first_name = "张三"
    dispatcher = factories.user("dispatcher", roles=(Role.DISPATCHER,))
    grid_admin = factories.user("gridadmin1", roles=(Role.GRID_ADMIN,))
    assert person_name_for(staff, viewer=resident) == ""
    assert person_name_for(staff, viewer=AnonymousUser()) == ""
    assert person_name_for(resident, viewer=resident, acting_as=Role.RESIDENT) == "张三"  # oneself
    assert person_name_for(staff, viewer=dispatcher) == "李娜"
    # A reporting resident is named to the dispatch center only.
    assert person_name_for(resident, viewer=dispatcher, acting_as=Role.RESIDENT) == "张三"
    assert person_name_for(resident, viewer=grid_admin, acting_as=Role.RESIDENT) == ""
    # A deleted account: the frozen username, for staff only.
    assert person_name_for(None, viewer=dispatcher, fallback="old_user") == "old_user"
    assert person_name_for(None, viewer=resident, fallback="old_user") == ""


@pytest.mark.django_db
def test_the_person_name_tag_asks_who_is_looking():
    staff = factories.user("staff_roads", roles=(Role.DEPARTMENT_STAFF,))
    staff.first_name = "李娜"
    template = Template("{% load gridmgmt_ui %}{% person_name who as name %}[{{ name }}]")
    for viewer, shown in (
        (factories.user("dispatcher", roles=(Role.DISPATCHER,)), "[李娜]"),
        (factories.user("resident1", roles=(Role.RESIDENT,)), "[]"),
    ):
        request = RequestFactory().get("/")
        request.user = viewer
        assert template.render(Context({"request": request, "who": staff})) == shown


# --- natural order ----------------------------------------------------------------------------------------


def test_numbers_inside_names_sort_by_value():
    names = ["gridadmin10", "gridadmin2", "gridadmin1", "Gridadmin3", "gridadmin"]
    assert natural_sorted(names) == ["gridadmin", "gridadmin1", "gridadmin2", "Gridadmin3", "gridadmin10"]
    assert natural_sorted(["第10网格", "第2网格", "第1网格"]) == ["第1网格", "第2网格", "第10网格"]


def test_chinese_ordinals_sort_by_their_number():
    assert chinese_number("十二") == 12 and chinese_number("二十") == 20 and chinese_number("一百零五") == 105
    names = ["八一第十社区", "八一第三社区", "八一第二社区", "八一第十一社区", "八一第一社区"]
    assert natural_sorted(names) == [
        "八一第一社区",
        "八一第二社区",
        "八一第三社区",
        "八一第十社区",
        "八一第十一社区",
    ]
    # Not an ordinal: a place name that starts with a numeral stays text.
    assert natural_key("三元里")[0] == ("三元里", -1, 0)


def test_any_two_keys_compare():
    mixed = ["2b", "b2", "", "b", "10", "b10", "２", "王伟", "王伟2"]
    ordered = natural_sorted(mixed)  # text and number parts side by side: no TypeError
    assert ordered.index("b") < ordered.index("b2") < ordered.index("b10")
    assert ordered[0] == "" and natural_key("２") == natural_key("2")  # full-width digits count too


def test_a_chinese_page_writes_the_decimal_as_the_language_does():
    with translation.override("zh-hans"):
        assert percent_text(2 / 3) == "66.7%"
