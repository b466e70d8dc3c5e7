# The idgraph API image (used by docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY identity ./identity
COPY matchers ./matchers
COPY graph ./graph
COPY api ./api
COPY cli ./cli
COPY tools ./tools
RUN pip install --no-cache-dir .
ENV IDGRAPH_DATA_DIR=/data
EXPOSE 8000
CMD ["idgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
