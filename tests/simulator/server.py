"""SimulatorServer: the TLS listener, the state-dir files and the in-process lifecycle.

Files in state_dir: ca.crt (trust this), kubeconfig (contexts `admin` (current) and `restricted`),
admin-password (0600), simulator.log (one line per request: time, method, path, code, user),
ready (exists while serving), tls/ (serving key pair, client certs issued by issue_client_cert()).
"""
from __future__ import annotations

import base64
import datetime
import logging
import os
import socket
import ssl
import threading
import traceback
from http.server import ThreadingHTTPServer

import yaml

from . import apis, catalog, errors, pki, schema
from . import auth as auth_mod
from .apiserver import SYSTEM, ApiServer
from .auth import Authenticator
from .config import SimConfig, platform_type
from .controllers.manager import ControllerManager
from .faults import Counters, Faults
from .http import Handler
from .store import Store

log = logging.getLogger(__name__)

BOOTSTRAP_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease", "openshift", "openshift-config",
                        "openshift-config-managed", "openshift-image-registry", "sandbox")
NODES = (("master-0", "master"), ("master-1", "master"), ("master-2", "master"),
         ("worker-0", "worker"), ("worker-1", "worker"))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, sim, ssl_context):
        self.sim = sim
        self.ssl_context = ssl_context
        self._conns: set = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # no Nagle delay between header and body
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def track(self, sock, add: bool) -> None:
        with self._conns_lock:
            (self._conns.add if add else self._conns.discard)(sock)

    def close_all(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:
        pass   # handshake failures and dropped connections are normal for a test double


def platform_status(config: SimConfig) -> dict:
    ptype = config.platform_type
    status: dict = {"type": ptype}
    extra = {
        "AWS": ("aws", {"region": "us-east-1"}),
        "GCP": ("gcp", {"projectID": "sim-project-123456", "region": "us-central1"}),
        "Azure": ("azure", {"resourceGroupName": f"{config.infrastructure_name}-rg",
                            "networkResourceGroupName": f"{config.infrastructure_name}-rg",
                            "cloudName": "AzurePublicCloud"}),
        "IBMCloud": ("ibmcloud", {"location": "us-south", "resourceGroupName": f"{config.infrastructure_name}-rg",
                                  "providerType": "VPC"}),
        "OpenStack": ("openstack", {"cloudName": "openstack", "apiServerInternalIP": "192.0.2.5",
                                    "ingressIP": "192.0.2.6"}),
        "BareMetal": ("baremetal", {"apiServerInternalIP": "192.0.2.5", "apiServerInternalIPs": ["192.0.2.5"],
                                    "ingressIP": "192.0.2.6", "ingressIPs": ["192.0.2.6"]}),
        "VSphere": ("vsphere", {}),
    }.get(ptype)
    if extra:
        status[extra[0]] = extra[1]
    return status


class SimulatorServer:
    def __init__(self, state_dir: str, port: int = 0, platform: str = "baremetal",
                 apps_domain: str = "apps.example.test", state_file: str | None = None,
                 controller_delay: float = 0.2, import_interval: float = 900.0, tls: bool = True,
                 controllers: bool = True):
        platform_type(platform)   # fail early on an unknown platform
        self.state_dir = os.path.abspath(state_dir)
        self.port = port
        self.state_file = os.path.abspath(state_file) if state_file else None
        self.tls = tls
        self.with_controllers = controllers   # False: API only (strategies yes, controllers/bootstrap hook no)
        self.config = SimConfig(platform=platform, apps_domain=apps_domain, controller_delay=controller_delay,
                                import_interval=import_interval, state_dir=self.state_dir)
        self.store = Store()
        self.api = ApiServer(self.store, self.config)
        self.manager = ControllerManager(self.api, self.config)
        self.counters = Counters()
        self.faults = Faults()
        self.auth = Authenticator()
        self.ca = None
        self.url = ""
        self.ca_file = os.path.join(self.state_dir, "ca.crt")
        self.kubeconfig = os.path.join(self.state_dir, "kubeconfig")
        self.log_file = os.path.join(self.state_dir, "simulator.log")
        self.ready_file = os.path.join(self.state_dir, "ready")
        self.stopping = False
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._log_lock = threading.Lock()
        self._watches: set = set()
        self._bumps = 0
        self.started = False

    # --- public ---------------------------------------------------------------------------------
    @property
    def admin_token(self) -> str:
        return self.auth.admin_token

    @property
    def developer_token(self) -> str:
        return self.auth.developer_token

    @property
    def admin_password(self) -> str:
        return self.auth.admin_password

    def __enter__(self) -> "SimulatorServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "SimulatorServer":
        schema.require_crds(catalog.RESOURCE_TYPES, self.config.crd_dir)
        os.makedirs(self.state_dir, exist_ok=True)
        if os.path.exists(self.ready_file):
            os.unlink(self.ready_file)
        if self.state_file:
            self.store.load(self.state_file)
        apis.install_all(self.api)
        auth_mod.register(self.api, self.auth)
        self.bootstrap()
        if self.with_controllers:
            self._install_controllers()
        ssl_ctx = self._tls_setup() if self.tls else None
        self._httpd = _HTTPServer(("127.0.0.1", self.port), Handler, self, ssl_ctx)
        self.port = self._httpd.server_address[1]
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"
        self._write_secret_file("admin-password", self.auth.admin_password)
        self._write_kubeconfig()
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="sim-http", daemon=True)
        self._thread.start()
        self.manager.start()
        self.started = True
        with open(self.ready_file, "w", encoding="utf-8") as fh:
            fh.write(self.url + "\n")
        return self

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        self.stopping = True
        try:
            os.unlink(self.ready_file)
        except FileNotFoundError:
            pass
        self.manager.stop()
        for w in list(self._watches):
            w.close()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_all()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(10)
        if self.state_file:
            self.store.save(self.state_file)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        return self.manager.wait_idle(timeout)

    def issue_client_cert(self, user: str, groups: tuple = (), name: str | None = None) -> tuple[str, str]:
        """Write a client certificate (CN=user, O=groups) signed by the simulator CA; (cert_path, key_path)."""
        cert, key = self.ca.client_pair(user, tuple(groups))
        base = os.path.join(self.state_dir, "tls", name or f"client-{user}")
        with open(base + ".crt", "wb") as fh:
            fh.write(cert)
        fd = os.open(base + ".key", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return base + ".crt", base + ".key"

    # --- bootstrap ------------------------------------------------------------------------------
    def bootstrap(self) -> None:
        """Create the objects the simulator itself owns (idempotent: existing objects are kept)."""
        api = self.api
        ns_rt = catalog.get("", "namespaces")
        for ns in BOOTSTRAP_NAMESPACES:
            md = {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}
            if ns == "openshift-image-registry":
                md["annotations"] = {"openshift.io/sa.scc.supplemental-groups": "1000430000/10000",
                                     "openshift.io/sa.scc.uid-range": "1000430000/10000",
                                     "openshift.io/sa.scc.mcs": "s0:c21,c0"}
                md["labels"]["openshift.io/cluster-monitoring"] = "true"
            api.ensure(ns_rt, {"apiVersion": "v1", "kind": "Namespace", "metadata": md})
        node_rt = catalog.get("", "nodes")
        for i, (name, role) in enumerate(NODES):
            labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                      "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
                      "node.openshift.io/os_id": "rhcos"}
            if role == "master":
                labels["node-role.kubernetes.io/master"] = ""
                labels["node-role.kubernetes.io/control-plane"] = ""
            else:
                labels["node-role.kubernetes.io/worker"] = ""
            spec = {}
            if role == "master":
                spec["taints"] = [{"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"}]
            if api.get_or_none(node_rt, None, name) is None:
                api.create(node_rt, None, {"apiVersion": "v1", "kind": "Node",
                                           "metadata": {"name": name, "labels": labels}, "spec": spec})
                now = self.config.now()
                api.patch(node_rt, None, name, "merge", {"status": {
                    "addresses": [{"type": "InternalIP", "address": f"192.0.2.{10 + i}"},
                                  {"type": "Hostname", "address": name}],
                    "capacity": {"cpu": "8", "memory": "32Gi", "pods": "250"},
                    "allocatable": {"cpu": "7500m", "memory": "31Gi", "pods": "250"},
                    "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                    "message": "kubelet is posting ready status", "lastHeartbeatTime": now,
                                    "lastTransitionTime": now}],
                    "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux",
                                 "bootID": f"00000000-0000-4000-8000-{i:012d}",
                                 "machineID": f"{i:032x}", "systemUUID": f"00000000-0000-4000-9000-{i:012d}",
                                 "kernelVersion": "5.14.0-570.el9_6.x86_64", "kubeProxyVersion": "",
                                 "kubeletVersion": "v1.33.5", "containerRuntimeVersion": "cri-o://1.33.5",
                                 "osImage": "Red Hat Enterprise Linux CoreOS (simulated)"},
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}}}, subresource="status")
        infra_rt = catalog.get("config.openshift.io", "infrastructures")
        if api.get_or_none(infra_rt, None, "cluster") is None:
            ptype = self.config.platform_type
            spec_platform = {"type": ptype}
            api.create(infra_rt, None, {"apiVersion": "config.openshift.io/v1", "kind": "Infrastructure",
                                        "metadata": {"name": "cluster"},
                                        "spec": {"cloudConfig": {"name": ""}, "platformSpec": spec_platform}})
            api.patch(infra_rt, None, "cluster", "merge", {"status": {
                "apiServerURL": "https://api.sim.example.test:6443",
                "apiServerInternalURI": "https://api-int.sim.example.test:6443",
                "controlPlaneTopology": "HighlyAvailable",
                "infrastructureTopology": "HighlyAvailable",
                "cpuPartitioning": "None",
                "etcdDiscoveryDomain": "",
                "infrastructureName": self.config.infrastructure_name,
                "platform": ptype,
                "platformStatus": platform_status(self.config)}}, subresource="status")

    def _install_controllers(self) -> None:
        try:
            from . import controllers
        except ImportError:  # pragma: no cover
            return
        install = getattr(controllers, "install", None)
        if install is not None:
            install(self.api, self.manager, self.config)

    # --- TLS and files --------------------------------------------------------------------------
    def _tls_setup(self) -> ssl.SSLContext:
        tls_dir = os.path.join(self.state_dir, "tls")
        os.makedirs(tls_dir, mode=0o700, exist_ok=True)
        self.ca = pki.CA()
        with open(self.ca_file, "wb") as fh:
            fh.write(self.ca.cert_pem)
        cert, key = self.ca.serving_pair()
        cert_path, key_path = os.path.join(tls_dir, "serving.crt"), os.path.join(tls_dir, "serving.key")
        with open(cert_path, "wb") as fh:
            fh.write(cert + self.ca.cert_pem)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert_path, key_path)
        ctx.load_verify_locations(cadata=self.ca.cert_pem.decode())
        ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx

    def _write_secret_file(self, name: str, content: str) -> None:
        path = os.path.join(self.state_dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content + "\n")

    def _write_kubeconfig(self) -> None:
        cluster = {"server": self.url}
        if self.tls:
            cluster["certificate-authority-data"] = base64.b64encode(self.ca.cert_pem).decode()
        cfg = {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [{"name": "sim", "cluster": cluster}],
            "users": [{"name": "admin", "user": {"token": self.auth.admin_token}},
                      {"name": "developer", "user": {"token": self.auth.developer_token}}],
            "contexts": [{"name": "admin", "context": {"cluster": "sim", "user": "admin", "namespace": "default"}},
                         {"name": "restricted", "context": {"cluster": "sim", "user": "developer",
                                                            "namespace": "sandbox"}}],
            "current-context": "admin",
        }
        fd = os.open(self.kubeconfig, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(cfg, fh, default_flow_style=False)

    # --- hooks used by the HTTP layer -------------------------------------------------------------
    def log_request(self, method: str, path: str, code: int, user: str) -> None:
        ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._log_lock:
            with open(self.log_file, "a", encoding="utf-8") as fh:
                fh.write(f"{ts} {method} {path} {code} {user}\n")

    def log_exception(self, exc: BaseException) -> None:
        with self._log_lock:
            with open(os.path.join(self.state_dir, "simulator-errors.log"), "a", encoding="utf-8") as fh:
                fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) + "\n")

    def read_log(self) -> str:
        with self._log_lock:
            try:
                with open(self.log_file, encoding="utf-8") as fh:
                    return fh.read()
            except FileNotFoundError:
                return ""

    def track_watch(self, w, add: bool) -> None:
        (self._watches.add if add else self._watches.discard)(w)

    def bump(self, rt, namespace: str | None, name: str) -> bool:
        """Change the object as a concurrent writer would (an annotation), moving its resourceVersion."""
        self._bumps += 1
        try:
            self.api.patch(rt, namespace if rt.namespaced else None, name, "merge",
                           {"metadata": {"annotations": {"simulator.ocp.registry/bump": str(self._bumps)}}},
                           user=SYSTEM)
            return True
        except errors.StatusError:
            return False
