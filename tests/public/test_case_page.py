"""The public case page (/public/cases/<number>/) follows the one public decision and shows only what the
public may read: fixed phrases, the rough place, the public text, the EXIF-free copies of allowed photos."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cases import services
from cases.models import Case, CasePhoto
from cases.ui import RESIDENT_STATE_LABELS, STATE_LABELS
from gridmgmt import tasking

from ..cases.helpers import drive, evidence, png_upload, report

REASON = "涉及个人隐私请隐藏"  # typed by the dispatch center when hiding or showing
ORIGINAL = "隔壁王大爷家门口的垃圾"  # the reporter's words, naming a neighbour
PUBLIC_TEXT = "路边有垃圾堆放"  # what the dispatch center lets the public read

# Everything staff or the reporter typed along the way: none of it may reach the public page.
SECRETS = {
    "reporter_name": "欧阳锋",
    "reporter_contact": "13912345678",
    "address": "中山路88号3单元502室",
    "file": "备注甲：已核实来电人身份",
    "dispatch": "备注乙：请李科长优先处理",
    "extension": "备注丙：需要调集吊车设备",
    "approve": "备注丁：同意延期两小时",
    "suspend": "备注戊：等待区长批复",
    "resume": "备注己：批复已到",
    "resolve": "备注庚：清运完毕由张师傅签字",
    "verify": "备注辛：现场已核查无遗留",
}


def page(client, case: Case):
    return client.get(reverse("public-case", kwargs={"number": case.number}))


def photo_url(case: Case, photo: CasePhoto, variant: str = "display") -> str:
    return reverse(
        "public-case-photo", kwargs={"number": case.number, "photo_id": photo.pk, "variant": variant}
    )


def jpeg_with_exif() -> bytes:
    """A JPEG whose EXIF names a camera: the original upload the public must never get."""
    image = Image.new("RGB", (64, 48), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def closed_case_with_every_note(world) -> Case:
    """A resident's report carried to closed, with a note on every step, an extension and a suspension."""
    with tasking.suppressed():
        case = report(
            world,
            actor=world.resident,
            source="resident",
            description=ORIGINAL,
            address=SECRETS["address"],
            reporter_name=SECRETS["reporter_name"],
            reporter_contact=SECRETS["reporter_contact"],
            photos=[png_upload()],
        )
        case = services.case_file(case=case, actor=world.dispatcher, note=SECRETS["file"])
        case = services.case_dispatch(
            case=case, actor=world.dispatcher, department=world.sanitation, note=SECRETS["dispatch"]
        )
        case = services.case_accept(case=case, actor=world.staff)
        services.case_request_extension(
            case=case, actor=world.staff, minutes=120, reason=SECRETS["extension"]
        )
        case.refresh_from_db()
        case = services.case_approve_extension(case=case, actor=world.dispatcher, note=SECRETS["approve"])
        case = services.case_suspend(case=case, actor=world.dispatcher, reason=SECRETS["suspend"])
        case = services.case_resume(case=case, actor=world.dispatcher, note=SECRETS["resume"])
        case = services.case_resolve(case=case, actor=world.staff, notes=SECRETS["resolve"], **evidence(case))
        case = services.case_verify_pass(
            case=case, actor=world.gridadmin, note=SECRETS["verify"], **evidence(case)
        )
    case.refresh_from_db()
    assert case.state == "closed" and case.is_public
    return case


# --- the public decision ---


def test_it_shows_a_public_case_to_anyone(client, world):
    case = drive(world, "dispatched")
    response = page(client, case)
    assert response.status_code == 200
    text = response.content.decode()
    assert case.number in text and "垃圾堆放" in text and world.sanitation.name in text


def test_a_hidden_case_reads_like_an_unknown_number(client, world):
    case = services.case_publicity_set(
        case=report(world, description=ORIGINAL), actor=world.dispatcher, public=False, reason=REASON
    )
    hidden = page(client, case)
    unknown = client.get(reverse("public-case", kwargs={"number": "X" + case.number[1:]}))
    assert hidden.status_code == unknown.status_code == 404
    assert ORIGINAL.encode() not in hidden.content
    # Our 404 page, not a framework one.
    assert [t.name for t in hidden.templates][:1] == [t.name for t in unknown.templates][:1] == ["404.html"]


def test_it_follows_the_dispatch_center_both_ways(client, world):
    case = report(world)
    assert page(client, case).status_code == 200
    case = services.case_publicity_set(case=case, actor=world.dispatcher, public=False, reason=REASON)
    assert page(client, case).status_code == 404
    case = services.case_publicity_set(case=case, actor=world.dispatcher, public=True, reason=REASON)
    assert page(client, case).status_code == 200
    case = services.case_publicity_set(case=case, actor=world.dispatcher, public=False, reason=REASON)
    assert page(client, case).status_code == 404


def test_the_public_description_replaces_the_original(client, world):
    case = services.case_publicity_set(
        case=report(world, description=ORIGINAL),
        actor=world.dispatcher,
        public=True,
        reason=REASON,
        public_description=PUBLIC_TEXT,
    )
    text = page(client, case).content.decode()
    assert PUBLIC_TEXT in text
    assert ORIGINAL not in text


def test_a_staff_viewer_sees_the_residents_state_label(client, world):
    case = drive(world, "returned")
    client.force_login(world.dispatcher)
    response = page(client, case)
    assert response.context["state_label"] == str(RESIDENT_STATE_LABELS["returned"])
    assert response.context["state_label"] != str(STATE_LABELS["returned"])


def test_it_answers_get_only(client, world):
    case = drive(world, "filed")
    assert client.post(reverse("public-case", kwargs={"number": case.number})).status_code == 405


# --- privacy ---


