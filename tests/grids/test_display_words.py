"""Words pages use for places and roles: a grid's place (label then street, nothing said twice) and the roles
in the reveal log as people say them."""

from grids.models import Grid, Jurisdiction


def _grid(name: str, community: str, street: str) -> Grid:
    street_j = Jurisdiction(pk=1, code="360102005", name=street)
    community_j = Jurisdiction(pk=2, code="360102005001", name=community, parent=street_j)
    return Grid(name=name, community=community_j)


def test_a_name_that_holds_its_community_is_not_followed_by_it_again():
    grid = _grid("大院第一社区第3网格", "大院第一社区", "大院街道")
    assert grid.place == "大院第一社区第3网格 · 大院街道"


def test_a_short_name_takes_its_community_and_street():
    assert _grid("第3网格", "八一第一社区", "八一街道").place == "第3网格 · 八一第一社区 · 八一街道"


def test_a_street_already_named_is_not_repeated():
    grid = _grid("大院街道大院第一社区第3网格", "大院第一社区", "大院街道")
    assert grid.place == "大院街道大院第一社区第3网格"


def test_the_reveal_log_names_roles_as_people_say_them():
    from django.template import Context, Template
    from django.utils import translation

    template = Template("{% load gridmgmt_ui %}{{ roles|role_names }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"roles": "grid_admin,superuser"})) == "网格员、系统管理员"
    with translation.override("en"):
        assert template.render(Context({"roles": "dispatcher"})) == "dispatcher"
        assert template.render(Context({"roles": ""})) == "—"
