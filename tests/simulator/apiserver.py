"""ApiServer: the simulator's internal API (what kube-apiserver does between HTTP and etcd).

Generic rules for every stored kind run here (names, namespaces, uid, resourceVersion and conflicts,
generation, status subresource semantics, finalizers, dry run, schema validation of CRD-backed kinds);
per-kind behaviour comes from Strategy objects registered by apis/*.py, and resources without storage of
their own (imagestreamtags, imagestreamimports, ...) from VirtualHandler objects. Every successful write
emits an event ('ADDED'|'MODIFIED'|'DELETED') to subscribers (controllers) and watchers (HTTP watch).
Authorization is done by the HTTP layer (auth.py); `user` here is only passed on to hooks via ctx.user.
"""
from __future__ import annotations

import base64
import collections
import copy
import dataclasses
import json
import logging
import queue
import random
import re
import string
import threading
from typing import Any, Callable, Iterable

from . import catalog, errors, patch as patchmod, selectors
from .catalog import ResourceType
from .config import SimConfig
from .store import Store

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class User:
    name: str
    groups: tuple = ()

    @property
    def is_admin(self) -> bool:
        return "system:masters" in self.groups or "system:cluster-admins" in self.groups


SYSTEM = User("system:admin", ("system:masters", "system:authenticated"))


class Context:
    """What hooks and controllers get: the API, the config, the clock and the acting user."""

    def __init__(self, api: "ApiServer", config: SimConfig, user: User = SYSTEM, dry_run: bool = False,
                 field_validation: str | None = None):
        self.api = api
        self.config = config
        self.user = user
        self.dry_run = dry_run
        self.field_validation = field_validation   # "Strict" -> unknown fields of CRD kinds are a 400

    def now(self) -> str:
        return self.config.now()


class Strategy:
    """Per-kind hooks; all are no-ops by default. Raise errors.StatusError to reject a request."""

    def prepare_create(self, ctx: Context, obj: dict) -> None:
        """Defaults and server-owned fields on create (status has already been dropped)."""

    def prepare_update(self, ctx: Context, new: dict, old: dict) -> None:
        """Main-resource update (status already reset to the old one when the type has /status)."""

    def prepare_status_update(self, ctx: Context, new: dict, old: dict) -> None:
        """/status update (everything but status already reset to the old object)."""

    def validate(self, ctx: Context, obj: dict, old: dict | None = None) -> list[dict]:
        """Return causes ({field, reason, message}; see errors.invalid_value etc.); [] when valid."""
        return []

    def decorate(self, ctx: Context, obj: dict) -> None:
        """Fill computed fields on every read (get, list, watch, write responses); obj is a copy."""

    def after_write(self, ctx: Context, obj: dict | None, old: dict | None) -> None:
        """Synchronous follow-up after a stored write; obj is None after a delete, old None after create."""

    def get_subresource(self, ctx: Context, obj: dict, subresource: str) -> dict:
        """GET of a read-only subresource other than status/scale (e.g. imagestreams/secrets)."""
        raise errors.path_not_found()

    def create_subresource(self, ctx: Context, obj: dict, subresource: str, body: dict,
                           dry_run: bool) -> dict:
        """POST to a subresource (e.g. deploymentconfigs/instantiate)."""
        raise errors.method_not_allowed()


class VirtualHandler:
    """A resource with no storage of its own. Unimplemented verbs answer 405 MethodNotAllowed."""

    def get(self, ctx: Context, namespace: str | None, name: str) -> dict:
        raise errors.method_not_allowed()

    def list(self, ctx: Context, namespace: str | None, label_selector: str | None = None,
             field_selector: str | None = None) -> dict:
        raise errors.method_not_allowed()

    def create(self, ctx: Context, namespace: str | None, body: dict, dry_run: bool = False) -> dict:
        raise errors.method_not_allowed()

    def update(self, ctx: Context, namespace: str | None, name: str, body: dict, dry_run: bool = False) -> dict:
        raise errors.method_not_allowed()

    def delete(self, ctx: Context, namespace: str | None, name: str, dry_run: bool = False) -> dict:
        raise errors.method_not_allowed()


# --- names ---------------------------------------------------------------------------------------
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                  "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
                  "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
              "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
              "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
             "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
             "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")

# How metadata.name is validated; types not listed use the DNS-1123 subdomain rule.
NAME_RULES = {
    ("", "namespaces"): "label",
    ("", "services"): "dns1035",
    ("rbac.authorization.k8s.io", "roles"): "segment",
    ("rbac.authorization.k8s.io", "rolebindings"): "segment",
    ("rbac.authorization.k8s.io", "clusterroles"): "segment",
    ("rbac.authorization.k8s.io", "clusterrolebindings"): "segment",
    ("image.openshift.io", "images"): "segment",
}