def test_it_shows_nothing_staff_or_the_reporter_typed(client, world):
    case = closed_case_with_every_note(world)
    client.force_login(world.dispatcher)  # staff reading the public page see what the public sees
    for viewer in ("dispatcher", "anonymous"):
        if viewer == "anonymous":
            client.logout()
        response = page(client, case)
        assert response.status_code == 200
        text = response.content.decode()
        for what, secret in SECRETS.items():
            assert secret not in text, f"{what} leaked to {viewer}"
        for person in (world.dispatcher, world.staff, world.gridadmin, world.resident):
            assert f">{person.username}<" not in text and f" {person.username} " not in text
        assert f"{case.lat:.5f}" not in text and f"{case.lng:.5f}" not in text
        # The rough place: street, community and grid names.
        grid = case.grid
        assert grid.name in text and grid.community.name in text and grid.community.parent.name in text


def test_a_rejection_shows_no_reason(client, world):
    with tasking.suppressed():
        case = services.case_reject(case=report(world), actor=world.dispatcher, reason="举报人系恶意投诉张三")
    text = page(client, case).content.decode()
    assert "举报人系恶意投诉张三" not in text
    assert 'class="event-reject"' in text


def test_the_timeline_shows_only_public_steps(client, world):
    case = closed_case_with_every_note(world)
    steps = page(client, case).context["steps"]
    assert [s.action for s in steps] == ["report", "file", "dispatch", "resolve", "verify_pass"]
    assert world.sanitation.name in steps[2].label


def test_a_desk_closure_shows_as_closed(client, world):
    case = drive(world, "resolved")
    with tasking.suppressed():
        case = services.case_verify_desk(case=case, actor=world.dispatcher, reason="来电人确认已清理完毕")
    response = page(client, case)
    assert [s.action for s in response.context["steps"]][-1] == "verify_desk"
    assert "来电人确认已清理完毕" not in response.content.decode()


# --- photos ---


def test_the_photo_route_serves_copies_never_the_upload(client, world):
    original = jpeg_with_exif()
    upload = SimpleUploadedFile("scene.jpg", original, content_type="image/jpeg")
    case = report(world, photos=[upload])
    photo = case.photos.get(kind=CasePhoto.Kind.REPORT)
    for variant in ("thumb", "display"):
        response = client.get(photo_url(case, photo, variant))
        assert response.status_code == 200
        served = b"".join(response.streaming_content)
        assert served != original
        assert b"SecretCam" not in served
        assert Image.open(io.BytesIO(served)).getexif().get(0x010F) is None
    assert client.get(photo_url(case, photo, "original")).status_code == 404
    photo.image.open("rb")
    assert photo.image.read() == original  # the upload is kept as it came: it is what we never serve


def test_fix_photos_appear_only_once_closed(client, world):
    resolved = drive(world, "resolved")
    fix = resolved.photos.get(kind=CasePhoto.Kind.EVIDENCE)
    assert client.get(photo_url(resolved, fix)).status_code == 404
    assert page(client, resolved).context["fix_photos"] == []
    with tasking.suppressed():
        closed = services.case_verify_pass(case=resolved, actor=world.gridadmin, **evidence(resolved))
    assert client.get(photo_url(closed, fix)).status_code == 200
    assert page(client, closed).context["fix_photos"] == [fix]
    verification = closed.photos.get(kind=CasePhoto.Kind.VERIFICATION)
    assert client.get(photo_url(closed, verification)).status_code == 404


def test_no_photo_of_a_hidden_case_nor_through_another_case(client, world):
    case = report(world, photos=[png_upload()])
    other = drive(world, "filed")
    photo = case.photos.get()
    assert client.get(photo_url(other, photo)).status_code == 404
    services.case_publicity_set(case=case, actor=world.dispatcher, public=False, reason=REASON)
    assert client.get(photo_url(case, photo)).status_code == 404


# --- queries ---


@pytest.mark.parametrize("rounds", [0, 3])
def test_the_page_costs_the_same_queries_whatever_the_history(
    client, world, rounds, django_assert_num_queries
):
    case = drive(world, "dispatched")
    with tasking.suppressed():
        for _ in range(rounds):  # returned and dispatched again: more events, more departments
            case = services.case_return(case=case, actor=world.staff, reason="非本部门职责")
            case = services.case_dispatch(case=case, actor=world.dispatcher, department=world.roads)
            case = services.case_return(case=case, actor=world.other_staff, reason="非本部门职责")
            case = services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)
    with django_assert_num_queries(4):  # the case with its places, its public events, photos, departments
        response = page(client, case)
    assert response.status_code == 200
    assert len(response.context["steps"]) == 3 + 2 * rounds


def test_a_number_that_is_not_digits_is_not_found_on_every_database(client, world):
    for number in ("2026\x00", "２０２６", "abc", "1" * 21):
        assert client.get(f"/public/cases/{number}/").status_code == 404
        assert client.get(f"/public/cases/{number}/photos/1/thumb/").status_code == 404


def test_the_timeline_shows_the_reporters_rating_and_a_reopening_but_neither_comment_nor_reason(
    client, world
):
    with tasking.suppressed():
        case = drive(world, "closed")
        case = services.case_rate(case=case, actor=None, rating="dissatisfied", comment="王师傅根本没来")
        case = services.case_reopen(case=case, actor=world.dispatcher, reason="复核：李科长确认未整改")
    text = client.get(reverse("public-case", kwargs={"number": case.number}), HTTP_ACCEPT_LANGUAGE="en")
    text = text.content.decode()
    assert "The reporter rated the result: dissatisfied" in text
    assert "Reopened: sent back to the department for rework" in text
    assert "王师傅根本没来" not in text and "李科长" not in text
