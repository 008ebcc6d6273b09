"""Is it up yet? A code server answers gRPC's standard health check; the UI lists its loaded locations."""

import json
import urllib.error
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

# The service name Dagster's gRPC servers report their health under.
DAGSTER_GRPC_SERVICE = "DagsterApi"

WORKSPACE_QUERY = (
    "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
    "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
)


def code_server_serving(port: int, host: str = "127.0.0.1") -> bool:
    with grpc.insecure_channel(f"{host}:{port}") as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=DAGSTER_GRPC_SERVICE), timeout=2
            )
        except grpc.RpcError:
            return False
    return response.status == health_pb2.HealthCheckResponse.SERVING


def graphql(url: str, query: str, **variables) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    if "errors" in body:
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def location_entries(url: str) -> list[dict]:
    """The UI's code locations, [] while the UI does not answer."""
    try:
        return graphql(url, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    except (OSError, urllib.error.URLError):
        return []


def loaded_locations(url: str) -> set[str]:
    return {entry["name"] for entry in location_entries(url) if entry["loadStatus"] == "LOADED"}
