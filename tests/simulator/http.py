"""HTTP layer: routing, discovery, content types, authentication, Status errors, watch, counters, faults.

Request flow: parse the URL into a request-info (verb, resource type, namespace, name, subresource) ->
fault rules -> authentication -> authorization -> ApiServer call -> JSON (or Table) response ->
counter + request-log line. /simulator/* (admin only) is neither counted nor subject to faults.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import select
import socket
import ssl
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any

import yaml

from . import catalog, errors, patch as patchmod, protobuf, tables
from .apiserver import User
from .auth import ANONYMOUS

VERSION_INFO = {
    "major": "1",
    "minor": "33",
    "emulationMajor": "1",
    "emulationMinor": "33",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "32",
    "gitVersion": "v1.33.5",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.24.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}
OPENSHIFT_VERSION = {"major": "4", "minor": "20", "gitVersion": "v4.20.0", "gitCommit": "0" * 40,
                     "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24.6",
                     "compiler": "gc", "platform": "linux/amd64"}
PUBLIC_PATHS = {"/healthz", "/readyz", "/livez", "/version", "/version/", "/version/openshift",
                "/.well-known/oauth-authorization-server"}
SECRET_QUERY_KEYS = {"access_token", "code", "password", "token", "code_verifier", "client_secret"}
MAX_WATCH_SECONDS = 1800


@dataclasses.dataclass
class RequestInfo:
    verb: str = ""
    rt: Any = None                  # catalog.ResourceType or None for non-resource paths
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None

    @property
    def resource(self) -> str:
        return self.rt.plural if self.rt is not None else ""

    @property
    def group(self) -> str:
        return self.rt.group if self.rt is not None else ""


def _q(query: dict, key: str, default: str | None = None) -> str | None:
    v = query.get(key)
    return v[0] if v else default


def _truthy(v: str | None) -> bool:
    return (v or "").lower() in ("1", "true", "yes")


def resolve(method: str, path: str, query: dict) -> RequestInfo | None:
    """Request info for a resource path, None for non-resource paths; StatusError 404 for unknown ones."""
    parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/") if p != ""]
    if not parts or parts[0] not in ("api", "apis"):
        return None
    if parts[0] == "api":
        if len(parts) < 2:
            return None
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) < 3:
            return None
        group, version, rest = parts[1], parts[2], parts[3:]
    if not rest:
        return None
    watch_prefix = False
    if rest[0] == "watch":
        watch_prefix, rest = True, rest[1:]
        if not rest:
            raise errors.path_not_found()
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    plural, name, sub = rest[0], (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else None)
    if len(rest) > 3:
        raise errors.path_not_found()
    rt = catalog.lookup(group, version, plural)
    if rt is None:
        raise errors.path_not_found()
    if namespace is not None and not rt.namespaced:
        raise errors.path_not_found()
    if sub is not None and rt.subresource(sub) is None:
        raise errors.path_not_found()
    if method == "GET":
        if watch_prefix or (sub is None and _truthy(_q(query, "watch"))):
            verb = "watch"
        else:
            verb = "get" if name else "list"
    elif method == "POST":
        verb = "create"
    elif method == "PUT":
        verb = "update"
    elif method == "PATCH":
        verb = "patch"
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        raise errors.method_not_allowed()
    if verb in ("update", "patch", "delete") and not name:
        raise errors.method_not_allowed()
    if verb == "create" and name and not sub:
        raise errors.method_not_allowed()
    return RequestInfo(verb, rt, namespace, name, sub)


def discovery_groups() -> dict:
    groups = []
    for g, versions in catalog.groups().items():
        if not g:
            continue
        vs = [{"groupVersion": f"{g}/{v}", "version": v} for v in versions]
        groups.append({"name": g, "versions": vs, "preferredVersion": vs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def discovery_resources(group: str, version: str) -> dict | None:
    types = catalog.types_in(group, version)
    if not types:
        return None
    resources = []
    for rt in types:
        resources.extend(rt.discovery())
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources}


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_v3_index() -> dict:
    """/openapi/v3: one entry per group-version (kubectl uses it to learn that fieldValidation works)."""
    paths = {}
    for g, versions in catalog.groups().items():
        for v in versions:
            doc = json.dumps(openapi_v3_document(_gv_path(g, v)), sort_keys=True).encode()
            digest = hashlib.sha512(doc).hexdigest()[:32].upper()
            paths[_gv_path(g, v)] = {"serverRelativeURL": f"/openapi/v3/{_gv_path(g, v)}?hash={digest}"}
    return {"paths": paths}


def openapi_v3_document(gv_path: str) -> dict | None:
    """A minimal OpenAPI v3 document: the paths and their operations with GVK extensions and the
    query parameters, but no component schemas (kubectl explain is not supported)."""
    parts = gv_path.strip("/").split("/")
    if parts[0] == "api" and len(parts) == 2:
        group, version = "", parts[1]
    elif parts[0] == "apis" and len(parts) == 3:
        group, version = parts[1], parts[2]
    else:
        return None
    types = catalog.types_in(group, version)
    if not types:
        return None
    params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
              for n in ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")]
    paths = {}
    for rt in types:
        gvk = {"group": group, "version": version, "kind": rt.kind}
        base = f"/{gv_path}" + ("/namespaces/{namespace}" if rt.namespaced else "")
        item: dict = {}
        coll: dict = {}
        for verb, method in (("get", "get"), ("update", "put"), ("patch", "patch"), ("delete", "delete")):
            if verb in rt.verbs:
                item[method] = {"operationId": f"{verb}{rt.kind}", "parameters": params,
                                "x-kubernetes-action": verb, "x-kubernetes-group-version-kind": gvk,
                                "responses": {"200": {"description": "OK"}}}
        for verb, method in (("list", "get"), ("create", "post")):
            if verb in rt.verbs:
                coll[method] = {"operationId": f"{verb}{rt.kind}", "parameters": params,
                                "x-kubernetes-action": verb, "x-kubernetes-group-version-kind": gvk,
                                "responses": {"200": {"description": "OK"}}}
        if coll:
            paths[f"{base}/{rt.plural}"] = coll
        if item:
            paths[f"{base}/{rt.plural}/{{name}}"] = item
        for sub in rt.subresources:
            ops = {}
            for verb, method in (("get", "get"), ("update", "put"), ("patch", "patch"), ("create", "post")):
                if verb in sub.verbs:
                    ops[method] = {"operationId": f"{verb}{rt.kind}{sub.name.title()}", "parameters": params,
                                   "x-kubernetes-action": verb, "responses": {"200": {"description": "OK"}},
                                   "x-kubernetes-group-version-kind": {"group": sub.group if sub.group is not None
                                                                       else group,
                                                                       "version": sub.version or version,
                                                                       "kind": sub.kind}}
            paths[f"{base}/{rt.plural}/{{name}}/{sub.name}"] = ops
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.33.5"}, "paths": paths,
            "components": {"schemas": {}}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ocp-registry-simulator"
    sys_version = ""
    timeout = 300           # idle keep-alive connections are dropped after this many seconds

    # --- plumbing -----------------------------------------------------------------------------
    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()
        self.server.track(self.request, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.request, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass   # the simulator keeps its own request log

    @property
    def sim(self):
        return self.server.sim

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_OPTIONS(self) -> None:
        self._handle("OPTIONS")

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def send_response(self, code: int, message: str | None = None) -> None:
        # Count the request before the client can see the answer: a test that reads the counters right
        # after its request returns must find it there (counting after the answer was a race).
        self._count(code)
        super().send_response(code, message)

    def _count(self, code: int) -> None:
        pending, self._pending_count = getattr(self, "_pending_count", None), None
        if pending is None:
            return
        method, query, info = pending[0], pending[1], self._info
        self.sim.counters.record(
            info.verb if info else ("get" if method == "GET" else method.lower()),
            info.resource if info else "", info.subresource if info else None,
            info.namespace if info else None, code, _q(query, "dryRun") == "All",
            group=info.group if info else "")

    def _send(self, code: int, body: bytes, content_type: str = "application/json",
              headers: dict | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache, private")
        for w in self.sim.api.take_warnings():
            self.send_header("Warning", '299 - "%s"' % w.replace("\\", "\\\\").replace('"', '\\"'))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, code: int, obj: Any, headers: dict | None = None) -> None:
        self._send(code, json.dumps(obj, separators=(",", ":")).encode(), headers=headers)

    def _send_status(self, err: errors.StatusError) -> None:
        self._send_json(err.code, err.to_status(), headers=err.headers)

    def _logged_path(self, path: str, query: dict) -> str:
        if not query:
            return path
        safe = [(k, "REDACTED" if k.lower() in SECRET_QUERY_KEYS else v) for k, vs in query.items() for v in vs]
        return path + "?" + urllib.parse.urlencode(safe)

    # --- main dispatcher ----------------------------------------------------------------------
    def _handle(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        path = url.path or "/"
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        body = self._read_body()
        user: User = ANONYMOUS
        info: RequestInfo | None = None
        code = 500
        self._pending_count = None
        self._info = None
        try:
            if path.startswith("/simulator/") or path == "/simulator":
                user = self._authenticate()
                code = self._admin(method, path, body, user)
                return
            if path.startswith("/oauth/") or path == "/.well-known/oauth-authorization-server":
                code = self._oauth(method, path, query, body)
                return
            self._pending_count = (method, query)   # counted by send_response, or below when never answered
            resolve_error = None
            try:
                info = self._info = resolve(method, path, query)
            except errors.StatusError as e:      # reported after faults and authentication, like the server
                resolve_error = e
            if self._faults(method, path, query, info, body) == "reset":
                code = 0
                self._reset_connection()
                return
            user = self._authenticate()
            if user is ANONYMOUS and path not in PUBLIC_PATHS:
                raise errors.unauthorized()
            if resolve_error is not None:
                raise resolve_error
            if info is None:
                code = self._nonresource(method, path)
                return
            self.sim.auth.authorize(user, info.verb, info.rt, info.namespace, info.name, info.subresource)
            code = self._resource(method, info, query, body, user)
        except errors.StatusError as e:
            code = e.code
            self._send_status(e)
        except (ConnectionError, ssl.SSLError, socket.timeout):
            code = 0
            self.close_connection = True
        except Exception as e:  # an internal bug: answer 500 like kube-apiserver would
            self.sim.log_exception(e)
            code = 500
            try:
                self._send_status(errors.internal_error(repr(e)))
            except OSError:
                self.close_connection = True
        finally:
            self._count(code)  # a request that got no answer (connection reset, client gone)
            self.sim.log_request(method, self._logged_path(path, query), code, user.name)

    def _authenticate(self) -> User:
        peer = None
        if isinstance(self.request, ssl.SSLSocket):
            try:
                peer = self.request.getpeercert() or None
            except ValueError:
                peer = None
        user = self.sim.auth.authenticate(self.headers, peer)
        if user is None:
            raise errors.unauthorized()
        return user

    def _reset_connection(self) -> None:
        self.close_connection = True
        try:
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- faults -------------------------------------------------------------------------------
    def _faults(self, method: str, path: str, query: dict, info: RequestInfo | None, body: bytes) -> str | None:
        from .faults import combine
        fired = self.sim.faults.match(method, path)
        if not fired:
            return None
        action = combine(fired)
        if action["latency"]:
            time.sleep(action["latency"])
        if action["reset"]:
            return "reset"
        if action["bump"] and info is not None:
            self._bump(info, body)
        if action["status"]:
            raise errors.from_code(action["status"], action["retry_after"])
        return None

    def _bump(self, info: RequestInfo, body: bytes) -> None:
        """A concurrent writer touches the target first, so its resourceVersion moves on."""
        rt, name = info.rt, info.name
        if not name and info.verb == "create":
            try:
                name = ((json.loads(body or b"{}") or {}).get("metadata") or {}).get("name")
            except ValueError:
                name = None
        if rt.plural in ("imagestreamtags", "imagetags") and name:
            rt, name = catalog.get("image.openshift.io", "imagestreams"), name.split(":")[0]
        if not name or rt.virtual:
            return
        self.sim.bump(rt, info.namespace, name)

    # --- non-resource endpoints ---------------------------------------------------------------
    def _nonresource(self, method: str, path: str) -> int:
        if method not in ("GET", "HEAD"):
            raise errors.method_not_allowed()
        p = path.rstrip("/") or "/"
        if p in ("/healthz", "/readyz", "/livez"):
            self._send(200, b"ok", "text/plain; charset=utf-8")
            return 200
        if p == "/version":
            self._send_json(200, VERSION_INFO)
            return 200
        if p == "/version/openshift":
            self._send_json(200, OPENSHIFT_VERSION)
            return 200
        if p == "/openapi/v3":
            self._send_json(200, openapi_v3_index())
            return 200
        if p.startswith("/openapi/v3/"):
            doc = openapi_v3_document(p[len("/openapi/v3/"):])
            if doc is None:
                raise errors.path_not_found()
            self._send_json(200, doc)
            return 200
        if p == "/api":
            self._send_json(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.server.server_address[1]}"}]})
            return 200
        if p == "/apis":
            self._send_json(200, discovery_groups())
            return 200
        parts = p.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            d = discovery_resources("", parts[1])
        elif parts[0] == "apis" and len(parts) == 2:
            g = next((x for x in discovery_groups()["groups"] if x["name"] == parts[1]), None)
            if g is None:
                raise errors.path_not_found()
            self._send_json(200, dict({"kind": "APIGroup", "apiVersion": "v1"}, **g))
            return 200
        elif parts[0] == "apis" and len(parts) == 3:
            d = discovery_resources(parts[1], parts[2])
        else:
            raise errors.path_not_found()
        if d is None:
            raise errors.path_not_found()
        self._send_json(200, d)
        return 200

    # --- OAuth --------------------------------------------------------------------------------
    def _base_url(self) -> str:
        return self.sim.url

    def _oauth(self, method: str, path: str, query: dict, body: bytes) -> int:
        auth = self.sim.auth
        if path == "/.well-known/oauth-authorization-server" and method == "GET":
            self._send_json(200, auth.oauth_metadata(self._base_url()))
            return 200
        if path == "/oauth/authorize" and method in ("GET", "POST"):
            code, headers, payload = auth.authorize_endpoint(self._base_url(), query,
                                                             self.headers.get("Authorization"))
            ctype = headers.pop("Content-Type", "text/plain")
            self._send(code, payload, ctype, headers)
            return code
        if path == "/oauth/token" and method == "POST":
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            code, payload = auth.token_endpoint(form)
            self._send_json(code, payload)
            return code
        if path == "/oauth/token/implicit" and method == "GET":
            self._send(200, b"<html><body>You have been logged in.</body></html>", "text/html")
            return 200
        raise errors.path_not_found()

    # --- admin endpoint -----------------------------------------------------------------------
    def _admin(self, method: str, path: str, body: bytes, user: User) -> int:
        if user is ANONYMOUS:
            raise errors.unauthorized()
        if not user.is_admin:
            raise errors.forbidden_message(f'User "{user.name}" cannot use the simulator admin endpoint')
        sim = self.sim
        data = {}
        if body:
            try:
                data = json.loads(body)
            except ValueError:
                raise errors.bad_request("the request body must be JSON") from None
        p = path.rstrip("/")
        if p == "/simulator/counters" and method == "GET":
            self._send_json(200, sim.counters.snapshot())
        elif p == "/simulator/reset" and method == "POST":
            sim.counters.reset()
            if isinstance(data, dict) and data.get("faults"):
                sim.faults.clear()
            self._send_json(200, {"reset": True})
        elif p == "/simulator/faults" and method == "POST":
            if not isinstance(data, dict):
                raise errors.bad_request("a fault rule must be a JSON object")
            self._send_json(201, sim.faults.add(data))
            return 201
        elif p == "/simulator/faults" and method == "DELETE":
            sim.faults.clear()
            self._send_json(200, {"faults": []})
        elif p == "/simulator/faults" and method == "GET":
            self._send_json(200, {"faults": sim.faults.list()})
        elif p == "/simulator/log" and method == "GET":
            self._send(200, sim.read_log().encode(), "text/plain; charset=utf-8")
        elif p == "/simulator/idle" and method in ("GET", "POST"):
            timeout = float(data.get("timeout", 30)) if isinstance(data, dict) else 30.0
            self._send_json(200, {"idle": sim.wait_idle(timeout)})
        else:
            raise errors.path_not_found()
        return 200

    # --- resources ----------------------------------------------------------------------------
    def _parse_body(self, body: bytes, ctype: str) -> Any:
        base = ctype.split(";")[0].strip().lower()
        if base == "application/vnd.kubernetes.protobuf":
            try:
                return protobuf.decode(body)
            except protobuf.Unsupported:
                raise errors.unsupported_media_type(base, ("application/json", "application/yaml")) from None
        if "protobuf" in base or "cbor" in base:
            raise errors.unsupported_media_type(base, ("application/json", "application/yaml"))
        if not body:
            raise errors.bad_request("the request body is empty")
        try:
            if base in ("application/yaml", "application/apply-patch+yaml", "text/yaml"):
                return yaml.safe_load(body)
            return json.loads(body)
        except (ValueError, yaml.YAMLError) as e:
            raise errors.bad_request(f"error decoding the request body: {e}") from None

    def _accepts_table(self) -> bool:
        accept = self.headers.get("Accept") or ""
        first = accept.split(",")[0]
        return "as=Table" in first

    def _resource(self, method: str, info: RequestInfo, query: dict, body: bytes, user: User) -> int:
        api = self.sim.api
        api.begin_request()
        rt, ns, name, sub = info.rt, info.namespace, info.name, info.subresource
        dry_run = _q(query, "dryRun") == "All"
        if _q(query, "dryRun") not in (None, "", "All"):
            raise errors.bad_request(f'dryRun: Unsupported value: "{_q(query, "dryRun")}": supported values: "All"')
        ctype = self.headers.get("Content-Type") or "application/json"
        if info.verb == "watch":
            return self._watch(info, query, user)
        if info.verb in ("get", "list"):
            if info.verb == "get":
                obj = api.get(rt, ns, name, user=user, subresource=sub)
            else:
                try:
                    limit = int(_q(query, "limit") or 0) or None
                except ValueError:
                    raise errors.bad_request(f"invalid limit {_q(query, 'limit')!r}") from None
                obj = api.list(rt, ns, label_selector=_q(query, "labelSelector"),
                               field_selector=_q(query, "fieldSelector"), user=user, limit=limit,
                               continue_token=_q(query, "continue") or None)
            if self._accepts_table() and sub is None:
                obj = tables.to_table(rt, obj, _q(query, "includeObject", "Metadata"), self.sim.config.crd_dir)
            self._send_json(200, obj)
            return 200
        if info.verb == "create":
            data = self._parse_body(body, ctype)
            if sub:
                result = api.create_subresource(rt, ns, name, sub, data, dry_run=dry_run, user=user)
            else:
                result = api.create(rt, ns, data, dry_run=dry_run, user=user,
                                    field_validation=_q(query, "fieldValidation"))
            self._send_json(201, result)
            return 201
        if info.verb == "update":
            data = self._parse_body(body, ctype)
            created = rt.create_on_update and sub is None and api.get_or_none(rt, ns, name) is None
            result = api.update(rt, ns, name, data, subresource=sub, dry_run=dry_run, user=user,
                                field_validation=_q(query, "fieldValidation"))
            code = 201 if created else 200
            self._send_json(code, result)
            return code
        if info.verb == "patch":
            ptype = patchmod.patch_type_for(ctype)
            if ptype is None:
                raise errors.unsupported_media_type(ctype.split(";")[0])
            if ptype == "strategic" and not rt.strategic:
                raise errors.unsupported_media_type(ctype.split(";")[0])
            data = self._parse_body(body, ctype)
            existed = ptype != "apply" or api.get_or_none(rt, ns, name) is not None if not rt.virtual else True
            result = api.patch(rt, ns, name, ptype, data, subresource=sub, dry_run=dry_run,
                               field_manager=_q(query, "fieldManager"), force=_truthy(_q(query, "force")),
                               user=user, field_validation=_q(query, "fieldValidation"))
            code = 200 if existed else 201
            self._send_json(code, result)
            return code
        if info.verb == "delete":
            try:
                opts = self._parse_body(body, ctype) if body else {}
            except errors.StatusError:
                opts = {}          # e.g. protobuf DeleteOptions: delete without options
            opts = opts if isinstance(opts, dict) else {}
            dry_run = dry_run or "All" in (opts.get("dryRun") or [])
            result = api.delete(rt, ns, name, dry_run=dry_run, user=user, preconditions=opts.get("preconditions"))
            self._send_json(200, result)
            return 200
        if info.verb == "deletecollection":
            if "deletecollection" not in rt.verbs:
                raise errors.method_not_allowed()
            items = api.list(rt, ns, label_selector=_q(query, "labelSelector"),
                             field_selector=_q(query, "fieldSelector"), user=user)["items"]
            deleted = []
            for it in items:
                md = it["metadata"]
                try:
                    api.delete(rt, md.get("namespace"), md["name"], dry_run=dry_run, user=user)
                    deleted.append(it)
                except errors.StatusError as e:
                    if e.code != 404:
                        raise
            self._send_json(200, {"kind": rt.list_kind, "apiVersion": rt.api_version,
                                  "metadata": {"resourceVersion": str(api.store.resource_version)},
                                  "items": deleted})
            return 200
        raise errors.method_not_allowed()

    def _peer_closed(self) -> bool:
        """A watch client sends nothing, so a readable socket means it closed (or reset) the connection."""
        try:
            readable, _writable, _errored = select.select([self.request], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def _watch(self, info: RequestInfo, query: dict, user: User) -> int:
        timeout = _q(query, "timeoutSeconds")
        try:
            limit = min(float(timeout), MAX_WATCH_SECONDS) if timeout else MAX_WATCH_SECONDS
        except ValueError:
            raise errors.bad_request(f"invalid timeoutSeconds {timeout!r}") from None
        fsel = _q(query, "fieldSelector")
        name = info.name
        if name:
            fsel = f"metadata.name={name}" + (f",{fsel}" if fsel else "")
        w = self.sim.api.watch(info.rt, info.namespace, label_selector=_q(query, "labelSelector"),
                               field_selector=fsel, resource_version=_q(query, "resourceVersion"), user=user,
                               send_initial_events=_truthy(_q(query, "sendInitialEvents")))
        self.sim.track_watch(w, True)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-cache, private")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            deadline = time.monotonic() + limit
            while not self.sim.stopping and not w.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                ev = w.next(min(left, 0.5))
                if ev is None:
                    if self._peer_closed():
                        break
                    continue
                line = json.dumps({"type": ev[0], "object": ev[1]}, separators=(",", ":")).encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
                if ev[0] == "ERROR":
                    break
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        finally:
            w.close()
            self.sim.track_watch(w, False)
        return 200
