"""Docker Registry HTTP API v2 client used by the simulator's image imports (stdlib only).

What it models from openshift-apiserver's importer (see /work/shared/docs/image-api.md section 3):
ping ``/v2/``, Basic and Bearer-token challenges, ``tags/list`` with ``Link`` pagination, manifests fetched
with the OCI + Docker Accept header, config blobs (for ``dockerImageMetadata``), layer sizes, manifest lists
(``Legacy`` picks one sub-manifest, ``PreserveOriginal`` keeps the list and all children), TLS verification
with extra CAs plus the system store, ``insecure`` allowing unverified TLS or plain HTTP, and failures mapped to
the Status objects the real server puts into ``ImageStreamImport.status.images[].status``.

Entry points::

    ref = parse_reference("127.0.0.1:5000/demo/app:latest")   # DockerImageReference
    imp = Importer(ca_pems=[...], credentials=[(host, user, password), ...], prefer=("amd64", "linux"))
    result = imp.import_image(ref, insecure=False, import_mode="Legacy")   # ImportResult or raises ImportFailure
    tags = imp.list_tags(ref, insecure=False)
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import socket
import ssl
import urllib.parse
from dataclasses import dataclass, field

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"

MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
LIST_TYPES = (MT_OCI_INDEX, MT_DOCKER_LIST)
ACCEPT = ", ".join([MT_OCI_INDEX, MT_OCI_MANIFEST, MT_DOCKER_LIST, MT_DOCKER_V2])

_NAME_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REF_RE = re.compile(
    rf"^(?P<name>(?:{_DOMAIN}/)?{_NAME_COMPONENT}(?:/{_NAME_COMPONENT})*)(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$")


class ReferenceError_(ValueError):
    pass


@dataclass
class DockerImageReference:
    registry: str          # "" when the reference named no registry (Docker Hub implied)
    namespace: str
    name: str
    tag: str = ""
    id: str = ""           # digest
    original: str = ""

    @property
    def repository_path(self) -> str:
        """Path of the repository on the registry (library/ added for single-component Hub names)."""
        if self.namespace:
            return f"{self.namespace}/{self.name}"
        if self.registry_host in (DOCKER_HUB, DOCKER_HUB_API):
            return f"library/{self.name}"
        return self.name

    @property
    def registry_host(self) -> str:
        return self.registry or DOCKER_HUB

    @property
    def api_host(self) -> str:
        return DOCKER_HUB_API if self.registry_host in (DOCKER_HUB, "index.docker.io") else self.registry_host

    @property
    def repository(self) -> str:
        """The repository as written (no tag or digest): `registry/ns/name` or `ns/name`."""
        parts = [p for p in (self.registry, self.namespace, self.name) if p]
        return "/".join(parts)

    def exact(self) -> str:
        s = self.repository
        if self.tag:
            s += ":" + self.tag
        if self.id:
            s += "@" + self.id
        return s

    def with_digest(self, digest: str) -> str:
        return f"{self.repository}@{digest}"


def parse_reference(spec: str) -> DockerImageReference:
    """Parse a pull spec like library-go's reference.Parse (registry detection: '.', ':' or localhost)."""
    if not spec or not isinstance(spec, str):
        raise ReferenceError_("the image reference must not be empty")
    m = _REF_RE.match(spec)
    if not m:
        raise ReferenceError_(f"invalid reference format: {spec!r}")
    name = m.group("name")
    if len(name) > 255:
        raise ReferenceError_("repository name must not be more than 255 characters")
    parts = name.split("/")
    registry = ""
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts.pop(0)
    for p in parts:
        if not re.fullmatch(_NAME_COMPONENT, p):
            raise ReferenceError_(f"invalid reference format: repository name must be lowercase: {spec!r}")
    namespace = "/".join(parts[:-1])
    return DockerImageReference(registry=registry, namespace=namespace, name=parts[-1], tag=m.group("tag") or "",
                                id=m.group("digest") or "", original=spec)


