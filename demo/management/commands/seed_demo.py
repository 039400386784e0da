"""`manage.py seed_demo`: fill an empty database with the Donghu District demo (development only)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.patrols import demo_patrols_summary
from demo.public import demo_public_summary
from demo.reference import PASSWORD
from demo.seed import DemoRefused, demo_grid_administrators, demo_logins, demo_present, demo_seed


class Command(BaseCommand):
    help = (
        "Seed the demo: Donghu District cut into grids, the case taxonomy, departments, routing rules, "
        "demo users and two months of case history. Refused when DEBUG is off."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but still print the logins) if the database already has grids",
        )
        parser.add_argument(
            "--logins", action="store_true", help="only print the demo logins (bin/run shows them last)"
        )
        parser.add_argument(
            "--no-logins", action="store_true", help="leave the logins out (bin/run prints them last)"
        )
        parser.add_argument("--cases", type=int, default=360, help="how many cases of history (default 360)")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed, the same demo")

    def handle(self, *args, if_empty: bool, logins: bool, no_logins: bool, cases: int, seed: int, **options):
        if logins:
            self._print_logins()
            return
        if not settings.DEBUG:
            raise CommandError("demo data is refused when DEBUG is off")
        if cases < 0:
            raise CommandError("--cases must be zero or more")
        if if_empty and demo_present():
            self.stdout.write("The demo is already there: nothing seeded.")
            if not no_logins:
                self._print_logins()
            return
        started = time.monotonic()
        try:
            summary = demo_seed(cases=cases, seed=seed)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded in {elapsed:.1f} s: {summary.grids} grids in {summary.communities} communities and "
            f"{summary.streets} streets; {summary.categories} categories; {summary.departments} departments "
            f"with {summary.routing_rules} routing rules; {summary.users} users."
        )
        states = ", ".join(f"{state} {n}" for state, n in sorted(summary.cases_by_state.items()))
        self.stdout.write(f"{sum(summary.cases_by_state.values())} cases: {states}.")
        events = ", ".join(f"{action} {n}" for action, n in sorted(summary.events_by_action.items()))
        self.stdout.write(f"{sum(summary.events_by_action.values())} case events: {events}.")
        self.stdout.write(f"{summary.notifications} notifications, all marked sent (history, not news).")
        self.stdout.write(f"{summary.residents} registered residents (ID numbers and phones encrypted).")
        self.stdout.write(demo_patrols_summary())
        self.stdout.write(demo_public_summary())
        for error in summary.step_errors:
            self.stderr.write(f"skipped: {error}")
        if not no_logins:
            self._print_logins()

    def _print_logins(self) -> None:
        """The logins one per desk, so a visitor finds theirs at a glance."""
        logins = demo_logins()
        staff = [name for name in logins if name.startswith("staff_")]
        administrators = demo_grid_administrators()
        desks = [
            ("dispatch center", [name for name in logins if name == "dispatcher"]),
            ("supervisor", [name for name in logins if name == "supervisor"]),
            (
                "grid administrators",
                [f"{administrators[0]} … {administrators[-1]}"]
                if len(administrators) > 2
                else administrators,
            ),
            ("department staff", staff),
            ("resident, verified", [name for name in logins if name == "resident1"]),
            ("resident, unverified", [name for name in logins if name == "resident2"]),
            ("system administrator", [name for name in logins if name == "admin"]),
        ]
        self.stdout.write(f"Demo logins, password {PASSWORD}:")
        for desk, names in desks:
            if names:
                self.stdout.write(f"  {desk:<22} {', '.join(names)}")
