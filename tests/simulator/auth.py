"""Authentication (bearer tokens, client certificates, impersonation, OAuth token login) and a small RBAC.

Users: `admin` (group system:cluster-admins: everything) and `developer` (get/list/watch in namespace
`sandbox` only). Client certificates signed by the simulator CA authenticate as CN with groups O; the
group system:masters makes a certificate user an administrator. Tokens issued by the OAuth flow are
`sha256~<random>` and work as bearer tokens until they expire (24 h).
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import urllib.parse
from typing import Mapping

from . import errors
from .apiserver import User

ADMIN = User("admin", ("system:cluster-admins", "system:authenticated", "system:authenticated:oauth"))
DEVELOPER = User("developer", ("system:authenticated", "system:authenticated:oauth"))
ANONYMOUS = User("system:anonymous", ("system:unauthenticated",))
READ_VERBS = ("get", "list", "watch")
DEVELOPER_NAMESPACE = "sandbox"
TOKEN_TTL = 86400
CHALLENGING_CLIENT = "openshift-challenging-client"


def new_token() -> str:
    return "sha256~" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


class Authenticator:
    def __init__(self, admin_password: str | None = None, developer_password: str = "developer"):
        self.admin_password = admin_password or secrets.token_urlsafe(18)
        self.passwords = {"admin": self.admin_password, "developer": developer_password}
        self.users = {"admin": ADMIN, "developer": DEVELOPER}
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[User, float | None]] = {}
        self._codes: dict[str, tuple[User, float, str | None, str | None]] = {}
        self.admin_token = self.add_token(ADMIN)
        self.developer_token = self.add_token(DEVELOPER)

    # --- tokens -------------------------------------------------------------------------------
    def add_token(self, user: User, ttl: float | None = None, token: str | None = None) -> str:
        token = token or new_token()
        with self._lock:
            self._tokens[token] = (user, time.time() + ttl if ttl else None)
        return token

    def revoke(self, token: str) -> bool:
        with self._lock:
            return self._tokens.pop(token, None) is not None

    def user_for_token(self, token: str) -> User | None:
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None:
            return None
        user, expires = entry
        if expires is not None and time.time() > expires:
            return None
        return user

    # --- request authentication -----------------------------------------------------------------
    def authenticate(self, headers: Mapping[str, str], peer_cert: dict | None) -> User | None:
        """The request's user (after impersonation), ANONYMOUS without credentials, None if rejected."""
        auth = headers.get("Authorization") or ""
        user: User | None = None
        if auth:
            scheme, _space, cred = auth.partition(" ")
            if scheme.lower() != "bearer":
                return None
            user = self.user_for_token(cred.strip())
            if user is None:
                return None
        elif peer_cert:
            user = self._cert_user(peer_cert)
        if user is None:
            return ANONYMOUS
        return self._impersonate(user, headers)

    @staticmethod
    def _cert_user(peer_cert: dict) -> User | None:
        cn, orgs = None, []
        for rdn in peer_cert.get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    cn = v
                elif k == "organizationName":
                    orgs.append(v)
        if not cn:
            return None
        return User(cn, tuple(orgs) + ("system:authenticated",))

    def _impersonate(self, user: User, headers) -> User:
        target = headers.get("Impersonate-User")
        groups = headers.get_all("Impersonate-Group") if hasattr(headers, "get_all") else None
        if groups is None:
            g = headers.get("Impersonate-Group")
            groups = [g] if g else []
        if not target and not groups:
            return user
        if not self.is_admin(user):
            kind, name = ("users", target) if target else ("groups", groups[0])
            raise errors.forbidden_message(
                f'{kind} "{name}" is forbidden: User "{user.name}" cannot impersonate resource "{kind}" in API '
                f'group "" at the cluster scope', {"name": name, "kind": kind})
        if not target:
            raise errors.bad_request("requested impersonation of groups without impersonating a user")
        known = self.users.get(target)
        base_groups = tuple(groups) if groups else (known.groups if known else ())
        return User(target, tuple(dict.fromkeys(base_groups + ("system:authenticated",))))

    # --- authorization ------------------------------------------------------------------------
    @staticmethod
    def is_admin(user: User) -> bool:
        return user.is_admin

    def authorize(self, user: User, verb: str, rt, namespace: str | None, name: str | None,
                  subresource: str | None = None) -> None:
        """Raise 403 Forbidden (real message shape) unless user may do verb on the resource."""
        if user.is_admin:
            return
        if rt.key == ("user.openshift.io", "users") and name == "~" and verb == "get":
            return      # every user may ask who they are
        if rt.key in (("authentication.k8s.io", "selfsubjectreviews"),
                      ("authorization.k8s.io", "selfsubjectaccessreviews")) and verb == "create":
            return      # ... and what they may do
        if rt.key == ("oauth.openshift.io", "useroauthaccesstokens") and verb == "delete":
            return      # the name is a hash of the bearer's own token: only its holder can know it
        if (user.name == DEVELOPER.name and verb in READ_VERBS and rt.namespaced
                and namespace == DEVELOPER_NAMESPACE):
            return
        raise errors.forbidden(rt, name, user.name, verb, namespace if rt.namespaced else None, subresource)

    # --- OAuth (the parts `oc login` and kubernetes.core.k8s_auth use) --------------------------
    @staticmethod
    def oauth_metadata(base_url: str) -> dict:
        return {
            "issuer": base_url,
            "authorization_endpoint": f"{base_url}/oauth/authorize",
            "token_endpoint": f"{base_url}/oauth/token",
            "scopes_supported": ["user:check-access", "user:full", "user:info", "user:list-projects",
                                 "user:list-scoped-projects"],
            "response_types_supported": ["code", "token"],
            "grant_types_supported": ["authorization_code", "implicit"],
            "code_challenge_methods_supported": ["plain", "S256"],
        }

    def _basic_user(self, authorization: str | None) -> User | None:
        if not authorization or not authorization.lower().startswith("basic "):
            return None
        try:
            raw = base64.b64decode(authorization.split(" ", 1)[1].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        name, _colon, password = raw.partition(":")
        if name in self.passwords and secrets.compare_digest(self.passwords[name], password):
            return self.users[name]
        return None

    def authorize_endpoint(self, base_url: str, query: dict, authorization: str | None) -> tuple[int, dict, bytes]:
        """GET /oauth/authorize: (status, headers, body). 302 with the token or code on success."""
        client_id = (query.get("client_id") or [""])[0]
        response_type = (query.get("response_type") or [""])[0]
        if client_id != CHALLENGING_CLIENT or response_type not in ("token", "code"):
            return 400, {"Content-Type": "application/json"}, (
                b'{"error":"unauthorized_client","error_description":"The client is not authorized to request '
                b'a token using this method."}')
        user = self._basic_user(authorization)
        if user is None:
            return 401, {"WWW-Authenticate": 'Basic realm="openshift"', "Content-Type": "text/plain"}, \
                b"Unauthorized"
        if response_type == "token":
            token = self.add_token(user, TOKEN_TTL)
            frag = urllib.parse.urlencode({"access_token": token, "expires_in": str(TOKEN_TTL),
                                           "scope": "user:full", "token_type": "Bearer"})
            return 302, {"Location": f"{base_url}/oauth/token/implicit#{frag}"}, b""
        code = secrets.token_urlsafe(24)
        redirect = (query.get("redirect_uri") or [f"{base_url}/oauth/token/implicit"])[0]
        with self._lock:
            self._codes[code] = (user, time.time() + 300, (query.get("code_challenge") or [None])[0],
                                 (query.get("code_challenge_method") or ["plain"])[0])
        sep = "&" if "?" in redirect else "?"
        state = (query.get("state") or [""])[0]
        return 302, {"Location": f"{redirect}{sep}{urllib.parse.urlencode({'code': code, 'state': state})}"}, b""

    def token_endpoint(self, form: dict) -> tuple[int, dict]:
        """POST /oauth/token (authorization_code grant with optional PKCE): (status, JSON body)."""
        if (form.get("grant_type") or [""])[0] != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        code = (form.get("code") or [""])[0]
        with self._lock:
            entry = self._codes.pop(code, None)
        if entry is None or entry[1] < time.time():
            return 400, {"error": "invalid_grant",
                         "error_description": "The provided authorization grant is invalid, expired or revoked."}
        user, _expires, challenge, method = entry
        if challenge:
            verifier = (form.get("code_verifier") or [""])[0]
            if method == "S256":
                calc = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            else:
                calc = verifier
            if calc != challenge:
                return 400, {"error": "invalid_grant", "error_description": "code_verifier does not match"}
        token = self.add_token(user, TOKEN_TTL)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL, "scope": "user:full"}

    @staticmethod
    def token_object_name(token: str) -> str:
        """Name of the OAuthAccessToken object for a sha256~ token (what `oc logout` deletes)."""
        raw = token[len("sha256~"):] if token.startswith("sha256~") else token
        return "sha256~" + base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest()).decode().rstrip("=")

    def revoke_by_object_name(self, name: str) -> bool:
        with self._lock:
            for tok in list(self._tokens):
                if self.token_object_name(tok) == name:
                    del self._tokens[tok]
                    return True
        return False