# --------------------------------------------------------------------------------------------------------
# failures, shaped like the Status the real importer reports
class ImportFailure(Exception):
    """A failed import of one reference; .status() is the metav1.Status for status.images[].status."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict:
        st = {"metadata": {}, "status": "Failure", "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            st["details"] = self.details
        return st

    def __repr__(self):  # pragma: no cover
        return f"ImportFailure({self.code}, {self.reason!r}, {self.message!r})"


def not_found(ref: DockerImageReference) -> ImportFailure:
    name = ref.exact()
    return ImportFailure(404, "NotFound", f'dockerimage.image.openshift.io "{name}" not found',
                         {"name": name, "group": "image.openshift.io", "kind": "dockerimage"})


def unauthorized(ref: DockerImageReference, had_credentials: bool) -> ImportFailure:
    msg = f'you may not have access to the container image "{ref.exact()}"'
    if not had_credentials:
        msg += " and did not have credentials to the repository"
    return ImportFailure(401, "Unauthorized", msg)


def internal(message: str) -> ImportFailure:
    return ImportFailure(500, "InternalError", f"Internal error occurred: {message}",
                         {"causes": [{"message": message}]})


def insecure_required(host: str, detail: str) -> ImportFailure:
    return ImportFailure(400, "BadRequest", f'the registry "{host}" requires the insecure flag to be imported: '
                                            f"{detail}")


class _Unauthorized(Exception):
    pass


class _NotFound(Exception):
    pass


# --------------------------------------------------------------------------------------------------------
def _x509_message(exc: ssl.SSLCertVerificationError) -> str:
    verify = (getattr(exc, "verify_message", "") or str(exc)).lower()
    if "hostname mismatch" in verify or "ip address mismatch" in verify:
        return "x509: certificate is valid for other names, not for the requested host"
    if "expired" in verify:
        return "x509: certificate has expired or is not yet valid"
    return "x509: certificate signed by unknown authority"


def _speaks_http(exc: ssl.SSLError) -> bool:
    text = str(exc).upper()
    return "WRONG_VERSION_NUMBER" in text or "RECORD_LAYER_FAILURE" in text or "HTTP_REQUEST" in text \
        or "PACKET_LENGTH_TOO_LONG" in text


@dataclass
class _Response:
    status: int
    headers: dict
    body: bytes


class RegistryClient:
    """One registry host. Holds one keep-alive connection; not thread-safe (one import at a time)."""

    def __init__(self, host: str, *, insecure: bool = False, ca_pems: list[str] | None = None,
                 credentials: list[tuple[str, str]] | None = None, timeout: float = 15.0):
        self.host = host
        self.insecure = insecure
        self.ca_pems = [p for p in (ca_pems or []) if p]
        self.credentials = list(credentials or [])
        self.timeout = timeout
        self.scheme: str | None = None
        self._conn = None
        self._auth_header: str | None = None   # what to send (Basic or Bearer); Bearer is per-scope
        self._challenge: dict | None = None
        self._tokens: dict[str, str] = {}
        self._cred_index = 0

    # ---------------------------------------------------------------------------------- connection --
    def _context(self, verify: bool) -> ssl.SSLContext:
        if not verify:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        ctx = ssl.create_default_context()
        for pem in self.ca_pems:
            try:
                ctx.load_verify_locations(cadata=pem)
            except ssl.SSLError:
                pass   # a bad bundle entry is ignored like the real cert pool ignores unparsable PEM
        return ctx

    def _new_conn(self, scheme: str, host: str | None = None):
        host = host or self.host
        h, _sep, p = host.rpartition(":") if re.search(r":\d+$", host) else (host, "", "")
        if scheme == "https":
            return http.client.HTTPSConnection(h, int(p) if p else 443, timeout=self.timeout,
                                               context=self._context(not self.insecure))
        return http.client.HTTPConnection(h, int(p) if p else 80, timeout=self.timeout)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _raw(self, method: str, url_or_path: str, headers: dict | None = None, reuse=True) -> _Response:
        if url_or_path.startswith(("http://", "https://")):
            u = urllib.parse.urlsplit(url_or_path)
            conn = self._new_conn(u.scheme, u.netloc)
            path = u.path + (("?" + u.query) if u.query else "")
            try:
                conn.request(method, path or "/", headers=headers or {})
                resp = conn.getresponse()
                return _Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
            finally:
                conn.close()
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = self._new_conn(self.scheme)
            try:
                self._conn.request(method, url_or_path, headers=headers or {})
                resp = self._conn.getresponse()
                body = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return _Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    http.client.CannotSendRequest):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _url(self, path):
        return f"{self.scheme}://{self.host}{path}"

    def ping(self) -> None:
        """Find the scheme (https, or http when insecure) and the auth challenge of /v2/."""
        if self.scheme is not None:
            return
        schemes = ["https", "http"] if self.insecure else ["https"]
        last: Exception | None = None
        for scheme in schemes:
            self.scheme = scheme
            self.close()
            try:
                resp = self._raw("GET", "/v2/")
            except ssl.SSLCertVerificationError as exc:
                self.scheme = None
                raise internal(f'Get "https://{self.host}/v2/": {_x509_message(exc)}') from None
            except ssl.SSLError as exc:
                last = exc
                if scheme == "https" and not self.insecure and _speaks_http(exc):
                    self.scheme = None
                    raise insecure_required(self.host, f'Get "https://{self.host}/v2/": http: server gave HTTP '
                                                       "response to HTTPS client") from None
                continue
            except (ConnectionRefusedError, socket.timeout, TimeoutError, OSError, http.client.HTTPException) as exc:
                last = exc
                continue
            if resp.status == 401:
                self._challenge = _parse_challenge(resp.headers.get("www-authenticate", ""))
                return
            if resp.status == 200:
                return
            if resp.status == 404:
                self.scheme = None
                raise internal(f'the registry "{self.host}" does not support v2 API')
            # other codes: registries sometimes answer 403 or 5xx on /v2/; proceed and let calls decide
            return
        self.scheme = None
        raise internal(f'Get "{schemes[0]}://{self.host}/v2/": {_describe_os_error(last, self.host)}')

    # ---------------------------------------------------------------------------------------- auth --
    def _current_credentials(self):
        if self._cred_index < len(self.credentials):
            return self.credentials[self._cred_index]
        return None

    def _authorize(self, repo: str) -> dict:
        ch = self._challenge
        if not ch:
            return {}
        creds = self._current_credentials()
        if ch["scheme"] == "basic":
            if creds is None:
                return {}
            return {"Authorization": "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()}
        if ch["scheme"] == "bearer":
            scope = f"repository:{repo}:pull"
            key = f"{self._cred_index}|{scope}"
            if key not in self._tokens:
                self._tokens[key] = self._fetch_token(ch, scope, creds)
            return {"Authorization": "Bearer " + self._tokens[key]}
        return {}

    def _fetch_token(self, ch: dict, scope: str, creds) -> str:
        realm = ch["params"].get("realm")
        if not realm:
            raise internal(f"the registry {self.host} sent a bearer challenge without a realm")
        q = {"scope": scope}
        if ch["params"].get("service"):
            q["service"] = ch["params"]["service"]
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(q)
        headers = {}
        if creds is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
        try:
            resp = self._raw("GET", url, headers)
        except ssl.SSLCertVerificationError as exc:
            raise internal(f'Get "{realm}": {_x509_message(exc)}') from None
        except OSError as exc:
            raise internal(f'Get "{realm}": {_describe_os_error(exc)}') from None
        if resp.status in (401, 403):
            raise _Unauthorized()
        if resp.status != 200:
            raise internal(f"token request to {realm} failed with status {resp.status}")
        try:
            doc = json.loads(resp.body)
        except ValueError:
            raise internal(f"token response from {realm} is not JSON") from None
        token = doc.get("token") or doc.get("access_token")
        if not token:
            raise internal(f"token response from {realm} carries no token")
        return token

    def _get(self, method: str, repo: str, path: str, headers: dict | None = None, follow=True) -> _Response:
        """Authenticated request; on 401 moves to the next credential, then anonymous; raises _Unauthorized."""
        self.ping()
        while True:
            h = dict(headers or {})
            try:
                h.update(self._authorize(repo))
            except _Unauthorized:
                resp = None
            else:
                try:
                    resp = self._raw(method, path, h)
                except ssl.SSLCertVerificationError as exc:
                    raise internal(f'Get "{self._url(path)}": {_x509_message(exc)}') from None
                except (OSError, http.client.HTTPException) as exc:
                    raise internal(f'Get "{self._url(path)}": {_describe_os_error(exc)}') from None
                if resp.status == 401 and not self._challenge:
                    self._challenge = _parse_challenge(resp.headers.get("www-authenticate", ""))
                    if self._challenge:
                        continue
            if resp is not None and resp.status != 401:
                if follow and resp.status in (301, 302, 303, 307, 308) and resp.headers.get("location"):
                    loc = urllib.parse.urljoin(self._url(path), resp.headers["location"])
                    try:
                        return self._raw(method, loc, dict(headers or {}))
                    except ssl.SSLCertVerificationError as exc:
                        raise internal(f'Get "{loc}": {_x509_message(exc)}') from None
                    except (OSError, http.client.HTTPException) as exc:
                        raise internal(f'Get "{loc}": {_describe_os_error(exc)}') from None
                return resp
            # 401: next credential, then anonymous (the real importer retries anonymously as well)
            if self._cred_index < len(self.credentials):
                self._cred_index += 1
                continue
            raise _Unauthorized()

    # ----------------------------------------------------------------------------------------- API --
    def tags(self, repo: str, page_size: int = 0) -> list[str]:
        path = f"/v2/{repo}/tags/list" + (f"?n={page_size}" if page_size else "")
        out: list[str] = []
        seen = set()
        while path and path not in seen:
            seen.add(path)
            resp = self._get("GET", repo, path)
            if resp.status == 404:
                raise _NotFound()
            if resp.status != 200:
                raise internal(f"listing tags of {self.host}/{repo}: unexpected status {resp.status}")
            doc = json.loads(resp.body or b"{}")
            out.extend(doc.get("tags") or [])
            path = _next_link(resp.headers.get("link", ""))
        return out

    def manifest(self, repo: str, ref: str) -> tuple[str, bytes, str]:
        """(media type, raw body, digest). Raises _NotFound / _Unauthorized / ImportFailure."""
        resp = self._get("GET", repo, f"/v2/{repo}/manifests/{ref}", {"Accept": ACCEPT})
        if resp.status == 404:
            raise _NotFound()
        if resp.status != 200:
            raise internal(f"fetching manifest {ref} of {self.host}/{repo}: unexpected status {resp.status}: "
                           f"{_error_text(resp.body)}")
        digest = "sha256:" + hashlib.sha256(resp.body).hexdigest()
        if ref.startswith("sha256:") and ref != digest:
            raise internal(f"manifest digest {digest} does not match the requested {ref}")
        mtype = (resp.headers.get("content-type") or "").split(";")[0].strip()
        try:
            doc = json.loads(resp.body)
        except ValueError:
            raise internal(f"manifest {ref} of {self.host}/{repo} is not JSON") from None
        if doc.get("mediaType"):
            mtype = doc["mediaType"]
        elif mtype in ("", "application/json", "text/plain"):
            mtype = MT_OCI_INDEX if "manifests" in doc else MT_OCI_MANIFEST
        return mtype, resp.body, digest

    def blob(self, repo: str, digest: str) -> bytes:
        resp = self._get("GET", repo, f"/v2/{repo}/blobs/{digest}")
        if resp.status == 404:
            raise _NotFound()
        if resp.status != 200:
            raise internal(f"fetching blob {digest} of {self.host}/{repo}: unexpected status {resp.status}")
        return resp.body


def _error_text(body: bytes) -> str:
    try:
        errs = json.loads(body).get("errors") or []
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errs) or body[:200].decode("utf-8", "replace")
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace")


def _describe_os_error(exc, host: str = "") -> str:
    where = f"dial tcp {host}" if host else "dial tcp"
    if isinstance(exc, ConnectionRefusedError):
        return f"{where}: connect: connection refused"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"{where}: i/o timeout"
    if isinstance(exc, socket.gaierror):
        return f"dial tcp: lookup {host.rsplit(':', 1)[0] if host else ''}: no such host".replace("lookup :", "lookup:")
    if isinstance(exc, ssl.SSLError):
        return f"tls: {exc.reason or exc}"
    return str(exc) or exc.__class__.__name__


def _parse_challenge(header: str) -> dict | None:
    if not header:
        return None
    scheme, _sep, rest = header.strip().partition(" ")
    params = dict((k.lower(), v) for k, v in re.findall(r'(\w+)="([^"]*)"', rest))
    return {"scheme": scheme.lower(), "params": params}


def _next_link(header: str) -> str | None:
    m = re.search(r"<([^>]+)>\s*;\s*rel=\"?next\"?", header or "")
    if not m:
        return None
    u = urllib.parse.urlsplit(m.group(1))
    return u.path + (("?" + u.query) if u.query else "")


# --------------------------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    """A resolved reference: the Image to store (+ child Images for PreserveOriginal)."""
    image: dict
    manifests: list[dict] = field(default_factory=list)   # sub-manifest Images (PreserveOriginal)
    tag: str = ""


def credential_host_matches(key: str, host: str) -> bool:
    """Whether a docker config `auths` key (URL, host, host/path) applies to a registry host."""
    k = key.strip()
    if "://" in k:
        k = urllib.parse.urlsplit(k).netloc or k.split("://", 1)[1]
    k = k.split("/", 1)[0].lower()
    h = host.lower()
    hub = {"docker.io", "index.docker.io", "registry-1.docker.io"}
    if k in hub and h in hub:
        return True
    if k == h:
        return True
    # default ports
    for default in (":443",):
        if k.endswith(default) and k[: -len(default)] == h:
            return True
        if h.endswith(default) and h[: -len(default)] == k:
            return True
    return False


class Importer:
    """Resolves references to Image objects, caching identical requests within one import call."""

    def __init__(self, *, ca_pems: list[str] | None = None, credentials: list[tuple[str, str, str]] | None = None,
                 prefer_arch: str = "amd64", prefer_os: str = "linux", timeout: float = 15.0):
        self.ca_pems = list(ca_pems or [])
        self.credentials = list(credentials or [])   # (auth key, user, password)
        self.prefer_arch = prefer_arch
        self.prefer_os = prefer_os
        self.timeout = timeout
        self._clients: dict[tuple[str, bool], RegistryClient] = {}
        self._cache: dict[tuple, ImportResult | ImportFailure] = {}

    def close(self):
        for c in self._clients.values():
            c.close()
        self._clients.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def client(self, ref: DockerImageReference, insecure: bool) -> RegistryClient:
        key = (ref.api_host, bool(insecure))
        if key not in self._clients:
            creds = [(u, p) for k, u, p in self.credentials if credential_host_matches(k, ref.registry_host)
                     or credential_host_matches(k, ref.api_host)]
            self._clients[key] = RegistryClient(ref.api_host, insecure=insecure, ca_pems=self.ca_pems,
                                                credentials=creds, timeout=self.timeout)
        return self._clients[key]

    def list_tags(self, ref: DockerImageReference, insecure: bool = False) -> list[str]:
        client = self.client(ref, insecure)
        try:
            return prioritize_tags(client.tags(ref.repository_path))
        except _NotFound:
            raise not_found(ref) from None
        except _Unauthorized:
            raise unauthorized(ref, bool(client.credentials)) from None

    def import_image(self, ref: DockerImageReference, *, insecure: bool = False, import_mode: str = "Legacy",
                     prefer_arch: str | None = None, prefer_os: str | None = None) -> ImportResult:
        key = (ref.api_host, ref.repository_path, ref.id or ref.tag or "latest", bool(insecure), import_mode,
               prefer_arch, prefer_os)
        if key not in self._cache:
            try:
                self._cache[key] = self._import(ref, insecure, import_mode, prefer_arch, prefer_os)
            except ImportFailure as exc:
                self._cache[key] = exc
        res = self._cache[key]
        if isinstance(res, ImportFailure):
            raise res
        return res

    def _import(self, ref, insecure, import_mode, prefer_arch, prefer_os) -> ImportResult:
        client = self.client(ref, insecure)
        repo = ref.repository_path
        wanted = ref.id or ref.tag or "latest"
        try:
            mtype, raw, digest = client.manifest(repo, wanted)
            if mtype in LIST_TYPES:
                doc = json.loads(raw)
                if import_mode == "PreserveOriginal":
                    children = []
                    for entry in doc.get("manifests") or []:
                        cm, craw, cdig = client.manifest(repo, entry["digest"])
                        if cm in LIST_TYPES:
                            continue
                        children.append(self._image(client, ref, repo, cm, craw, cdig))
                    top = _list_image(ref, mtype, raw, digest, doc)
                    return ImportResult(top, children, ref.tag)
                entry = _choose(doc.get("manifests") or [], prefer_arch, prefer_os, self.prefer_arch, self.prefer_os)
                if entry is None:
                    raise internal(f"the manifest list {ref.exact()} has no manifests")
                mtype, raw, digest = client.manifest(repo, entry["digest"])
            if mtype == MT_DOCKER_V1_SIGNED or mtype.startswith("application/vnd.docker.distribution.manifest.v1"):
                raise internal(f"schema 1 manifests are not supported by this simulator ({ref.exact()})")
            return ImportResult(self._image(client, ref, repo, mtype, raw, digest), [], ref.tag)
        except _NotFound:
            raise not_found(ref) from None
        except _Unauthorized:
            raise unauthorized(ref, bool(client.credentials)) from None

    def _image(self, client, ref, repo, mtype, raw, digest) -> dict:
        doc = json.loads(raw)
        layers = [{"name": l["digest"], "size": int(l.get("size") or 0),
                   "mediaType": l.get("mediaType") or ""} for l in doc.get("layers") or []]
        cfg_desc = doc.get("config") or {}
        config_raw = b""
        config = {}
        if cfg_desc.get("digest"):
            config_raw = client.blob(repo, cfg_desc["digest"])
            try:
                config = json.loads(config_raw)
            except ValueError:
                config = {}
        size = sum(l["size"] for l in layers) + int(cfg_desc.get("size") or len(config_raw))
        meta = {
            "kind": "DockerImage",
            "apiVersion": "image.openshift.io/1.0",
            "Id": cfg_desc.get("digest", ""),
            "Created": config.get("created"),
            "Container": config.get("container", ""),
            "ContainerConfig": config.get("container_config") or {},
            "DockerVersion": config.get("docker_version", ""),
            "Config": config.get("config") or {},
            "Architecture": config.get("architecture", ""),
            "Size": size,
        }
        if config.get("os"):
            meta["Os"] = config["os"]
        return {
            "apiVersion": "image.openshift.io/v1",
            "kind": "Image",
            "metadata": {"name": digest, "annotations": {"image.openshift.io/dockerLayersOrder": "ascending"}},
            "dockerImageReference": ref.with_digest(digest),
            "dockerImageMetadata": meta,
            "dockerImageMetadataVersion": "1.0",
            "dockerImageLayers": layers,
            "dockerImageManifestMediaType": mtype,
            "dockerImageManifest": raw.decode("utf-8"),
            "dockerImageConfig": config_raw.decode("utf-8") if config_raw else "",
        }


def _list_image(ref, mtype, raw, digest, doc) -> dict:
    manifests = []
    for e in doc.get("manifests") or []:
        p = e.get("platform") or {}
        item = {"digest": e["digest"], "mediaType": e.get("mediaType", ""), "manifestSize": int(e.get("size") or 0),
                "architecture": p.get("architecture", ""), "os": p.get("os", "")}
        if p.get("variant"):
            item["variant"] = p["variant"]
        manifests.append(item)
    return {
        "apiVersion": "image.openshift.io/v1",
        "kind": "Image",
        "metadata": {"name": digest},
        "dockerImageReference": ref.with_digest(digest),
        "dockerImageMetadata": {"kind": "DockerImage", "apiVersion": "image.openshift.io/1.0", "Id": "",
                                "Created": None, "ContainerConfig": {}, "Config": {}, "Size": 0},
        "dockerImageMetadataVersion": "1.0",
        "dockerImageManifestMediaType": mtype,
        "dockerImageManifest": raw.decode("utf-8"),
        "dockerImageManifests": manifests,
    }


def _choose(entries, prefer_arch, prefer_os, cp_arch, cp_os):
    """Legacy sub-manifest choice: tag annotations, control-plane arch/os, linux/amd64, then the first."""
    def find(arch, os_):
        for e in entries:
            p = e.get("platform") or {}
            if (not arch or p.get("architecture") == arch) and (not os_ or p.get("os") == os_):
                return e
        return None

    if prefer_arch or prefer_os:
        hit = find(prefer_arch or cp_arch, prefer_os or cp_os)
        if hit:
            return hit
    for arch, os_ in ((cp_arch, cp_os), ("amd64", "linux")):
        hit = find(arch, os_)
        if hit:
            return hit
    return entries[0] if entries else None


_MINOR = re.compile(r"^v?(\d+)\.(\d+)(?:-[\w.-]+)?$")
_FULL = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-+][\w.+-]+)?$")


def prioritize_tags(tags: list[str]) -> list[str]:
    """Order tags like the importer's PrioritizeTags: latest, minor versions (desc), full versions (desc),
    then everything else lexicographically."""
    uniq = sorted(set(t or "latest" for t in tags))
    latest = [t for t in uniq if t == "latest"]
    minor, full, other = [], [], []
    for t in uniq:
        if t == "latest":
            continue
        m = _MINOR.match(t)
        if m:
            minor.append(((int(m.group(1)), int(m.group(2))), t))
            continue
        m = _FULL.match(t)
        if m:
            full.append(((int(m.group(1)), int(m.group(2)), int(m.group(3))), t))
            continue
        other.append(t)
    minor.sort(key=lambda x: (x[0], x[1]), reverse=True)
    full.sort(key=lambda x: (x[0], x[1]), reverse=True)
    return latest + [t for _key, t in minor] + [t for _key, t in full] + other


def parse_docker_config_secret(secret: dict) -> list[tuple[str, str, str]]:
    """(auth key, user, password) entries from a dockerconfigjson or dockercfg Secret."""
    data = secret.get("data") or {}
    stype = secret.get("type", "")
    raw = None
    if stype == "kubernetes.io/dockerconfigjson" or ".dockerconfigjson" in data:
        raw = data.get(".dockerconfigjson")
        wrapped = True
    elif stype == "kubernetes.io/dockercfg" or ".dockercfg" in data:
        raw = data.get(".dockercfg")
        wrapped = False
    if not raw:
        return []
    try:
        doc = json.loads(base64.b64decode(raw))
    except (ValueError, TypeError):
        return []
    auths = (doc.get("auths") or {}) if wrapped else doc
    out = []
    if not isinstance(auths, dict):
        return out
    for key, entry in auths.items():
        if not isinstance(entry, dict):
            continue
        user, password = entry.get("username"), entry.get("password")
        if entry.get("auth"):
            try:
                user, _sep, password = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
        if user is None:
            continue
        out.append((key, user, password or ""))
    return out