def validate_name(rt: ResourceType, name: str) -> list[dict]:
    rule = NAME_RULES.get(rt.key, "subdomain")
    if rule == "segment":
        if name in (".", "..") or "/" in name or "%" in name:
            return [errors.invalid_value("metadata.name", name, 'may not contain "/" or "%" or be "." or ".."')]
        return []
    if rule == "label":
        if len(name) > 63:
            return [errors.invalid_value("metadata.name", name, "must be no more than 63 characters")]
        return [] if _DNS1123_LABEL.match(name) else [errors.invalid_value("metadata.name", name, _LABEL_MSG)]
    if rule == "dns1035":
        if len(name) > 63:
            return [errors.invalid_value("metadata.name", name, "must be no more than 63 characters")]
        return [] if _DNS1035_LABEL.match(name) else [errors.invalid_value("metadata.name", name, _1035_MSG)]
    if len(name) > 253:
        return [errors.invalid_value("metadata.name", name, "must be no more than 253 characters")]
    return [] if _DNS1123_SUBDOMAIN.match(name) else [errors.invalid_value("metadata.name", name, _SUBDOMAIN_MSG)]


_QNAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QNAME_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
              "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
              "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
TOTAL_ANNOTATION_SIZE = 256 * 1024


def _qualified_name_errors(field: str, key: Any) -> list[dict]:
    """apimachinery IsQualifiedName: [prefix/]name with a DNS-1123 subdomain prefix."""
    if not isinstance(key, str):
        return [errors.invalid_value(field, key, "must be a string")]
    prefix, _slash, name = key.rpartition("/")
    out = []
    if "/" in key and not prefix:
        out.append(errors.invalid_value(field, key, "prefix part must be non-empty"))
    elif prefix and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        out.append(errors.invalid_value(field, key, "prefix part " + _SUBDOMAIN_MSG))
    if not name:
        out.append(errors.invalid_value(field, key, "name part must be non-empty"))
    elif len(name) > 63:
        out.append(errors.invalid_value(field, key, "name part must be no more than 63 characters"))
    elif not _QNAME_PART.match(name):
        out.append(errors.invalid_value(field, key, _QNAME_MSG))
    return out


def validate_object_meta(md: dict) -> list[dict]:
    """Labels (qualified-name keys, label values) and annotations (qualified-name keys, 256 KiB total)."""
    causes: list[dict] = []
    labels = md.get("labels")
    if labels is not None and not isinstance(labels, dict):
        causes.append(errors.type_invalid("metadata.labels", _json_type(labels), "must be an object"))
    for k, v in (labels or {}).items() if isinstance(labels, dict) else ():
        causes.extend(_qualified_name_errors("metadata.labels", k))
        if not isinstance(v, str):
            causes.append(errors.invalid_value("metadata.labels", v, "must be a string"))
        elif len(v) > 63:
            causes.append(errors.invalid_value("metadata.labels", v, "must be no more than 63 characters"))
        elif not _LABEL_VALUE.match(v):
            causes.append(errors.invalid_value("metadata.labels", v, _LABEL_VALUE_MSG))
    annotations = md.get("annotations")
    if annotations is not None and not isinstance(annotations, dict):
        causes.append(errors.type_invalid("metadata.annotations", _json_type(annotations), "must be an object"))
    elif annotations:
        size = 0
        for k, v in annotations.items():
            causes.extend(_qualified_name_errors("metadata.annotations", k.lower() if isinstance(k, str) else k))
            if not isinstance(v, str):
                causes.append(errors.invalid_value("metadata.annotations", v, "must be a string"))
            size += len(str(k)) + len(str(v))
        if size > TOTAL_ANNOTATION_SIZE:
            causes.append(errors.cause("metadata.annotations", "FieldValueTooLong",
                                       f"Too long: may not be more than {TOTAL_ANNOTATION_SIZE} bytes"))
    return causes


def _json_type(v: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
        type(v), "null")


# Metadata fields a client cannot change through a main-resource write.
_IMMUTABLE_MD = ("uid", "creationTimestamp", "name", "namespace", "deletionTimestamp",
                 "deletionGracePeriodSeconds", "generation", "selfLink")


def _spec_view(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _comparable(obj: dict) -> dict:
    out = dict(obj)
    md = dict(out.get("metadata") or {})
    md.pop("resourceVersion", None)
    md.pop("managedFields", None)
    out["metadata"] = md
    return out


def _list_key(obj: dict) -> list:
    md = obj.get("metadata") or {}
    return [md.get("namespace") or "", md.get("name") or ""]


def _encode_continue(rv: str, key: list) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": int(rv), "start": "/".join(key)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token: str) -> list:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        ns, _slash, name = data["start"].partition("/")
        return [ns, name]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise errors.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                 "(version meta.k8s.io/v1)") from None


