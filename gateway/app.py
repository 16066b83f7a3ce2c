"""The quart-trio application: queries, licences, schemas, certificates, health, metrics.

``create_app`` returns the ASGI callable hypercorn serves: the ingest fast path
in front of this application (see ``gateway/fastpath.py``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from quart import Response, request
from quart_trio import QuartTrio

from gateway import licence_views
from gateway.config import Config
from gateway.fastpath import FastPath
from gateway.identity import card_status, enterprise_record, revocation_list
from gateway.ingest import problem_answer
from gateway.metrics import exposition
from gateway.problems import CONTENT_TYPE as PROBLEM_TYPE
from gateway.runtime import Runtime, utc_now
from routing.cards import Card
from routing.errors import EnvelopeInvalid, NotFound, ProblemError, Unavailable
from routing.signed_requests import authenticate
from routing.subsystems import REGISTRY
from routing.subsystems.licence.kinds import AUTOMOBILE_CERTIFICATE, LICENCE_LEDGER

PEM = "application/x-pem-file"
CRL_DER = "application/pkix-crl"
JSON = "application/json"
MAX_PAGE = 1000


def create_app(config: Config | None = None) -> FastPath:
    config = config or Config.load()
    app = QuartTrio("eport")
    holder: dict[str, Runtime] = {}

    def runtime() -> Runtime:
        current = holder.get("runtime")
        if current is None:
            raise Unavailable("gateway is starting")
        return current

    @app.before_serving
    async def start() -> None:
        holder["runtime"] = await Runtime.open(config, app.nursery)

    @app.after_serving
    async def stop() -> None:
        await holder.pop("runtime").aclose()

    @app.errorhandler(ProblemError)
    async def problem(error: ProblemError) -> Response:
        answer = problem_answer(error)
        response = Response(answer.body, status=answer.status, content_type=PROBLEM_TYPE)
        if answer.retry_after is not None:
            response.headers["Retry-After"] = str(max(1, round(answer.retry_after)))
        return response

    async def caller() -> Card:
        target = request.full_path.rstrip("?") if request.query_string else request.path
        cards = runtime().cards
        return await cards.resolving(lambda: authenticate(
            request.method, target, request.headers.get("Authorization"), cards, utc_now(),
            runtime().ingest.window))

    @app.get("/v1/documents/<sender>/<doc_id>")
    async def document(sender: str, doc_id: str) -> Response:
        card = await caller()
        if card.enterprise != sender and card.enterprise_type != "department":
            raise NotFound("no such document for this enterprise")
        found = await runtime().store.get(sender, doc_id)
        if found is None:
            raise NotFound("no such document")
        body = b'{"receipt":' + found.receipt + b',"state":' + msgspec.json.encode(
            found.status) + b"}"
        return Response(body, content_type="application/json")

    @app.get("/v1/receipts")
    async def receipts() -> Response:
        card = await caller()
        after = _int_arg("after", 0, 0, 2**63 - 1)
        limit = _int_arg("limit", 100, 1, MAX_PAGE)
        items = await runtime().store.feed(card.enterprise, after, limit)
        following = items[-1][0] if items else after
        body = b'{"items":[' + b",".join(item for _, item in items) + b'],"next":%d}' % following
        return Response(body, content_type="application/json")

    @app.get("/v1/licences/vehicle/<vin>")
    async def vehicle_certificate(vin: str) -> Response:
        licence_views.vehicle_reader(await caller())
        found = await runtime().store.entity(AUTOMOBILE_CERTIFICATE, vin)
        return Response(licence_views.vehicle_certificate(found),
                        content_type="application/json")

    @app.get("/v1/licences/<issuer>/<doc_id>")
    async def licence(issuer: str, doc_id: str) -> Response:
        card = await caller()
        found = await runtime().store.entity("licence", f"{issuer}/{doc_id}")
        entity = licence_views.readable(card, found)
        balances = await runtime().store.balances(LICENCE_LEDGER,
                                                  licence_views.licence_lines(entity))
        return Response(licence_views.licence(entity, balances), content_type="application/json")

    @app.get("/v1/schemas")
    async def schemas() -> Response:
        return Response(msgspec.json.encode(REGISTRY.schemas()), content_type="application/json")

    @app.get("/v1/schemas/<doc_type>")
    async def schema(doc_type: str) -> Response:
        found = REGISTRY.schemas().get(doc_type)
        if found is None:
            raise NotFound(f"no document type {doc_type}")
        return Response(msgspec.json.encode(found), content_type="application/json")

    @app.get("/v1/platform/cert")
    async def platform_cert() -> Response:
        return Response(runtime().platform.ca_pem, content_type=PEM)

    @app.get("/v1/certs/<serial>")
    async def certificate(serial: str) -> Response:
        pem = await runtime().platform.certificate(runtime().store, serial)
        if pem is None:
            raise NotFound("no certificate with this serial")
        return Response(pem, content_type=PEM)

    @app.get("/v1/platform/crl")
    async def crl() -> Response:
        current = runtime()
        der = await revocation_list(current.store, current.platform.ca, utc_now())
        return Response(der, content_type=CRL_DER)

    @app.get("/v1/cards/<serial>")
    async def card(serial: str) -> Response:
        found = await card_status(runtime().store, serial, utc_now())
        if found is None:
            raise NotFound("no card with this serial")
        return Response(msgspec.json.encode(found), content_type=JSON)

    @app.get("/v1/enterprises/<code>")
    async def enterprise(code: str) -> Response:
        asking = await caller()
        if asking.enterprise != code and asking.enterprise_type != "department":
            raise NotFound("no such enterprise")
        found = await enterprise_record(runtime().store, code)
        if found is None:
            raise NotFound("no such enterprise")
        return Response(msgspec.json.encode(found), content_type=JSON)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', content_type="application/json")

    @app.get("/readyz")
    async def readyz() -> Response:
        current = holder.get("runtime")
        if current is None or not await current.store.ping():
            raise Unavailable("database unreachable")
        return Response(b'{"status":"ready"}', content_type="application/json")

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(exposition(), content_type="text/plain; version=0.0.4")

    asgi: Any = app  # quart's precise ASGI types against our plain ASGI protocol
    return FastPath(asgi, runtime)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise EnvelopeInvalid(f"{name} must be an integer from {low} to {high}", path=name)
    return int(raw)