class UsersHandler:
    """user.openshift.io/v1 users: only `~` (the requesting user), as `oc whoami` uses it."""

    def get(self, ctx, namespace, name):
        if name != "~":
            raise errors.StatusError(404, "NotFound", f'users.user.openshift.io "{name}" not found',
                                     {"name": name, "group": "user.openshift.io", "kind": "users"})
        return {"kind": "User", "apiVersion": "user.openshift.io/v1",
                "metadata": {"name": ctx.user.name}, "identities": [],
                "groups": [g for g in ctx.user.groups if not g.startswith("system:")]}


class AccessTokensHandler:
    """oauth.openshift.io/v1 (user)oauthaccesstokens: DELETE revokes a token (`oc logout`, k8s_auth absent)."""

    def __init__(self, authenticator: Authenticator, plural: str):
        self.auth = authenticator
        self.plural = plural

    def delete(self, ctx, namespace, name, dry_run=False):
        known = any(self.auth.token_object_name(t) == name for t in list(self.auth._tokens))
        if not known:
            raise errors.StatusError(404, "NotFound", f'{self.plural}.oauth.openshift.io "{name}" not found',
                                     {"name": name, "group": "oauth.openshift.io", "kind": self.plural})
        if not dry_run:
            self.auth.revoke_by_object_name(name)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "group": "oauth.openshift.io", "kind": self.plural}}


