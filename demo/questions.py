"""Demo service definitions, so a client pointed at `make run` meets services that ask extra questions.

Call `demo_questions_ensure()` from the demo seed after the categories exist; it adds questions to the demo
taxonomy's manhole (0101) and garbage (2101) services and leaves any other database alone.
"""

from cases.models import Category
from open311.models import AttributeValue, ServiceAttribute

_QUESTIONS = {
    "0101": [
        {
            "code": "WHERE",
            "description": "Where is the open manhole?",
            "datatype": ServiceAttribute.Datatype.SINGLEVALUELIST,
            "required": True,
            "values": [("sidewalk", "人行道"), ("roadway", "机动车道"), ("bike_lane", "非机动车道")],
        },
        {
            "code": "GUARDED",
            "description": "Has someone put up a warning or barrier?",
            "datatype": ServiceAttribute.Datatype.SINGLEVALUELIST,
            "values": [("yes", "已设置警示"), ("no", "无警示")],
        },
    ],
    "2101": [
        {
            "code": "KIND",
            "description": "What kind of waste is it?",
            "datatype": ServiceAttribute.Datatype.MULTIVALUELIST,
            "values": [("household", "生活垃圾"), ("construction", "建筑垃圾"), ("bulky", "大件垃圾")],
        },
        {
            "code": "VOLUME",
            "description": "About how many cubic metres?",
            "datatype": ServiceAttribute.Datatype.NUMBER,
            "datatype_description": "a number, e.g. 0.5",
        },
        {
            "code": "SAFETY",
            "description": "Please do not touch or move the waste yourself.",
            "datatype": ServiceAttribute.Datatype.STRING,
            "variable": False,
        },
    ],
}


def demo_questions_ensure() -> int:
    """Add the demo questions where their category exists and has none yet; returns how many were added."""
    added = 0
    for code, questions in _QUESTIONS.items():
        category = Category.objects.filter(code=code, parent__isnull=False).first()
        if category is None or category.open311_attributes.exists():
            continue
        for order, question in enumerate(questions, start=1):
            spec = dict(question)
            values = spec.pop("values", [])
            attribute = ServiceAttribute.objects.create(category=category, order=order, **spec)
            AttributeValue.objects.bulk_create(
                AttributeValue(attribute=attribute, key=key, name=name, order=i)
                for i, (key, name) in enumerate(values, start=1)
            )
            added += 1
    return added
