"""The demo's Open311 questions: attached to the demo taxonomy's services once, and only where they exist."""

from cases.models import Category
from demo.questions import demo_questions_ensure
from open311.models import ServiceAttribute


def test_demo_questions_attach_to_the_demo_taxonomy_once(db):
    major = Category.objects.create(code="21", name="市容环境", kind="event")
    Category.objects.create(code="2101", name="暴露垃圾", kind="event", parent=major)
    assert demo_questions_ensure() == 3  # 0101 does not exist here: skipped
    assert demo_questions_ensure() == 0
    kind = ServiceAttribute.objects.get(code="KIND")
    assert kind.datatype == "multivaluelist"
    assert list(kind.values.values_list("key", flat=True)) == ["household", "construction", "bulky"]
