"""Racing callers: threads released together, each with its own database connection, committing for real."""

import threading

from django.db import connections

from gridmgmt import tasking


def race(*calls):
    """Run the calls in threads released together by a barrier; each result is a value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int, call) -> None:
        try:
            barrier.wait(timeout=10)
            with tasking.suppressed():
                results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever each side got
            results[i] = exc
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a racer hung (lock never released?)"
    return results
