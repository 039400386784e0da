"""Resident accounts on the public site: sign-up by e-mail link or SMS code, sign-in (axes applies), password
reset by link or code (never telling whether an account exists), "my reports", and the guards (throttles,
honeypot, proof of work). Hostile input never gives a 500."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from gridmgmt import clock
from gridmgmt.errors import InvalidInput
from gridmgmt.roles import Role, user_roles
from notifications import sms
from public import accounts
from public.guard import challenge_issue, proof_solve
from public.models import OneTimeCode, ResidentAccount

from ..cases.helpers import report

User = get_user_model()
PASSWORD = "griddemo-Secret-42"
EMAIL = "li.wei@example.cn"
PHONE = "13912345678"
THROTTLES = "report=10/h,support=30/h,signup=2/h,code=2/h,rating=20/h,subscribe=10/h,link=5/h,login=2/h"


def guarded(data: dict | None = None) -> dict:
    """A form body as the page sends it: the honeypot empty, the proof of work solved."""
    challenge = challenge_issue()["challenge"]
    return {
        **(data or {}),
        "website": "",
        "pow_challenge": challenge,
        "pow_nonce": proof_solve(challenge, settings.PUBLIC_POW_BITS),
    }


def signup_post(client: Client, contact: str, *, password: str = PASSWORD, name: str = ""):
    body = {"contact": contact, "password1": password, "password2": password, "display_name": name}
    return client.post(reverse("public-signup"), guarded(body))


def login_post(client: Client, identifier: str, password: str = PASSWORD, **extra):
    return client.post(
        reverse("public-login"), guarded({"identifier": identifier, "password": password, **extra})
    )


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0).removeprefix("http://testserver")


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def last_code() -> str:
    return code_in(sms.outbox[-1].text)


def without_tokens(response) -> str:
    """A page without its per-request CSRF tokens."""
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", response.content.decode())


def logged_in_user(client: Client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def email_account(email: str = EMAIL, *, confirmed: bool = True) -> ResidentAccount:
    result = accounts.account_signup_email(
        email=email, password=PASSWORD, display_name="李伟", base_url="http://testserver"
    )
    if confirmed:
        accounts.email_confirm(token=accounts.email_confirm_token(result.account))
        result.account.refresh_from_db()
    mail.outbox.clear()
    return result.account


def phone_account(phone: str = PHONE, *, confirmed: bool = True) -> ResidentAccount:
    result = accounts.account_signup_phone(phone=phone, password=PASSWORD)
    if confirmed:
        accounts.phone_confirm(phone=phone, code=last_code())
        result.account.refresh_from_db()
    sms.outbox.clear()
    return result.account


# --- sign-up by e-mail ------------------------------------------------------------------------------------


def test_it_signs_up_by_email_and_the_mailed_link_confirms(db):
    client = Client()
    response = signup_post(client, EMAIL, name="李伟")
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]
    account = ResidentAccount.objects.select_related("user").get(user__email=EMAIL)
    assert account.email_confirmed_at is None and not account.is_confirmed
    assert Role.RESIDENT in user_roles(account.user)
    assert account.user.username.startswith("r_")
    assert account.user.username not in response.content.decode()

    confirmed = client.get(link_in(mail.outbox[0]))

    assert confirmed.status_code == 200
    account.refresh_from_db()
    assert account.email_confirmed_at is not None
    assert logged_in_user(client) == account.user  # the browser that signed up is signed in


def test_a_tampered_confirmation_link_is_refused(db):
    account = email_account(confirmed=False)
    token = accounts.email_confirm_token(account)
    response = Client().get(reverse("public-email-confirm", kwargs={"token": token[:-2] + "xx"}))
    assert response.status_code == 400
    account.refresh_from_db()
    assert account.email_confirmed_at is None


def test_an_expired_confirmation_link_is_refused(db):
    account = email_account(confirmed=False)
    token = accounts.email_confirm_token(account)
    later = clock.now() + dt.timedelta(hours=settings.PUBLIC_CONFIRM_LINK_HOURS, minutes=1)
    with clock.frozen_at(later):
        response = Client().get(reverse("public-email-confirm", kwargs={"token": token}))
    assert response.status_code == 400
    account.refresh_from_db()
    assert account.email_confirmed_at is None


def test_a_confirmation_link_used_again_changes_nothing(db):
    account = email_account(confirmed=False)
    url = reverse("public-email-confirm", kwargs={"token": accounts.email_confirm_token(account)})
    assert Client().get(url).status_code == 200
    account.refresh_from_db()
    first = account.email_confirmed_at
    assert Client().get(url).status_code == 200
    account.refresh_from_db()
    assert account.email_confirmed_at == first


def test_a_taken_address_answers_the_same_and_tells_its_owner(db):
    owner = email_account()
    response = signup_post(Client(), EMAIL.upper())
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode() or "查收" in response.content.decode()
    assert User.objects.filter(email__iexact=EMAIL).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL.split("@")[0].upper() + "@example.cn"]
    assert accounts.email_confirm_token(owner) not in mail.outbox[0].body


def test_an_unconfirmed_address_goes_to_whoever_confirms_it(db):
    squatter = email_account(confirmed=False)
    newcomer = email_account(confirmed=True)
    squatter.user.refresh_from_db()
    assert squatter.user.email == "" and not squatter.user.is_active
    assert newcomer.user.email == EMAIL and newcomer.is_confirmed


def test_a_weak_password_is_refused_and_what_was_typed_stays(db):
    response = signup_post(Client(), EMAIL, password="12345678")
    assert response.status_code == 400
    assert EMAIL in response.content.decode()
    assert not User.objects.filter(email=EMAIL).exists() and not mail.outbox


# --- sign-up by phone -------------------------------------------------------------------------------------


def test_it_signs_up_by_phone_and_the_texted_code_confirms(db):
    client = Client()
    response = signup_post(client, PHONE)
    assert response.status_code == 302 and response["Location"] == reverse("public-phone-code")
    assert len(sms.outbox) == 1 and sms.outbox[0].phone == PHONE
    account = ResidentAccount.objects.get()
    assert PHONE not in account.phone_encrypted and account.phone_hash
    code = last_code()
    assert not OneTimeCode.objects.filter(code_hash__contains=code).exists()  # only an HMAC is kept

    response = client.post(reverse("public-phone-code"), guarded({"phone": PHONE, "code": code}))

    assert response.status_code == 200
    account.refresh_from_db()
    assert account.phone_confirmed_at is not None
    assert logged_in_user(client) == account.user


def test_wrong_codes_count_and_spend_the_code(db, settings):
    settings.PUBLIC_CODE_ATTEMPTS = 3
    phone_account(confirmed=False)
    accounts.phone_code_resend(phone=PHONE)
    good = last_code()
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for _ in range(3):
        with pytest.raises(InvalidInput):
            accounts.phone_confirm(phone=PHONE, code=wrong)
    spent = OneTimeCode.objects.order_by("-pk").first()
    assert spent.attempts == 3 and spent.used_at is not None
    with pytest.raises(InvalidInput):
        accounts.phone_confirm(phone=PHONE, code=good)
    assert ResidentAccount.objects.get().phone_confirmed_at is None


def test_an_expired_code_is_refused(db):
    phone_account(confirmed=False)
    accounts.phone_code_resend(phone=PHONE)
    code = last_code()
    with clock.frozen_at(clock.now() + dt.timedelta(minutes=settings.PUBLIC_CODE_MINUTES, seconds=1)):
        with pytest.raises(InvalidInput):
            accounts.phone_confirm(phone=PHONE, code=code)


def test_a_new_code_spends_the_older_one(db):
    phone_account(confirmed=False)
    accounts.phone_code_resend(phone=PHONE)
    older = last_code()
    accounts.phone_code_resend(phone=PHONE)
    newer = last_code()
    if older != newer:
        with pytest.raises(InvalidInput):
            accounts.phone_confirm(phone=PHONE, code=older)
    assert accounts.phone_confirm(phone=PHONE, code=newer).phone_confirmed_at is not None


def test_a_confirmed_phone_is_not_taken_again_and_its_owner_is_told(db):
    phone_account()
    response = signup_post(Client(), PHONE)
    assert response.status_code == 302  # the same answer as a new number
    assert ResidentAccount.objects.count() == 1
    assert len(sms.outbox) == 1 and not re.search(r"\b\d{6}\b", sms.outbox[0].text)


def test_resending_to_a_number_without_an_account_sends_nothing(db):
    response = Client().post(reverse("public-phone-code"), guarded({"phone": PHONE, "resend": "1"}))
    assert response.status_code == 200 and not sms.outbox


# --- guards -----------------------------------------------------------------------------------------------


def test_a_filled_honeypot_is_refused(db):
    body = {**guarded({"contact": EMAIL, "password1": PASSWORD, "password2": PASSWORD}), "website": "spam"}
    response = Client().post(reverse("public-signup"), body)
    assert response.status_code == 400 and not User.objects.filter(email=EMAIL).exists()


def test_a_missing_proof_of_work_is_refused(db):
    body = {"contact": EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    response = Client().post(reverse("public-signup"), body)
    assert response.status_code == 400 and not User.objects.filter(email=EMAIL).exists()
    response = Client().post(reverse("public-login"), {"identifier": EMAIL, "password": PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize("scope", ["signup", "code", "login"])
def test_throttles_refuse_with_429(db, settings, scope):
    settings.PUBLIC_THROTTLES = THROTTLES
    client = Client()

    def send(n: int):
        if scope == "signup":
            return signup_post(client, f"user{n}@example.cn")
        if scope == "code":
            return client.post(reverse("public-phone-code"), guarded({"phone": PHONE, "code": "000000"}))
        return login_post(client, f"user{n}@example.cn")

    statuses = [send(n).status_code for n in range(3)]
    assert 429 not in statuses[:2]
    assert statuses[2] == 429


# --- sign-in --------------------------------------------------------------------------------------------


def test_it_signs_in_by_email_and_by_phone(db):
    by_mail, by_phone = email_account(), phone_account()
    client = Client()
    response = login_post(client, EMAIL.upper())
    assert response.status_code == 302 and response["Location"] == reverse("public-my-reports")
    assert logged_in_user(client) == by_mail.user
    client = Client()
    response = login_post(client, "139 1234 5678")
    assert response.status_code == 302 and logged_in_user(client) == by_phone.user
    client = Client()
    response = login_post(client, "１３９１２３４５６７８")  # typed with a Chinese input method's full width
    assert response.status_code == 302 and logged_in_user(client) == by_phone.user


def test_an_unknown_identifier_fails_like_a_wrong_password(db):
    email_account()
    wrong = login_post(Client(), EMAIL, "not the password at all")
    unknown = login_post(Client(), "nobody@example.cn", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400

    def message(response):
        return re.search(r'<p class="error" role="alert">(.*?)</p>', response.content.decode()).group(1)

    assert message(wrong) == message(unknown)


def test_staff_signing_in_here_go_to_their_home(world):
    response = login_post(Client(), "gridadmin@example.org", "pw")
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_next_is_followed_only_on_this_site(db):
    email_account()
    response = login_post(Client(), EMAIL, next=reverse("public-registry-link"))
    assert response["Location"] == reverse("public-registry-link")
    response = login_post(Client(), EMAIL, next="https://evil.example/")
    assert response["Location"] == reverse("public-my-reports")


def test_axes_locks_out_a_phone_after_five_wrong_passwords(db, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    phone_account()
    for _ in range(4):
        assert login_post(Client(), PHONE, "wrong password!").status_code == 400
    assert login_post(Client(), PHONE, "wrong password!").status_code == 429  # the fifth failure locks
    assert login_post(Client(), PHONE).status_code == 429  # even with the right password


def test_logout_is_post_only(db):
    email_account()
    client = Client()
    login_post(client, EMAIL)
    assert client.get(reverse("public-logout")).status_code == 405
    assert client.post(reverse("public-logout")).status_code == 302
    assert logged_in_user(client) is None


# --- password reset -------------------------------------------------------------------------------------


def test_password_reset_by_email(db):
    account = email_account()
    client = Client()
    response = client.post(reverse("public-password-reset"), guarded({"contact": EMAIL}))
    assert response.status_code == 200 and len(mail.outbox) == 1
    url = link_in(mail.outbox[0])
    assert client.get(url).status_code == 200
    new = "another-Long-Secret-7"
    response = client.post(url, guarded({"password1": new, "password2": new}))
    assert response.status_code == 200
    account.user.refresh_from_db()
    assert account.user.check_password(new)
    assert client.get(url).status_code == 400  # the link works once


def test_password_reset_never_tells_whether_an_account_exists(db):
    email_account()
    known = Client().post(reverse("public-password-reset"), guarded({"contact": EMAIL}))
    unknown = Client().post(reverse("public-password-reset"), guarded({"contact": "nobody@example.cn"}))
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known) == without_tokens(unknown)
    assert len(mail.outbox) == 1
    phone_known = Client().post(reverse("public-password-reset"), guarded({"contact": PHONE}))
    phone_unknown = Client().post(reverse("public-password-reset"), guarded({"contact": "13700000000"}))
    assert phone_known.status_code == phone_unknown.status_code == 302
    assert phone_known["Location"] == phone_unknown["Location"] == reverse("public-password-reset-code")
    assert not sms.outbox  # PHONE has no account here


def test_password_reset_by_code(db):
    account = phone_account()
    client = Client()
    client.post(reverse("public-password-reset"), guarded({"contact": PHONE}))
    code = last_code()
    new = "another-Long-Secret-7"
    body = {"phone": PHONE, "code": code, "password1": new, "password2": new}
    response = client.post(reverse("public-password-reset-code"), guarded(body))
    assert response.status_code == 200
    account.user.refresh_from_db()
    assert account.user.check_password(new)
    again = client.post(
        reverse("public-password-reset-code"), guarded({**body, "password1": "x-Other-Secret-9"})
    )
    assert again.status_code == 400  # the code is spent


# --- my reports -----------------------------------------------------------------------------------------


def test_my_reports_lists_only_my_cases_newest_first(world):
    account = email_account()
    mine_old = report(world, actor=account.user, source="resident", description="旧的")
    mine_new = report(world, actor=account.user, source="resident", description="新的")
    theirs = report(world, actor=world.resident, source="resident")
    client = Client()
    client.force_login(account.user)
    page = client.get(reverse("public-my-reports")).content.decode()
    assert mine_new.number in page and mine_old.number in page and theirs.number not in page
    assert page.index(mine_new.number) < page.index(mine_old.number)
    assert account.user.username not in page


def test_my_reports_reads_in_bounded_queries(world, django_assert_max_num_queries):
    account = email_account()
    client = Client()
    client.force_login(account.user)
    report(world, actor=account.user, source="resident")
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("public-my-reports"))
    for _ in range(6):
        report(world, actor=account.user, source="resident", grid=world.g2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("public-my-reports"))


def test_my_reports_needs_a_sign_in_and_sends_staff_home(world):
    response = Client().get(reverse("public-my-reports"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("public-login"))
    client = Client()
    client.force_login(world.dispatcher)
    assert client.get(reverse("public-my-reports"))["Location"] == reverse("home")


def test_a_new_confirmation_link_can_be_asked_for(db):
    account = email_account(confirmed=False)
    client = Client()
    client.force_login(account.user)
    assert client.post(reverse("public-my-reports")).status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]


# --- hostile input --------------------------------------------------------------------------------------

HOSTILE = [
    "",
    "\x00",
    "a" * 5000,
    "<script>alert(1)</script>",
    "'; drop table x; --",
    "１３９１２３４５６７８",
    "@@",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_gives_a_500(db, text):
    email_account()
    client = Client(raise_request_exception=False)
    posts = {
        "public-signup": {"contact": text, "password1": text, "password2": text, "display_name": text},
        "public-login": {"identifier": text, "password": text, "next": text},
        "public-phone-code": {"phone": text, "code": text, "resend": text},
        "public-password-reset": {"contact": text},
        "public-password-reset-code": {"phone": text, "code": text, "password1": text, "password2": text},
    }
    for name, body in posts.items():
        for data in (body, guarded(body)):
            assert client.post(reverse(name), data).status_code < 500, name
    for raw in (text, "a:b:c", "..%00"):
        token = raw.replace("/", "") or "x"
        url = reverse("public-email-confirm", kwargs={"token": token})
        assert client.get(url).status_code < 500
        url = reverse("public-password-reset-confirm", kwargs={"uidb64": token, "token": "1-2"})
        assert client.get(url).status_code < 500


def test_account_pages_keep_their_links_on_this_site_and_out_of_caches(db):
    response = Client().get(reverse("public-signup"))
    assert response["Cache-Control"] == "no-store"
    # "no-referrer" would make browsers send Origin: null with the page's own form, refused by CSRF.
    assert response["Referrer-Policy"] == "same-origin"
