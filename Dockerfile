# One image for every component: gateway, worker, mocks (`lgsp …` chooses which).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bus ./bus
COPY adapters ./adapters
COPY services ./services
COPY loadtests ./loadtests
COPY lgsp ./lgsp
COPY safe_xml ./safe_xml
COPY vn_calendar ./vn_calendar
RUN pip install --no-cache-dir .
ENV LGSP_GATEWAY_HOST=0.0.0.0
ENTRYPOINT ["lgsp"]
