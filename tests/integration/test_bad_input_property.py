"""Generated bad input on every command route of a live `tenantry up`: the answer is a 4xx
problem at the ingress, or a job that ends within seconds; never a 5xx, never a job left
NotStarted.

Bodies are JSON texts built to break parsers: nesting up to 10,000 levels, lone surrogates in
strings and names, NaN and infinities, overflowing and huge numbers, duplicate names, escaped
colons, every Unicode plane (escaped, raw UTF-8, and CESU-8 bytes no UTF-8 decoder takes).
Each is placed where the route takes free-form JSON and where it takes a scalar or a string.
The count of cases and the slowest accepted job are written to `bad-input-report.json` beside
the deployment's data (and printed with `-s`).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import Api

pytestmark = pytest.mark.slow

JOB_END_SECONDS = 30.0
TERMINAL = {"Succeeded", "Failed", "Canceled"}

any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
names = st.one_of(st.text(any_char, max_size=6), st.sampled_from(["a", "a:", "tenantId", ":", "v"]))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(any_char, max_size=12),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(st.tuples(names, inner), max_size=4).map(lambda pairs: ("obj", pairs)),
    ),
    max_leaves=20,
)


def render(tree: Any, ascii_only: bool) -> str:
    """JSON text as a lenient writer would produce it: NaN, Infinity, repeated names."""
    if isinstance(tree, tuple) and tree[:1] == ("obj",):
        members = (
            f"{json.dumps(k, ensure_ascii=ascii_only)}:{render(v, ascii_only)}" for k, v in tree[1]
        )
        return "{" + ",".join(members) + "}"
    if isinstance(tree, list):
        return "[" + ",".join(render(v, ascii_only) for v in tree) + "]"
    return json.dumps(tree, ensure_ascii=ascii_only)


def nested(depth: int, opener: str) -> str:
    closer = "]" if opener == "[" else "}"
    return opener * depth + "1" + closer * depth


fragments = st.one_of(
    st.builds(render, trees, st.booleans()),
    st.builds(nested, st.integers(min_value=1, max_value=10_000), st.sampled_from(["[", '{"a":'])),
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "1e999",
            "-1e999",
            "1" * 500,
            "9007199254740993",
            '"\\ud800"',
            '"\\udfff"',
            '"a\\u003ab"',
            '{"a":1,"a":2}',
            '{"\\ud800":1}',
            "1e-999",
        ]
    ),
)

# (method, path, body template): `@` is where the generated JSON goes
ROUTES = [
    ("POST", "/cosmos/notes", "@"),
    ("POST", "/cosmos/notes", '{"v":@}'),
    ("PATCH", "/cosmos/notes/{item}", '{"v":@}'),
    ("POST", "/agents/", '{"name":"a","metadata":{"k":@}}'),
    ("POST", "/agents/", '{"name":@}'),
    ("POST", "/agents/threads", '{"metadata":{"k":@}}'),
    ("POST", "/agents/threads/{thread}/messages", '{"content":@}'),
    ("POST", "/agents/threads/{thread}/runs", '{"agent_id":"{agent}","metadata":{"k":@}}'),
    ("POST", "/search/documents", '[{"id":"d1","content":"x","f":@}]'),
    ("POST", "/search/documents", '[{"id":"d1","content":@}]'),
]

RESULTS: dict[str, Any] = {"cases": 0, "accepted": 0, "refused": 0, "slowest_job_seconds": 0.0}


@pytest.fixture(scope="module")
def resources(api: Api) -> dict[str, str]:
    agent = api.create("contoso", "/agents/", {"name": "prop", "model": "gpt-4o"})
    thread = api.create("contoso", "/agents/threads", {})
    item = api.create("contoso", "/cosmos/notes", {"v": 0})
    return {"agent": str(agent["id"]), "thread": str(thread["id"]), "item": str(item["id"])}


def until_ended(api: Api, job_id: str, started: float) -> dict[str, Any]:
    deadline = started + JOB_END_SECONDS
    while True:
        job = api.job("contoso", job_id)
        if job["status"] in TERMINAL:
            RESULTS["slowest_job_seconds"] = max(
                RESULTS["slowest_job_seconds"], time.monotonic() - started
            )
            return job
        assert time.monotonic() < deadline, f"job {job_id} did not end: {job}"
        time.sleep(0.01)


@pytest.mark.parametrize(("method", "path", "template"), ROUTES)
def test_generated_bad_json_is_refused_or_its_job_ends(
    api: Api, resources: dict[str, str], method: str, path: str, template: str
) -> None:
    url = path.format(**resources)
    body_of = template.replace("{agent}", resources["agent"])

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(fragments)
    def check(fragment: str) -> None:
        # raw lone surrogates become CESU-8 bytes, which no UTF-8 decoder may accept
        raw = body_of.replace("@", fragment).encode("utf-8", "surrogatepass")
        started = time.monotonic()
        response = api.http.request(
            method,
            url,
            content=raw,
            headers=api.auth("contoso") | {"Content-Type": "application/json"},
        )
        RESULTS["cases"] += 1
        assert response.status_code < 500, (raw[:200], response.text)
        if response.status_code >= 400:
            RESULTS["refused"] += 1
            assert response.headers["content-type"] == "application/problem+json"
            return
        assert response.status_code == 202, response.text
        RESULTS["accepted"] += 1
        until_ended(api, str(response.json()["id"]), started)

    check()


def test_report_the_counts(api: Api) -> None:
    """Runs last in this module: the figures the issue asks for."""
    report = api.deployment.data_dir / "bad-input-report.json"
    report.write_text(json.dumps(RESULTS, indent=2))
    print("bad input:", json.dumps(RESULTS))
    assert RESULTS["cases"] >= len(ROUTES) * 10
