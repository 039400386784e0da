"""The harness's world: the shared test district with something in every state, built once per module.

`world_build()` gives the personas and the district; on top of it: cases in every workflow state (so each
page shows the action forms of that state), a photo, a resident, an import job, an Open311 key, request and
service questions. Built in a transaction that the module rolls back, while every request of the harness
runs in a savepoint of its own that is rolled back too (see harness.Sender), so no request sees what another
one changed.
"""

import io
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from PIL import Image

from cases import services
from gridmgmt import tasking
from grids import residents_import
from open311.models import AttributeValue, ServiceAttribute
from open311.services import api_key_ensure_demo, request_create

from ..cases.helpers import drive, report
from ..factories import centre, world_build
from ..grids.resident_factories import csv_bytes, resident, row
from ..patrols import factories as patrol_factories
from ..places import factories as place_factories

# The personas the harness acts as (attributes of the world), and the anonymous visitor.
ANON = "anonymous"
ROLES = (ANON, "dispatcher", "gridadmin", "staff", "supervisor", "resident", "outsider")


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile("scene.png", buffer.getvalue(), content_type="image/png")


def _open311_questions(world) -> None:
    """The waste service asks a required list question, a number and a multi-value list."""
    kind = ServiceAttribute.objects.create(
        category=world.cats.waste,
        code="WASTE_KIND",
        description="What kind of waste is it?",
        datatype=ServiceAttribute.Datatype.SINGLEVALUELIST,
        required=True,
        order=1,
    )
    AttributeValue.objects.create(attribute=kind, key="household", name="生活垃圾", order=1)
    ServiceAttribute.objects.create(
        category=world.cats.waste,
        code="VOLUME",
        description="About how many cubic metres?",
        datatype=ServiceAttribute.Datatype.NUMBER,
        order=2,
    )
    smell = ServiceAttribute.objects.create(
        category=world.cats.waste,
        code="SMELL",
        description="Which smells?",
        datatype=ServiceAttribute.Datatype.MULTIVALUELIST,
        order=3,
    )
    AttributeValue.objects.create(attribute=smell, key="rotten", name="腐烂")


def hostile_world_build() -> SimpleNamespace:
    world = world_build()
    with tasking.suppressed():
        cases = {
            state: drive(world, state)
            for state in ("reported", "filed", "dispatched", "in_progress", "returned", "resolved", "closed")
        }
        cases["rejected"] = drive(world, "rejected")
        cases["pending_extension"] = drive(world, "in_progress")
        services.case_request_extension(
            case=cases["pending_extension"], actor=world.staff, minutes=120, reason="需要调集设备"
        )
        cases["suspended"] = drive(world, "dispatched")
        services.case_suspend(case=cases["suspended"], actor=world.dispatcher, reason="等待上级批复")
        cases["photo"] = drive(world, "dispatched", report(world, photos=[_png()]))
        _open311_questions(world)
        key = api_key_ensure_demo()
        lat, lng = centre(world.g1)
        data = QueryDict(mutable=True)
        data.update(
            {
                "service_code": world.cats.ads.code,
                "lat": str(lat),
                "long": str(lng),
                "description": "小广告",
            }
        )
        _, service_request = request_create(api_key=key, data=data)
    upload = SimpleUploadedFile("residents.csv", csv_bytes([row(world.g1.code)]), content_type="text/csv")
    job = residents_import.resident_import_job_create(actor=world.gridadmin, upload=upload, partial=False)
    for case in cases.values():
        case.refresh_from_db()
    places = place_factories.grid_base_data(world)
    return SimpleNamespace(
        places=places,
        patrols=patrol_factories.patrol_world(world, places),
        world=world,
        cases=cases,
        resident=resident(world.g1),
        job=job,
        api_key=key,
        service_request=service_request,
        users={role: getattr(world, role) for role in ROLES if role != ANON},
    )