class Watch:
    """One watch stream: events are (type, object) pairs; ERROR events carry a Status."""

    def __init__(self, api: "ApiServer", rt: ResourceType, namespace: str | None,
                 match: Callable[[dict], bool]):
        self.api = api
        self.rt = rt
        self.namespace = namespace
        self.match = match
        self.queue: "queue.Queue[tuple[str, dict]]" = queue.Queue()
        self.closed = False

    def offer(self, event: str, rt: ResourceType, obj: dict) -> None:
        if self.closed or rt.key != self.rt.key:
            return
        if self.namespace and (obj.get("metadata") or {}).get("namespace") != self.namespace:
            return
        if self.match(obj):
            self.queue.put((event, obj))

    def next(self, timeout: float | None) -> tuple[str, dict] | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.closed = True
        self.api._unwatch(self)


class ApiServer:
    HISTORY = 2000   # events kept for watches that resume from a resourceVersion

    def __init__(self, store: Store | None = None, config: SimConfig | None = None):
        self.store = store or Store()
        self.config = config or SimConfig()
        self.lock = self.store.lock
        self.strategies: dict[tuple, Strategy] = {}
        self.virtuals: dict[tuple, VirtualHandler] = {}
        self._subscribers: list[Callable] = []
        self._watches: list[Watch] = []
        self._history: collections.deque = collections.deque(maxlen=self.HISTORY)
        self._schemas: dict[tuple, Any] = {}
        self._local = threading.local()

    # --- registration -------------------------------------------------------------------------
    def register_strategy(self, rt_key: tuple, strategy: Strategy) -> None:
        self.strategies[tuple(rt_key)] = strategy

    def register_virtual(self, rt_key: tuple, handler: VirtualHandler) -> None:
        self.virtuals[tuple(rt_key)] = handler

    def subscribe(self, fn: Callable[[str, ResourceType, dict, dict | None], None]) -> None:
        self._subscribers.append(fn)

    def context(self, user: User = SYSTEM, dry_run: bool = False, field_validation: str | None = None) -> Context:
        return Context(self, self.config, user, dry_run, field_validation)

    def now(self) -> str:
        return self.config.now()

    # --- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _rt(rt: Any) -> ResourceType:
        if isinstance(rt, ResourceType):
            return rt
        found = catalog.by_key(tuple(rt))
        if found is None:
            raise errors.path_not_found()
        return found

    def _strategy(self, rt: ResourceType) -> Strategy:
        return self.strategies.get(rt.key) or _DEFAULT_STRATEGY

    def _virtual(self, rt: ResourceType) -> VirtualHandler | None:
        h = self.virtuals.get(rt.key)
        if h is None and rt.virtual:
            raise errors.StatusError(503, "ServiceUnavailable",
                                     f"the server is currently unable to handle the request ({rt.qualified} "
                                     "is not implemented in the simulator yet)", {})
        return h

    @staticmethod
    def _check_verb(rt: ResourceType, verb: str) -> None:
        if verb not in rt.verbs:
            raise errors.method_not_allowed()

    @staticmethod
    def _namespace_given(rt: ResourceType, namespace: str | None) -> None:
        """Reads and writes of existing objects: a missing namespace is just a missing object (404
        `<kind> "name" not found`), as on the real server; only create checks the namespace exists."""
        if rt.namespaced and not namespace:
            raise errors.bad_request("the server could not find the requested resource: a namespace is required")

    def _require_namespace(self, rt: ResourceType, namespace: str | None) -> None:
        if not rt.namespaced:
            return
        if not namespace:
            raise errors.bad_request("the server could not find the requested resource: a namespace is required")
        if self.store.get(("", "namespaces"), None, namespace, copy_=False) is None:
            raise errors.namespace_not_found(namespace)

    def _schema(self, rt: ResourceType):
        if not rt.crd:
            return None
        if rt.key not in self._schemas:
            try:
                from . import schema as schemamod
            except ImportError:  # pragma: no cover - schema.py is part of the core
                self._schemas[rt.key] = None
            else:
                self._schemas[rt.key] = schemamod.for_type(rt, self.config.crd_dir)
        return self._schemas[rt.key]

    def _admit(self, rt: ResourceType, ctx: Context, obj: dict, old: dict | None) -> None:
        """Unknown-field handling, schema defaulting/pruning/validation, then the strategy's validation.

        Unknown fields (CRD schema pruning, or top-level fields a Go-typed kind does not have) are a 400
        with fieldValidation=Strict, silently dropped with Ignore, and dropped with a warning otherwise
        (the server default, Warn). Any validation cause is a 422."""
        causes: list[dict] = validate_object_meta(obj.get("metadata") or {})
        name = (obj.get("metadata") or {}).get("name", "")
        pruned: list[str] = []
        if rt.top_fields is not None:
            for key in [k for k in obj if k not in ("apiVersion", "kind", "metadata") + tuple(rt.top_fields)]:
                pruned.append(key)
                del obj[key]
        sch = self._schema(rt)
        if sch is not None:
            causes.extend(sch.admit(obj, old, pruned))
        if pruned:
            directive = (ctx.field_validation or "Warn").lower()
            unknown = [f'unknown field "{p}"' for p in sorted(pruned)]
            if directive == "strict":
                raise errors.bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
                                         f"strict decoding error: {', '.join(unknown)}")
            if directive != "ignore":
                self._warn(*unknown)
        if not causes:
            causes.extend(self._strategy(rt).validate(ctx, obj, old) or [])
        if causes:
            raise errors.invalid(rt, name, causes)

    # --- warnings (the HTTP layer turns them into `Warning: 299 - "..."` headers) ---------------
    def begin_request(self) -> None:
        self._local.warnings = []

    def _warn(self, *messages: str) -> None:
        current = getattr(self._local, "warnings", None)
        if current is not None:
            current.extend(m for m in messages if m not in current)

    def take_warnings(self) -> list[str]:
        out = getattr(self._local, "warnings", None) or []
        self._local.warnings = None
        return out

    def decorate(self, rt: ResourceType, obj: dict, user: User = SYSTEM) -> dict:
        obj.setdefault("apiVersion", rt.api_version)
        obj.setdefault("kind", rt.kind)
        strat = self.strategies.get(rt.key)
        if strat is not None:
            strat.decorate(self.context(user), obj)
        return obj

    def _emit(self, event: str, rt: ResourceType, obj: dict, old: dict | None) -> None:
        self._history.append((int(obj["metadata"]["resourceVersion"]), event, rt.key, copy.deepcopy(obj)))
        watchers = [w for w in self._watches if w.rt.key == rt.key]
        if watchers:
            shown = self.decorate(rt, copy.deepcopy(obj))
            for w in watchers:
                w.offer(event, rt, copy.deepcopy(shown))
        for fn in list(self._subscribers):
            try:
                fn(event, rt, copy.deepcopy(obj), copy.deepcopy(old) if old is not None else None)
            except Exception:  # a broken subscriber must not fail the write
                log.exception("event subscriber failed")

    # --- reads --------------------------------------------------------------------------------
    def get(self, rt, namespace: str | None, name: str, user: User = SYSTEM, subresource: str | None = None) -> dict:
        rt = self._rt(rt)
        ctx = self.context(user)
        if rt.virtual or rt.key in self.virtuals:
            handler = self._virtual(rt)
            self._check_verb(rt, "get")
            return handler.get(ctx, namespace if rt.namespaced else None, name)
        self._check_verb(rt, "get")
        with self.lock:
            self._namespace_given(rt, namespace)
            obj = self.store.get(rt.key, namespace if rt.namespaced else None, name)
            if obj is None:
                raise errors.not_found(rt, name)
            if subresource in (None, "status"):
                if subresource and not rt.has_status:
                    raise errors.path_not_found()
                return self.decorate(rt, obj, user)
            if subresource == "scale" and rt.subresource("scale"):
                return self._scale_of(rt, self.decorate(rt, obj, user))
            if rt.subresource(subresource) is None:
                raise errors.path_not_found()
            return self._strategy(rt).get_subresource(ctx, self.decorate(rt, obj, user), subresource)

    def get_or_none(self, rt, namespace: str | None, name: str) -> dict | None:
        try:
            return self.get(rt, namespace, name)
        except errors.StatusError as e:
            if e.code == 404:
                return None
            raise

    def list(self, rt, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, user: User = SYSTEM, limit: int | None = None,
             continue_token: str | None = None) -> dict:
        """A List. With `limit`, pages ordered by (namespace, name) with a `continue` token and
        `remainingItemCount`; later pages are read from the current state (no snapshot)."""
        rt = self._rt(rt)
        if rt.virtual or rt.key in self.virtuals:
            handler = self._virtual(rt)
            self._check_verb(rt, "list")
            return handler.list(self.context(user), namespace if rt.namespaced else None,
                                label_selector=label_selector, field_selector=field_selector)
        self._check_verb(rt, "list")
        match = self._matcher(rt, label_selector, field_selector)
        after = _decode_continue(continue_token) if continue_token else None
        with self.lock:
            items = self.store.list(rt.key, namespace if rt.namespaced else None)
            rv = str(self.store.resource_version)
        matched = [o for o in items if match(o)]
        if after is not None:
            matched = [o for o in matched if _list_key(o) > after]
        meta: dict = {"resourceVersion": rv}
        if limit and limit > 0 and len(matched) > limit:
            meta["continue"] = _encode_continue(rv, _list_key(matched[limit - 1]))
            meta["remainingItemCount"] = len(matched) - limit
            matched = matched[:limit]
        out = [self.decorate(rt, obj, user) for obj in matched]
        return {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta, "items": out}

    @staticmethod
    def _matcher(rt: ResourceType, label_selector: str | None, field_selector: str | None) -> Callable[[dict], bool]:
        lsel = selectors.parse_label_selector(label_selector)
        fsel = selectors.parse_field_selector(field_selector, rt.field_selectors)
        return lambda o: lsel((o.get("metadata") or {}).get("labels") or {}) and fsel(o)

    def watch(self, rt, namespace: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, resource_version: str | None = None,
              user: User = SYSTEM, send_initial_events: bool = False) -> Watch:
        """Open a watch. Without a resourceVersion (or "0") current objects come first as ADDED.

        send_initial_events (the WatchList protocol) sends current objects as ADDED, then a BOOKMARK
        annotated k8s.io/initial-events-end=true, whatever resourceVersion says.
        """
        rt = self._rt(rt)
        if rt.virtual or "watch" not in rt.verbs:
            raise errors.method_not_allowed()
        match = self._matcher(rt, label_selector, field_selector)
        ns = namespace if rt.namespaced else None
        w = Watch(self, rt, ns, match)
        with self.lock:
            if send_initial_events or not resource_version or resource_version == "0":
                for obj in self.store.list(rt.key, ns):
                    if match(obj):
                        w.queue.put(("ADDED", self.decorate(rt, obj, user)))
                if send_initial_events:
                    w.queue.put(("BOOKMARK", {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": {
                        "resourceVersion": str(self.store.resource_version),
                        "annotations": {"k8s.io/initial-events-end": "true"}}}))
            else:
                try:
                    since = int(resource_version)
                except ValueError:
                    raise errors.bad_request(f'invalid resource version "{resource_version}"') from None
                oldest = self._history[0][0] if self._history else self.store.resource_version + 1
                if since + 1 < oldest and since < self.store.resource_version:
                    w.queue.put(("ERROR", errors.gone(f"too old resource version: {since} ({oldest - 1})")
                                 .to_status()))
                else:
                    for rv, event, key, obj in list(self._history):
                        if rv > since and key == rt.key:
                            w.offer(event, rt, self.decorate(rt, copy.deepcopy(obj), user))
            self._watches.append(w)
        return w

    def _unwatch(self, w: Watch) -> None:
        with self.lock:
            if w in self._watches:
                self._watches.remove(w)

    # --- writes -------------------------------------------------------------------------------
    def _check_body(self, rt: ResourceType, body: Any) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        body = copy.deepcopy(body)
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if kind and kind != rt.kind:
            raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected "
                                     f"API version ({rt.api_version})" if api_version != rt.api_version else
                                     f'the object provided is unrecognized (must be of type {rt.kind}): kind "{kind}"')
        if api_version and api_version != rt.api_version:
            raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected "
                                     f"API version ({rt.api_version})")
        body["apiVersion"] = rt.api_version
        body["kind"] = rt.kind
        md = body.get("metadata")
        if md is None:
            body["metadata"] = {}
        elif not isinstance(md, dict):
            raise errors.bad_request("metadata must be an object")
        return body

    def _check_namespace_match(self, rt: ResourceType, body: dict, namespace: str | None) -> None:
        md = body["metadata"]
        if rt.namespaced:
            if md.get("namespace") and md["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent "
                                         "on the request")
            md["namespace"] = namespace
        else:
            md.pop("namespace", None)

    def create(self, rt, namespace: str | None, obj: dict, dry_run: bool = False, user: User = SYSTEM,
               field_validation: str | None = None) -> dict:
        rt = self._rt(rt)
        ctx = self.context(user, dry_run, field_validation)
        if rt.virtual or rt.key in self.virtuals:
            handler = self._virtual(rt)
            self._check_verb(rt, "create")
            return handler.create(ctx, namespace if rt.namespaced else None, obj, dry_run)
        self._check_verb(rt, "create")
        obj = self._check_body(rt, obj)
        self._check_namespace_match(rt, obj, namespace)
        md = obj["metadata"]
        if not md.get("name"):
            if md.get("generateName"):
                md["name"] = md["generateName"] + "".join(random.choices(string.ascii_lowercase + string.digits,
                                                                         k=5))
            else:
                raise errors.invalid(rt, "", [errors.required_value("metadata.name",
                                                                    "name or generateName is required")])
        name = md["name"]
        if md.get("resourceVersion"):
            # etcd3 storage rejects it with a plain error, which the handler answers as a 500
            raise errors.internal_error("resourceVersion should not be set on objects to be created")
        causes = validate_name(rt, name)
        if causes:
            raise errors.invalid(rt, name, causes)
        with self.lock:
            self._require_namespace(rt, namespace)
            if self.store.get(rt.key, md.get("namespace"), name, copy_=False) is not None:
                raise errors.already_exists(rt, name)
            if rt.has_status:
                obj.pop("status", None)
            if rt.key == ("", "namespaces"):
                obj["status"] = {"phase": "Active"}
            for k in ("uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink",
                      "managedFields", "generation"):
                md.pop(k, None)
            md["uid"] = self.store.new_uid()
            md["creationTimestamp"] = ctx.now()
            if rt.generation:
                md["generation"] = 1
            strat = self._strategy(rt)
            strat.prepare_create(ctx, obj)
            self._admit(rt, ctx, obj, None)
            if dry_run:
                return self.decorate(rt, obj, user)
            md["resourceVersion"] = self.store.next_rv()
            self.store.put(rt.key, obj)
            self._emit("ADDED", rt, obj, None)
            strat.after_write(ctx, copy.deepcopy(obj), None)
            return self.decorate(rt, copy.deepcopy(obj), user)

    def update(self, rt, namespace: str | None, name: str, obj: dict, subresource: str | None = None,
               dry_run: bool = False, user: User = SYSTEM, field_validation: str | None = None) -> dict:
        rt = self._rt(rt)
        ctx = self.context(user, dry_run, field_validation)
        if rt.virtual or rt.key in self.virtuals:
            handler = self._virtual(rt)
            self._check_verb(rt, "update")
            return handler.update(ctx, namespace if rt.namespaced else None, name, obj, dry_run)
        self._check_verb(rt, "update")
        self._check_subresource_write(rt, subresource)
        if subresource == "scale":
            return self._write_scale(rt, ctx, namespace, name, obj, dry_run)
        body = self._check_body(rt, obj)
        self._check_namespace_match(rt, body, namespace)
        if body["metadata"].get("name") and body["metadata"]["name"] != name:
            raise errors.bad_request(f"the name of the object ({body['metadata']['name']}) does not match the name "
                                     f"on the URL ({name})")
        with self.lock:
            self._namespace_given(rt, namespace)
            old = self.store.get(rt.key, namespace if rt.namespaced else None, name)
            if old is None:
                if rt.create_on_update and subresource is None:
                    body["metadata"]["name"] = name
                    body["metadata"].pop("resourceVersion", None)
                    return self.create(rt, namespace, body, dry_run=dry_run, user=user,
                                       field_validation=field_validation)
                raise errors.not_found(rt, name)
            rv = body["metadata"].get("resourceVersion")
            if rv:
                if str(rv) != old["metadata"]["resourceVersion"]:
                    raise errors.conflict(rt, name)
            elif rt.crd:
                raise errors.invalid(rt, name, [errors.invalid_value(
                    "metadata.resourceVersion", "0x0", "must be specified for an update")])
            return self._commit(rt, ctx, old, body, subresource, dry_run)

    @staticmethod
    def _check_subresource_write(rt: ResourceType, subresource: str | None) -> None:
        if subresource is None:
            return
        sub = rt.subresource(subresource)
        if sub is None:
            raise errors.path_not_found()
        if subresource not in ("status", "scale"):
            raise errors.method_not_allowed()

    def _commit(self, rt: ResourceType, ctx: Context, old: dict, new: dict, subresource: str | None,
                dry_run: bool) -> dict:
        """Shared tail of update and patch: reset what this write may not change, admit, store, emit."""
        strat = self._strategy(rt)
        new_md = new.setdefault("metadata", {})
        if subresource == "status":
            merged = copy.deepcopy(old)
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            new = merged
            strat.prepare_status_update(ctx, new, old)
        else:
            for k in _IMMUTABLE_MD:
                if k in old["metadata"]:
                    new_md[k] = old["metadata"][k]
                else:
                    new_md.pop(k, None)
            new_md.pop("managedFields", None)
            if rt.has_status:
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
            strat.prepare_update(ctx, new, old)
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        self._admit(rt, ctx, new, old)
        if rt.generation and _spec_view(new) != _spec_view(old):
            new["metadata"]["generation"] = int(old["metadata"].get("generation") or 0) + 1
        md = new["metadata"]
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            if dry_run:
                return self.decorate(rt, new, ctx.user)
            return self._remove(rt, ctx, new)
        if _comparable(new) == _comparable(old):
            return self.decorate(rt, old, ctx.user)      # no-op: no new resourceVersion, no event
        if dry_run:
            return self.decorate(rt, new, ctx.user)
        md["resourceVersion"] = self.store.next_rv()
        self.store.put(rt.key, new)
        self._emit("MODIFIED", rt, new, old)
        strat.after_write(ctx, copy.deepcopy(new), old)
        return self.decorate(rt, copy.deepcopy(new), ctx.user)

    def patch(self, rt, namespace: str | None, name: str, patch_type: str, body: Any,
              subresource: str | None = None, dry_run: bool = False, field_manager: str | None = None,
              force: bool = False, user: User = SYSTEM, field_validation: str | None = None) -> dict:
        rt = self._rt(rt)
        ctx = self.context(user, dry_run, field_validation)
        ptype = patchmod.patch_type_for(patch_type) or patch_type
        if ptype not in ("merge", "json", "strategic", "apply"):
            raise errors.unsupported_media_type(patch_type)
        if ptype == "strategic" and not rt.strategic:
            raise errors.unsupported_media_type(patch_type)
        if rt.virtual or rt.key in self.virtuals:
            handler = self._virtual(rt)
            self._check_verb(rt, "patch")
            live = handler.get(ctx, namespace if rt.namespaced else None, name)
            patched = self._apply_patch(rt, live, ptype, body)
            return handler.update(ctx, namespace if rt.namespaced else None, name, patched, dry_run)
        self._check_verb(rt, "patch")
        self._check_subresource_write(rt, subresource)
        if ptype == "apply" and not isinstance(body, dict):
            raise errors.bad_request("the body of an apply patch must be an object")
        with self.lock:
            self._namespace_given(rt, namespace)
            old = self.store.get(rt.key, namespace if rt.namespaced else None, name)
            if old is None:
                if ptype == "apply" and subresource is None:
                    obj = copy.deepcopy(body)
                    obj.setdefault("metadata", {}).setdefault("name", name)
                    obj["metadata"].pop("resourceVersion", None)
                    return self.create(rt, namespace, obj, dry_run=dry_run, user=user,
                                       field_validation=field_validation)
                raise errors.not_found(rt, name)
            if subresource == "scale":
                scale = self._scale_of(rt, old)
                patched = self._apply_patch(rt, scale, ptype, body, scale_kind=True)
                return self._write_scale(rt, ctx, namespace, name, patched, dry_run)
            patched = self._apply_patch(rt, old, ptype, body)
            if not isinstance(patched, dict):
                raise errors.bad_request("the patched object is not a JSON object")
            patched = self._check_body(rt, patched)
            pmd = patched["metadata"]
            if pmd.get("name") != name:
                raise errors.bad_request(f"the name of the object ({pmd.get('name')}) does not match the name on "
                                         f"the URL ({name})")
            prv = pmd.get("resourceVersion")
            if prv and str(prv) != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt, name)
            self._check_namespace_match(rt, patched, namespace)
            return self._commit(rt, ctx, old, patched, subresource, dry_run)

    def _apply_patch(self, rt: ResourceType, live: dict, ptype: str, body: Any, scale_kind: bool = False) -> Any:
        if ptype == "merge":
            if not isinstance(body, dict):
                raise errors.bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
            return patchmod.merge_patch(live, body)
        if ptype == "json":
            return patchmod.json_patch(live, body)
        if not isinstance(body, dict):
            raise errors.bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
        if ptype == "strategic":
            return patchmod.strategic_merge(live, body, rt.merge_key)
        body = dict(body)
        if not scale_kind:
            for k in ("apiVersion", "kind"):
                if k not in body:
                    raise errors.bad_request(f"{k} must be set in an apply patch")
        return patchmod.apply_patch(live, body, rt.merge_key if rt.strategic else None)

    def create_subresource(self, rt, namespace: str | None, name: str, subresource: str, body: Any,
                           dry_run: bool = False, user: User = SYSTEM) -> dict:
        """POST to a subresource (serviceaccounts/token, deploymentconfigs/instantiate, ...)."""
        rt = self._rt(rt)
        sub = rt.subresource(subresource)
        if sub is None:
            raise errors.path_not_found()
        if "create" not in sub.verbs:
            raise errors.method_not_allowed()
        with self.lock:
            self._namespace_given(rt, namespace)
            obj = self.store.get(rt.key, namespace if rt.namespaced else None, name)
            if obj is None:
                raise errors.not_found(rt, name)
            return self._strategy(rt).create_subresource(self.context(user, dry_run), obj, subresource,
                                                         body if isinstance(body, dict) else {}, dry_run)

    # --- scale subresource --------------------------------------------------------------------
    @staticmethod
    def _scale_of(rt: ResourceType, obj: dict) -> dict:
        sub = rt.subresource("scale")
        md = obj["metadata"]
        spec = obj.get("spec") or {}
        sel = spec.get("selector") or {}
        if isinstance(sel, dict) and "matchLabels" in sel:
            sel = sel.get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(sel.items())) if isinstance(sel, dict) else ""
        return {
            "kind": "Scale",
            "apiVersion": f"{sub.group}/{sub.version}" if sub and sub.group else "autoscaling/v1",
            "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in md},
            "spec": {"replicas": spec.get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": selector},
        }

    def _write_scale(self, rt: ResourceType, ctx: Context, namespace: str | None, name: str, scale: dict,
                     dry_run: bool) -> dict:
        if not isinstance(scale, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.StatusError(422, "Invalid", f'Scale.autoscaling "{name}" is invalid: spec.replicas: '
                                     f'Invalid value: {replicas}: must be greater than or equal to 0',
                                     {"name": name, "group": "autoscaling", "kind": "Scale", "causes": [
                                         errors.invalid_value("spec.replicas", replicas,
                                                              "must be greater than or equal to 0")]})
        with self.lock:
            old = self.store.get(rt.key, namespace, name)
            if old is None:
                raise errors.not_found(rt, name)
            rv = (scale.get("metadata") or {}).get("resourceVersion")
            if rv and str(rv) != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt, name)
            new = copy.deepcopy(old)
            new.setdefault("spec", {})["replicas"] = replicas
            result = self._commit(rt, ctx, old, new, None, dry_run)
            return self._scale_of(rt, result)

    # --- delete -------------------------------------------------------------------------------
    def delete(self, rt, namespace: str | None, name: str, dry_run: bool = False, user: User = SYSTEM,
               preconditions: dict | None = None) -> dict:
        """Delete (or mark for deletion when finalizers remain). `preconditions` ({uid, resourceVersion}
        from DeleteOptions) must match the live object, else 409 Conflict."""
        rt = self._rt(rt)
        ctx = self.context(user, dry_run)
        if rt.virtual or rt.key in self.virtuals:
            handler = self._virtual(rt)
            self._check_verb(rt, "delete")
            return handler.delete(ctx, namespace if rt.namespaced else None, name, dry_run)
        self._check_verb(rt, "delete")
        with self.lock:
            self._namespace_given(rt, namespace)
            old = self.store.get(rt.key, namespace if rt.namespaced else None, name)
            if old is None:
                raise errors.not_found(rt, name)
            md = old["metadata"]
            pre = preconditions or {}
            if pre.get("uid") and pre["uid"] != md.get("uid"):
                raise errors.conflict(rt, name, f"Precondition failed: UID in precondition: {pre['uid']}, "
                                                f"UID in object meta: {md.get('uid')}")
            if pre.get("resourceVersion") and str(pre["resourceVersion"]) != md.get("resourceVersion"):
                raise errors.conflict(rt, name, f"Precondition failed: ResourceVersion in precondition: "
                                                f"{pre['resourceVersion']}, ResourceVersion in object meta: "
                                                f"{md.get('resourceVersion')}")
            if md.get("finalizers"):
                if md.get("deletionTimestamp") or dry_run:
                    obj = copy.deepcopy(old)
                    obj["metadata"].setdefault("deletionTimestamp", ctx.now())
                    obj["metadata"].setdefault("deletionGracePeriodSeconds", 0)
                    return self.decorate(rt, obj, user)
                new = copy.deepcopy(old)
                new["metadata"]["deletionTimestamp"] = ctx.now()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                new["metadata"]["resourceVersion"] = self.store.next_rv()
                self.store.put(rt.key, new)
                self._emit("MODIFIED", rt, new, old)
                self._strategy(rt).after_write(ctx, copy.deepcopy(new), old)
                return self.decorate(rt, copy.deepcopy(new), user)
            if dry_run:
                return self._delete_result(rt, self.decorate(rt, old, user))
            return self._delete_result(rt, self._remove(rt, ctx, old))

    @staticmethod
    def _delete_result(rt: ResourceType, obj: dict) -> dict:
        """Objects of CRD-like and status-bearing kinds come back; others get a Status Success."""
        if rt.crd or rt.has_status or rt.group.endswith("openshift.io"):
            return obj
        md = obj.get("metadata") or {}
        details = {"name": md.get("name"), "kind": rt.plural, "uid": md.get("uid")}
        if rt.group:
            details["group"] = rt.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def _remove(self, rt: ResourceType, ctx: Context, obj: dict) -> dict:
        """Really remove obj (finalizers are done), emit DELETED, then cascade (namespace, ownerReferences)."""
        md = obj["metadata"]
        self.store.remove(rt.key, md.get("namespace"), md["name"])
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = self.store.next_rv()
        self._emit("DELETED", rt, gone, obj)
        self._strategy(rt).after_write(ctx, None, copy.deepcopy(obj))
        if rt.key == ("", "namespaces"):
            for key in self.store.keys():
                krt = catalog.by_key(key)
                if krt is None or not krt.namespaced:
                    continue
                for child in self.store.find(key, lambda o: True, md["name"]):
                    self._remove(krt, ctx, child)
        self._collect_garbage(ctx, md.get("uid"))
        return self.decorate(rt, gone, ctx.user)

    def _collect_garbage(self, ctx: Context, owner_uid: str | None) -> None:
        """Background-propagation GC, done synchronously: remove dependents of a deleted owner."""
        if not owner_uid:
            return
        for key in self.store.keys():
            krt = catalog.by_key(key)
            if krt is None:
                continue

            def owned(o: dict) -> bool:
                refs = (o.get("metadata") or {}).get("ownerReferences") or []
                return any(isinstance(r, dict) and r.get("uid") == owner_uid for r in refs)

            for child in self.store.find(key, owned):
                if self.store.get(key, child["metadata"].get("namespace"), child["metadata"]["name"],
                                  copy_=False) is not None:
                    self._remove(krt, ctx, child)

    # --- conveniences for controllers and bootstrap -------------------------------------------
    def ensure(self, rt, obj: dict, user: User = SYSTEM) -> dict:
        """Create obj, or leave an existing object alone; returns the live object."""
        rt = self._rt(rt)
        md = obj.get("metadata") or {}
        try:
            return self.create(rt, md.get("namespace"), obj, user=user)
        except errors.StatusError as e:
            if e.code != 409:
                raise
            return self.get(rt, md.get("namespace"), md["name"], user=user)

    def iter_types(self) -> Iterable[ResourceType]:
        return catalog.RESOURCE_TYPES


_DEFAULT_STRATEGY = Strategy()