class SelfSubjectReviewHandler:
    """authentication.k8s.io/v1 selfsubjectreviews: who am I (`kubectl auth whoami`)."""

    def create(self, ctx, namespace, body, dry_run=False):
        return {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"creationTimestamp": None},
                "status": {"userInfo": {"username": ctx.user.name, "groups": list(ctx.user.groups)}}}


class SelfSubjectAccessReviewHandler:
    """authorization.k8s.io/v1 selfsubjectaccessreviews (`kubectl auth can-i`), answered by authorize()."""

    def __init__(self, authenticator: Authenticator):
        self.auth = authenticator

    def create(self, ctx, namespace, body, dry_run=False):
        from . import catalog
        spec = (body or {}).get("spec") or {}
        attrs = spec.get("resourceAttributes")
        allowed, reason = False, ""
        if isinstance(attrs, dict):
            group, plural = attrs.get("group", ""), attrs.get("resource", "")
            rt = next((t for t in catalog.RESOURCE_TYPES if t.group == group and t.plural == plural), None)
            if rt is None:
                reason = "no such resource in the simulator"
            else:
                try:
                    self.auth.authorize(ctx.user, attrs.get("verb", ""), rt, attrs.get("namespace") or None,
                                        attrs.get("name") or None, attrs.get("subresource") or None)
                    allowed, reason = True, "allowed by the simulator's policy"
                except errors.StatusError:
                    allowed = False
        elif spec.get("nonResourceAttributes"):
            allowed, reason = True, "non-resource URLs are open to authenticated users"
        else:
            raise errors.invalid(catalog.get("authorization.k8s.io", "selfsubjectaccessreviews"), "", [
                errors.invalid_value("spec.resourceAttributes", None,
                                     "exactly one of nonResourceAttributes or resourceAttributes must be specified")])
        out = {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
               "metadata": {"creationTimestamp": None}, "spec": spec, "status": {"allowed": allowed}}
        if reason:
            out["status"]["reason"] = reason
        return out


def register(api, authenticator: Authenticator) -> None:
    """Register the user/oauth virtual resources (called by server.py)."""
    from .apiserver import VirtualHandler

    class _Users(UsersHandler, VirtualHandler):
        pass

    class _Tokens(AccessTokensHandler, VirtualHandler):
        pass

    class _Whoami(SelfSubjectReviewHandler, VirtualHandler):
        pass

    class _CanI(SelfSubjectAccessReviewHandler, VirtualHandler):
        pass

    api.register_virtual(("user.openshift.io", "users"), _Users())
    api.register_virtual(("authentication.k8s.io", "selfsubjectreviews"), _Whoami())
    api.register_virtual(("authorization.k8s.io", "selfsubjectaccessreviews"), _CanI(authenticator))
    for plural in ("oauthaccesstokens", "useroauthaccesstokens"):
        api.register_virtual(("oauth.openshift.io", plural), _Tokens(authenticator, plural))
