"""Hostile input at every URL pattern, API operation, web form and Open311 resource: never a 5xx, and every
refusal says what was wrong (the API's error shape under /api/, GeoReport's error list under /open311/, a
page with something on it elsewhere).

What is attacked is discovered, not listed: URL patterns from the resolver, operations from the OpenAPI
schema, forms from the pages each persona is shown (see discovery.py). A new page, endpoint or form is
attacked the day it is added. The product of inputs × hostile classes × personas is sampled with a fixed
seed to a budget per test (see harness.sample): every endpoint first, then every (input, class) stratum,
then more personas. The terminal summary prints how many requests were sent and how they were answered.
"""

import json

from . import discovery, payloads, probes
from .harness import TALLY, report, sample
from .probes import OPEN311

# Requests per test after the crawl: with it about 20,300, which two busy vCPUs answer in under two minutes
# on SQLite and three on PostgreSQL (an API request takes 5 ms on one, 8 to 13 on the other; a form 9 and 16).
BUDGET = {"url": 11200, "api": 9000, "form": 5600, "open311": 2000}
MINIMUM_REQUESTS = 20_000


def _probed(arena, channel: str, everything: list, sent: list) -> None:
    """Remember, for the last test, which endpoints and which strata of the issue's classes the whole
    product had, and which of them the sample sent."""
    core = {p.stratum for p in everything if p.cls in payloads.CORE}
    arena.coverage[channel] = (
        {p.endpoint for p in everything},
        {p.endpoint for p in sent},
        core - {p.stratum for p in sent},
    )


def _verdict(arena, *channels: str) -> str:
    failures = [f for channel in channels for f in arena.sender.failures[channel]]
    sent = sum(sum(TALLY.counts[channel].values()) for channel in channels)
    return report(failures, sent)


def test_every_url_pattern_takes_hostile_paths_and_queries(db, arena):
    everything = probes.url_probes(arena.routes, arena.pool, arena.roles, arena.seen)
    probe_list = sample(everything, BUDGET["url"])
    arena.sender.send_all(probe_list)

    _probed(arena, "url", everything, probe_list)
    failures = _verdict(arena, "crawl", "url")
    assert not failures, failures


def test_every_api_operation_takes_hostile_input(db, arena):
    ops = discovery.api_operations()
    reach = probes.api_reach(arena.sender, ops, arena.pool, arena.roles)
    everything = probes.api_probes(ops, arena.pool, reach)
    probe_list = sample(everything, BUDGET["api"]) + probes.api_method_probes(ops, reach)
    arena.sender.send_all(probe_list)

    _probed(arena, "api", everything, probe_list)
    failures = _verdict(arena, "api")
    assert not failures, failures


def test_every_web_form_takes_hostile_input(db, arena):
    everything = probes.form_probes(arena.seen, arena.pool)
    probe_list = sample(everything, BUDGET["form"])
    arena.sender.send_all(probe_list)

    _probed(arena, "form", everything, probe_list)
    failures = _verdict(arena, "form")
    assert not failures, failures


def test_open311_takes_hostile_input(db, arena):
    services = arena.sender.send(
        probes.Probe("open311", "anonymous", "GET", f"{OPEN311}services.json", "services", "baseline")
    )
    definitions = {}
    for service in json.loads(services.content):
        code = service["service_code"]
        response = arena.sender.send(
            probes.Probe(
                "open311", "anonymous", "GET", f"{OPEN311}services/{code}.json", "service", "baseline"
            ),
        )
        definitions[code] = json.loads(response.content) if response.status_code == 200 else {}
    base = probes.open311_create_base(definitions, arena.world.api_key.key, arena.pool)
    everything = probes.open311_probes(base, arena.roles)
    probe_list = sample(everything, BUDGET["open311"])
    arena.sender.send_all(probe_list)

    _probed(arena, "open311", everything, probe_list)
    failures = _verdict(arena, "open311")
    assert not failures, failures


def test_the_harness_reached_everything_it_found(db, arena):
    """Runs last, after the four tests above (alone, or after only some of them, it fails: run the module).
    It asks for `db` as they do: pytest-django moves tests without it after every database test of the
    whole suite, where the module's arena would be built anew, empty.
    Discovery found something in every channel; every endpoint found was attacked, at every input with
    every class the issue names (when the product outgrows a budget, this says which one to raise); and
    the run is as large as promised."""
    assert set(arena.coverage) == {"url", "api", "form", "open311"}, "run the whole module"
    for channel, (found, attacked, core_left_out) in arena.coverage.items():
        assert found, f"discovery found nothing for {channel}"
        assert found <= attacked, f"{channel}: never attacked: {sorted(found - attacked)}"
        assert not core_left_out, (
            f"BUDGET[{channel!r}] is too small for the named classes at every input: "
            f"{len(core_left_out)} left out, e.g. {sorted(core_left_out)[:5]}"
        )
    assert len(arena.seen.forms) >= 10, f"the crawl found only {len(arena.seen.forms)} forms"
    assert TALLY.total >= MINIMUM_REQUESTS, "\n".join(TALLY.summary())
