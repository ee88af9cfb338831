"""The embedders: Azure OpenAI over its REST API (through httpx's mock transport, asserting the
exact request), and the real local model."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import numpy as np
import pytest

from shared.adapters.azure.embedder import AzureOpenAIEmbedder, EmbedderFailed, azure_embedder
from shared.adapters.local.embedder import DIMENSIONS, LocalEmbedder
from shared.bootstrap import ConfigurationError, bootstrap
from shared.ports.search import SearchDocument
from shared.settings import Settings

ENDPOINT = "https://contoso-ai.openai.azure.com"


def vector(seed: int, dims: int = 4) -> list[float]:
    return [float(seed + i) for i in range(dims)]


class Recorder:
    """A mock transport that records every request and answers from a script."""

    def __init__(self, *answers: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self._answers = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._answers.pop(0)(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def embeddings(request: httpx.Request) -> httpx.Response:
    """The service's answer: one embedding per input, deliberately out of order."""
    inputs = json.loads(request.content)["input"]
    data = [{"object": "embedding", "index": i, "embedding": vector(i)} for i in range(len(inputs))]
    return httpx.Response(200, json={"object": "list", "data": list(reversed(data))})


sleeps: list[float] = []


async def sleepless(seconds: float) -> None:
    sleeps.append(seconds)


async def test_the_request_is_exactly_what_azure_openai_documents() -> None:
    recorder = Recorder(embeddings)
    embedder = AzureOpenAIEmbedder(
        ENDPOINT + "/",
        "text-embedding-3-small",
        dimensions=4,
        send_dimensions=True,
        api_key="secret-key",
        transport=recorder.transport,
    )
    assert await embedder.embed(["first", "second"]) == [vector(0), vector(1)]
    [request] = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == (
        f"{ENDPOINT}/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21"
    )
    assert request.headers["api-key"] == "secret-key"
    assert "authorization" not in request.headers
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"input": ["first", "second"], "dimensions": 4}
    await embedder.close()


async def test_an_entra_token_is_sent_as_a_bearer_and_fetched_per_request() -> None:
    tokens = iter(["token-1", "token-2"])

    async def provider() -> str:
        return next(tokens)

    recorder = Recorder(embeddings, embeddings)
    embedder = AzureOpenAIEmbedder(
        ENDPOINT, "emb", dimensions=4, token_provider=provider, transport=recorder.transport
    )
    await embedder.embed(["a"])
    await embedder.embed(["b"])
    assert [r.headers["authorization"] for r in recorder.requests] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert "dimensions" not in json.loads(recorder.requests[0].content)
    await embedder.close()


async def test_many_texts_go_in_batches_and_come_back_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shared.adapters.azure.embedder.BATCH", 3)
    recorder = Recorder(embeddings, embeddings, embeddings)
    embedder = AzureOpenAIEmbedder(
        ENDPOINT, "emb", dimensions=4, api_key="k", transport=recorder.transport
    )
    result = await embedder.embed([f"t{i}" for i in range(7)])
    assert [len(json.loads(r.content)["input"]) for r in recorder.requests] == [3, 3, 1]
    assert result == [vector(i) for i in (0, 1, 2)] * 2 + [vector(0)]
    await embedder.close()


async def test_throttling_is_retried_after_the_time_the_service_asks() -> None:
    sleeps.clear()
    throttled = httpx.Response(429, headers={"retry-after-ms": "1500"}, json={"error": {}})
    recorder = Recorder(lambda _: throttled, lambda _: httpx.Response(503), embeddings)
    embedder = AzureOpenAIEmbedder(
        ENDPOINT, "emb", dimensions=4, api_key="k", transport=recorder.transport, sleep=sleepless
    )
    assert await embedder.embed(["x"]) == [vector(0)]
    assert sleeps == [1.5, 2.0]
    await embedder.close()


async def test_a_refusal_says_what_the_service_said() -> None:
    refusal = httpx.Response(
        401, json={"error": {"code": "PermissionDenied", "message": "Key is wrong."}}
    )
    embedder = AzureOpenAIEmbedder(
        ENDPOINT, "emb", dimensions=4, api_key="k", transport=Recorder(lambda _: refusal).transport
    )
    with pytest.raises(EmbedderFailed, match=r"401 PermissionDenied: Key is wrong\."):
        await embedder.embed(["x"])
    await embedder.close()


async def test_vectors_of_the_wrong_size_are_refused_not_stored() -> None:
    embedder = AzureOpenAIEmbedder(
        ENDPOINT, "emb", dimensions=1536, api_key="k", transport=Recorder(embeddings).transport
    )
    with pytest.raises(EmbedderFailed, match="4 dimensions, not 1536"):
        await embedder.embed(["x"])
    await embedder.close()


def test_a_plain_http_endpoint_is_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        AzureOpenAIEmbedder("http://example.test", "emb", dimensions=4, api_key="k")


def test_embedder_azure_without_an_endpoint_is_a_configuration_error(tmp_path: object) -> None:
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        bootstrap(Settings(embedder="azure", data_dir=tmp_path))  # type: ignore[arg-type]


def test_embedder_azure_reads_its_settings() -> None:
    settings = Settings(
        embedder="azure",
        azure_openai_endpoint=ENDPOINT,
        azure_openai_embedding_deployment="emb-large",
        azure_openai_api_key="k",  # type: ignore[arg-type]
        embedding_dimensions=256,
    )
    embedder = azure_embedder(settings)
    assert embedder.dimensions == 256


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder()


async def test_the_local_model_gives_unit_vectors_of_384_dimensions(local: LocalEmbedder) -> None:
    vectors = np.asarray(await local.embed(["Hello world", "Another sentence, a longer one."]))
    assert vectors.shape == (2, DIMENSIONS) == (2, local.dimensions)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


async def test_the_local_model_puts_paraphrases_closer_than_unrelated_text(
    local: LocalEmbedder,
) -> None:
    food, bread, baby = np.asarray(
        await local.embed(
            ["A man is eating food.", "A man is eating a piece of bread.", "A girl carries a baby."]
        )
    )
    assert float(food @ bread) > 0.6 > float(food @ baby)


async def test_the_local_model_is_deterministic_and_batch_independent(
    local: LocalEmbedder,
) -> None:
    alone = await local.embed(["refund policy"])
    together = await local.embed(["something much longer to force padding", "refund policy"])
    assert np.allclose(alone[0], together[1], atol=1e-4)


async def test_bootstrap_builds_the_local_embedder_and_search_uses_it(tmp_path: object) -> None:
    services = bootstrap(Settings(embedder="local", data_dir=tmp_path))  # type: ignore[arg-type]
    try:
        assert isinstance(services.embedder, LocalEmbedder)
        index = services.search.for_tenant("contoso")
        await index.upsert([SearchDocument(id="d", content="How to reset a password")])
        [hit] = await index.search("I forgot my login credentials", mode="vector", top=1)
        assert hit.id == "d"
    finally:
        await services.close()
