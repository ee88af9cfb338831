# The ingress image (azd builds it in Azure Container Registry: `remoteBuild: true`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The whole build context (.dockerignore keeps tests, benchmarks and tools out), so a package
# added to pyproject.toml is in the image without an edit here (tests/infra/test_ingress_image.py).
COPY . .
RUN pip install ".[azure]" \
    && useradd --system --uid 10001 --no-create-home tenantry

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
# The server `tenantry up` runs (header deadline, keep-alive reaping, drain on SIGTERM), behind
# the platform's front end (`python -m ingress` trusts its X-Forwarded-For and -Proto).
CMD ["python", "-m", "ingress", "--host", "0.0.0.0", "--port", "8000"]
