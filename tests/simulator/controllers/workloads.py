"""Kube-side controllers the registry operator relies on (the simulator has no kubelet or scheduler).

* WorkloadController: Deployments (with their ReplicaSets), StatefulSets, DaemonSets and standalone
  ReplicaSets get a status as if their pods started. Each new generation is first observed
  (Progressing=True ReplicaSetUpdated, nothing new available yet) and becomes available one
  controller delay later (Progressing=True NewReplicaSetAvailable, Available=True).
* PVCBinder: claims get Bound (volumeName, a PersistentVolume, status.phase/capacity/accessModes)
  when their StorageClass exists; a claim naming a missing class, or none at all, stays Pending.
* ServiceCAController: the service-ca operator's two jobs the registry needs: a kubernetes.io/tls Secret
  for Services annotated `service.{alpha,beta}.openshift.io/serving-cert-secret-name`, and
  `service-ca.crt` injected into ConfigMaps annotated `service.beta.openshift.io/inject-cabundle: "true"`.

Injected failure (so timeout paths of modules can be tested): a Deployment, StatefulSet or DaemonSet
annotated `simulator.ocp.registry/unavailable: "true"` never gets available replicas (Progressing stays
True ReplicaSetUpdated); with the value `"deadline"` its Progressing condition becomes False
ProgressDeadlineExceeded at once. The same applies to every workload named in
`config.unavailable_workloads` (a set of "namespace/name" strings), for objects an operator owns and
would re-create.
"""
from __future__ import annotations

import copy
import datetime
import hashlib
import json

from ..errors import StatusError
from .common import (CONFIGMAPS, DAEMONSETS, DEPLOYMENTS, NODES, PVCS, PVS, REPLICASETS, SECRETS, SERVICES,
                     STATEFULSETS, STORAGECLASSES, find_condition, get_or_none, list_items, now_ts,
                     rfc3339, update_or_requeue, update_status_with_retry)
from .manager import Controller, Requeue

UNAVAILABLE_ANNOTATION = "simulator.ocp.registry/unavailable"
SERVING_CERT_ANNOTATIONS = ("service.beta.openshift.io/serving-cert-secret-name",
                            "service.alpha.openshift.io/serving-cert-secret-name")
INJECT_CABUNDLE = "service.beta.openshift.io/inject-cabundle"
SERVICE_CA_NS = "openshift-service-ca"
SERVICE_CA_SECRET = "signing-key"


def template_hash(template: dict) -> str:
    digest = hashlib.sha256(json.dumps(template or {}, sort_keys=True).encode()).hexdigest()
    # pod-template-hash values are short alphanumeric strings
    return "".join(c for c in digest if c in "bcdfghjklmnpqrstvwxz2456789")[:10] or digest[:10]


def unavailable_mode(config, obj: dict) -> str | None:
    md = obj.get("metadata") or {}
    v = (md.get("annotations") or {}).get(UNAVAILABLE_ANNOTATION)
    if v in ("true", "deadline"):
        return v
    names = getattr(config, "unavailable_workloads", None) or ()
    if f"{md.get('namespace')}/{md.get('name')}" in names:
        return "true"
    return None


def _cond(ctype: str, status: str, reason: str, message: str, now: str, old: list | None,
          update_time: bool = True) -> dict:
    prev = find_condition(old, ctype)
    ltt = prev.get("lastTransitionTime") if prev and prev.get("status") == status else now
    c = {"type": ctype, "status": status}
    if update_time:
        lut = prev.get("lastUpdateTime") if prev and prev.get("status") == status and \
            prev.get("reason") == reason and prev.get("message") == message else now
        c["lastUpdateTime"] = lut
    c.update({"lastTransitionTime": ltt, "reason": reason, "message": message})
    return c


def _tolerated(taints: list, tolerations: list) -> bool:
    for t in taints or []:
        if t.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        ok = False
        for tol in tolerations or []:
            if tol.get("operator") == "Exists" and not tol.get("key"):
                ok = True
            elif tol.get("key") == t.get("key") and (tol.get("operator") == "Exists"
                                                     or tol.get("value") == t.get("value")) \
                    and (not tol.get("effect") or tol.get("effect") == t.get("effect")):
                ok = True
        if not ok:
            return False
    return True


class WorkloadController(Controller):
    name = "workloads"
    watches = [("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"), ("apps", "replicasets"),
               ("", "nodes")]

    def __init__(self, config):
        self.config = config

    def keys_for(self, event, rt, obj):
        md = obj.get("metadata") or {}
        if event == "DELETED":
            return []
        if rt.key == NODES.key:
            return [(DAEMONSETS.key, d["metadata"].get("namespace"), d["metadata"]["name"])
                    for d in self._all_daemonsets]
        if rt.key == REPLICASETS.key and md.get("ownerReferences"):
            return []      # managed through their Deployment
        return [(rt.key, md.get("namespace"), md.get("name"))]

    @property
    def _all_daemonsets(self) -> list:
        api = getattr(self, "_api", None)
        return list_items(api, DAEMONSETS) if api is not None else []

    def sync(self, ctx, key):
        self._api = ctx.api
        rkey, ns, name = key
        rtype = {DEPLOYMENTS.key: DEPLOYMENTS, STATEFULSETS.key: STATEFULSETS, DAEMONSETS.key: DAEMONSETS,
                 REPLICASETS.key: REPLICASETS}[tuple(rkey)]
        obj = get_or_none(ctx.api, rtype, ns, name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return
        now = rfc3339(now_ts(self.config))
        if rtype is DEPLOYMENTS:
            self._deployment(ctx.api, obj, now)
        elif rtype is DAEMONSETS:
            self._daemonset(ctx.api, obj, now)
        elif rtype is STATEFULSETS:
            self._statefulset(ctx.api, obj, now)
        else:
            self._replicaset(ctx.api, obj, now)

    # --- Deployments ---------------------------------------------------------------------------
    def _deployment(self, api, d: dict, now: str) -> None:
        md, spec = d["metadata"], d.get("spec") or {}
        gen = int(md.get("generation") or 1)
        replicas = int(spec.get("replicas", 1))
        h = template_hash(spec.get("template"))
        rs_name = f"{md['name']}-{h}"
        self._ensure_replicasets(api, d, rs_name, h, replicas)
        old = d.get("status") or {}
        old_conds = old.get("conditions") or []
        mode = unavailable_mode(self.config, d)
        first_pass = int(old.get("observedGeneration") or 0) < gen
        if mode is not None or first_pass:
            prev_avail = 0 if mode is not None else int(old.get("availableReplicas") or 0)
            prev_avail = min(prev_avail, replicas)
            if mode == "deadline":
                prog = _cond("Progressing", "False", "ProgressDeadlineExceeded",
                             f'ReplicaSet "{rs_name}" has timed out progressing.', now, old_conds)
            else:
                prog = _cond("Progressing", "True", "ReplicaSetUpdated",
                             f'ReplicaSet "{rs_name}" is progressing.', now, old_conds)
            avail_ok = prev_avail > 0 or replicas == 0
            avail = _cond("Available", "True" if avail_ok else "False",
                          "MinimumReplicasAvailable" if avail_ok else "MinimumReplicasUnavailable",
                          "Deployment has minimum availability." if avail_ok
                          else "Deployment does not have minimum availability.", now, old_conds)
            status = {"observedGeneration": gen, "replicas": max(replicas, prev_avail),
                      "updatedReplicas": 0 if mode is None else replicas,
                      "readyReplicas": prev_avail, "availableReplicas": prev_avail,
                      "unavailableReplicas": max(replicas - prev_avail, 0),
                      "conditions": [avail, prog]}
            self._write_status(api, DEPLOYMENTS, d, status)
            if mode is None:
                raise Requeue(max(self.config.controller_delay, 0.01))
            return
        avail = _cond("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.",
                      now, old_conds)
        prog = _cond("Progressing", "True", "NewReplicaSetAvailable",
                     f'ReplicaSet "{rs_name}" has successfully progressed.', now, old_conds)
        status = {"observedGeneration": gen, "replicas": replicas, "updatedReplicas": replicas,
                  "readyReplicas": replicas, "availableReplicas": replicas, "conditions": [avail, prog]}
        if replicas == 0:
            for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
                status.pop(k)
        self._write_status(api, DEPLOYMENTS, d, status)

    def _ensure_replicasets(self, api, d: dict, rs_name: str, h: str, replicas: int) -> None:
        md = d["metadata"]
        ns = md.get("namespace")
        owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": md["name"], "uid": md.get("uid"),
                 "controller": True, "blockOwnerDeletion": True}
        for rs in list_items(api, REPLICASETS, ns):
            refs = rs["metadata"].get("ownerReferences") or []
            if any(r.get("uid") == md.get("uid") for r in refs) and rs["metadata"]["name"] != rs_name \
                    and (rs.get("spec") or {}).get("replicas") != 0:
                new = copy.deepcopy(rs)
                new["spec"]["replicas"] = 0
                try:
                    out = api.update(REPLICASETS, ns, rs["metadata"]["name"], new)
                    self._write_status(api, REPLICASETS, out, {"replicas": 0, "observedGeneration":
                                                               out["metadata"].get("generation", 1)})
                except StatusError:
                    pass
        template = copy.deepcopy((d.get("spec") or {}).get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
        selector = copy.deepcopy((d.get("spec") or {}).get("selector") or {})
        selector.setdefault("matchLabels", {})["pod-template-hash"] = h
        rs = get_or_none(api, REPLICASETS, ns, rs_name)
        if rs is None:
            body = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": rs_name, "namespace": ns,
                                 "labels": dict(template["metadata"]["labels"]),
                                 "ownerReferences": [owner],
                                 "annotations": {"deployment.kubernetes.io/revision": "1"}},
                    "spec": {"replicas": replicas, "selector": selector, "template": template}}
            try:
                rs = api.create(REPLICASETS, ns, body)
            except StatusError:
                return
        elif (rs.get("spec") or {}).get("replicas") != replicas:
            new = copy.deepcopy(rs)
            new["spec"]["replicas"] = replicas
            rs = api.update(REPLICASETS, ns, rs_name, new)
        if unavailable_mode(self.config, d) is None:
            self._write_status(api, REPLICASETS, rs, {
                "replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas,
                "availableReplicas": replicas, "observedGeneration": rs["metadata"].get("generation", 1)})

    # --- other kinds ---------------------------------------------------------------------------
    def _replicaset(self, api, rs: dict, now: str) -> None:
        replicas = int((rs.get("spec") or {}).get("replicas", 1))
        ok = unavailable_mode(self.config, rs) is None
        self._write_status(api, REPLICASETS, rs, {
            "replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas if ok else 0,
            "availableReplicas": replicas if ok else 0, "observedGeneration": rs["metadata"].get("generation", 1)})

    def _statefulset(self, api, s: dict, now: str) -> None:
        md, spec = s["metadata"], s.get("spec") or {}
        gen = int(md.get("generation") or 1)
        replicas = int(spec.get("replicas", 1))
        rev = f"{md['name']}-{template_hash(spec.get('template'))}"
        old = s.get("status") or {}
        mode = unavailable_mode(self.config, s)
        if mode is not None or int(old.get("observedGeneration") or 0) < gen:
            status = {"observedGeneration": gen, "replicas": replicas, "readyReplicas": 0, "currentReplicas": 0,
                      "updatedReplicas": 0, "availableReplicas": 0, "updateRevision": rev,
                      "currentRevision": old.get("currentRevision") or rev, "collisionCount": 0}
            self._write_status(api, STATEFULSETS, s, status)
            if mode is None:
                raise Requeue(max(self.config.controller_delay, 0.01))
            return
        self._write_status(api, STATEFULSETS, s, {
            "observedGeneration": gen, "replicas": replicas, "readyReplicas": replicas, "currentReplicas": replicas,
            "updatedReplicas": replicas, "availableReplicas": replicas, "updateRevision": rev,
            "currentRevision": rev, "collisionCount": 0})

    def _daemonset(self, api, ds: dict, now: str) -> None:
        md, spec = ds["metadata"], ds.get("spec") or {}
        gen = int(md.get("generation") or 1)
        pod = ((spec.get("template") or {}).get("spec") or {})
        selector = pod.get("nodeSelector") or {}
        desired = 0
        for node in list_items(api, NODES):
            labels = node["metadata"].get("labels") or {}
            if all(labels.get(k) == v for k, v in selector.items()) and \
                    _tolerated((node.get("spec") or {}).get("taints"), pod.get("tolerations")):
                desired += 1
        old = ds.get("status") or {}
        mode = unavailable_mode(self.config, ds)
        if mode is not None or int(old.get("observedGeneration") or 0) < gen:
            prev = 0 if mode is not None else int(old.get("numberAvailable") or 0)
            status = {"observedGeneration": gen, "desiredNumberScheduled": desired,
                      "currentNumberScheduled": desired, "numberMisscheduled": 0, "numberReady": prev,
                      "numberAvailable": prev, "numberUnavailable": max(desired - prev, 0),
                      "updatedNumberScheduled": 0}
            if not prev:
                status.pop("numberAvailable")
            self._write_status(api, DAEMONSETS, ds, status)
            if mode is None:
                raise Requeue(max(self.config.controller_delay, 0.01))
            return
        status = {"observedGeneration": gen, "desiredNumberScheduled": desired, "currentNumberScheduled": desired,
                  "numberMisscheduled": 0, "numberReady": desired, "numberAvailable": desired,
                  "updatedNumberScheduled": desired}
        if not desired:
            status.pop("numberAvailable")
        self._write_status(api, DAEMONSETS, ds, status)

    @staticmethod
    def _write_status(api, rtype, obj: dict, status: dict) -> None:
        md = obj["metadata"]

        def fn(o: dict) -> None:
            o["status"] = copy.deepcopy(status)

        update_status_with_retry(api, rtype, md.get("namespace"), md["name"], fn)


# =================================================================================================
class PVCBinder(Controller):
    name = "pv-binder"
    watches = [("", "persistentvolumeclaims"), ("storage.k8s.io", "storageclasses")]

    def __init__(self, config):
        self.config = config

    def keys_for(self, event, rt, obj):
        md = obj.get("metadata") or {}
        if rt.key == STORAGECLASSES.key:
            return [("pvcs",)]
        if event == "DELETED":
            vol = (obj.get("spec") or {}).get("volumeName")
            return [("release", vol)] if vol else []
        return [(md.get("namespace"), md.get("name"))]

    def sync(self, ctx, key):
        api = ctx.api
        if key == ("pvcs",):
            for pvc in list_items(api, PVCS):
                if (pvc.get("status") or {}).get("phase") != "Bound":
                    self._bind(api, pvc)
            return
        if key[0] == "release":
            pv = get_or_none(api, PVS, None, key[1])
            if pv is not None and (pv.get("spec") or {}).get("persistentVolumeReclaimPolicy") == "Delete":
                try:
                    api.delete(PVS, None, key[1])
                except StatusError:
                    pass
            return
        pvc = get_or_none(api, PVCS, key[0], key[1])
        if pvc is None or pvc["metadata"].get("deletionTimestamp"):
            return
        self._bind(api, pvc)

    def _bind(self, api, pvc: dict) -> None:
        md, spec = pvc["metadata"], pvc.get("spec") or {}
        ns, name = md.get("namespace"), md["name"]
        request = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        status = pvc.get("status") or {}
        if status.get("phase") == "Bound":
            sc = get_or_none(api, STORAGECLASSES, None, spec.get("storageClassName") or "")
            if sc is not None and sc.get("allowVolumeExpansion") and \
                    (status.get("capacity") or {}).get("storage") != request:
                update_status_with_retry(api, PVCS, ns, name,
                                         lambda o: o["status"].setdefault("capacity", {}).update(storage=request))
            return
        sc_name = spec.get("storageClassName")
        if sc_name is None:
            # retroactive default StorageClass assignment (Kubernetes >= 1.28)
            default = next((c for c in list_items(api, STORAGECLASSES)
                            if ((c["metadata"].get("annotations") or {}).get(
                                "storageclass.kubernetes.io/is-default-class") == "true")), None)
            if default is not None:
                new = copy.deepcopy(pvc)
                new["spec"]["storageClassName"] = default["metadata"]["name"]
                pvc = update_or_requeue(api, PVCS, ns, name, new)
                spec = pvc.get("spec") or {}
                sc_name = spec.get("storageClassName")
        sc = get_or_none(api, STORAGECLASSES, None, sc_name) if sc_name else None
        if sc is None:
            if status.get("phase") != "Pending":
                update_status_with_retry(api, PVCS, ns, name, lambda o: o.__setitem__("status", {"phase": "Pending"}))
            return
        vol = spec.get("volumeName") or f"pvc-{md.get('uid')}"
        if get_or_none(api, PVS, None, vol) is None:
            try:
                api.create(PVS, None, {
                    "apiVersion": "v1", "kind": "PersistentVolume",
                    "metadata": {"name": vol, "annotations": {"pv.kubernetes.io/provisioned-by":
                                                              sc.get("provisioner", "")}},
                    "spec": {"capacity": {"storage": request}, "accessModes": list(spec.get("accessModes") or []),
                             "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                             "storageClassName": sc_name, "volumeMode": spec.get("volumeMode", "Filesystem"),
                             "claimRef": {"kind": "PersistentVolumeClaim", "namespace": ns, "name": name,
                                          "uid": md.get("uid"), "apiVersion": "v1"},
                             "csi": {"driver": sc.get("provisioner", ""), "volumeHandle": vol}}})
                update_status_with_retry(api, PVS, None, vol, lambda o: o.__setitem__("status", {"phase": "Bound"}))
            except StatusError:
                pass
        if spec.get("volumeName") != vol:
            new = copy.deepcopy(pvc)
            new["spec"]["volumeName"] = vol
            anns = new["metadata"].setdefault("annotations", {})
            anns["pv.kubernetes.io/bind-completed"] = "yes"
            anns["pv.kubernetes.io/bound-by-controller"] = "yes"
            anns["volume.kubernetes.io/storage-provisioner"] = sc.get("provisioner", "")
            update_or_requeue(api, PVCS, ns, name, new)

        def fn(o: dict) -> None:
            o["status"] = {"phase": "Bound", "accessModes": list(spec.get("accessModes") or []),
                           "capacity": {"storage": request}}

        update_status_with_retry(api, PVCS, ns, name, fn)


# =================================================================================================
class ServiceCA:
    """A service-serving CA, kept in openshift-service-ca/signing-key so restarts keep trusting it."""

    def __init__(self, api):
        from ..errors import StatusError as _SE
        from .common import NAMESPACES
        self.api = api
        secret = None
        if get_or_none(api, NAMESPACES, None, SERVICE_CA_NS) is None:
            try:
                api.create(NAMESPACES, None, {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": SERVICE_CA_NS}})
            except _SE:
                pass
        secret = get_or_none(api, SECRETS, SERVICE_CA_NS, SERVICE_CA_SECRET)
        import base64
        if secret is not None and (secret.get("data") or {}).get("tls.crt"):
            self.cert_pem = base64.b64decode(secret["data"]["tls.crt"])
            self.key_pem = base64.b64decode(secret["data"]["tls.key"])
        else:
            self.cert_pem, self.key_pem = self._new_ca()
            try:
                api.create(SECRETS, SERVICE_CA_NS, {
                    "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                    "metadata": {"name": SERVICE_CA_SECRET, "namespace": SERVICE_CA_NS},
                    "data": {"tls.crt": base64.b64encode(self.cert_pem).decode(),
                             "tls.key": base64.b64encode(self.key_pem).decode()}})
            except _SE:
                pass

    @staticmethod
    def _new_ca() -> tuple[bytes, bytes]:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "openshift-service-serving-signer@simulator")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=780))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
        return (cert.public_bytes(serialization.Encoding.PEM),
                key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))

    def serving_cert(self, hosts: list[str]) -> tuple[bytes, bytes]:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
        ca_cert = x509.load_pem_x509_certificate(self.cert_pem)
        ca_key = serialization.load_pem_private_key(self.key_pem, None)
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=730))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        return (cert.public_bytes(serialization.Encoding.PEM) + self.cert_pem,
                key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))


class ServiceCAController(Controller):
    name = "service-ca"
    watches = [("", "services"), ("", "configmaps"), ("", "secrets")]

    def __init__(self, config):
        self.config = config
        self._ca: ServiceCA | None = None

    def ca(self, api) -> ServiceCA:
        if self._ca is None:
            self._ca = ServiceCA(api)
        return self._ca

    def keys_for(self, event, rt, obj):
        md = obj.get("metadata") or {}
        anns = md.get("annotations") or {}
        if rt.key == SERVICES.key and event != "DELETED" and any(anns.get(a) for a in SERVING_CERT_ANNOTATIONS):
            return [("svc", md.get("namespace"), md.get("name"))]
        if rt.key == CONFIGMAPS.key and event != "DELETED" and anns.get(INJECT_CABUNDLE) == "true":
            return [("cm", md.get("namespace"), md.get("name"))]
        if rt.key == SECRETS.key and event == "DELETED":
            svc = anns.get("service.beta.openshift.io/originating-service-name")
            if svc:
                return [("svc", md.get("namespace"), svc)]
        return []

    def sync(self, ctx, key):
        import base64
        api = ctx.api
        kind, ns, name = key
        ca = self.ca(api)
        if kind == "cm":
            cm = get_or_none(api, CONFIGMAPS, ns, name)
            if cm is None or ((cm["metadata"].get("annotations") or {}).get(INJECT_CABUNDLE) != "true"):
                return
            pem = ca.cert_pem.decode()
            if (cm.get("data") or {}).get("service-ca.crt") == pem:
                return
            new = copy.deepcopy(cm)
            new.setdefault("data", {})
            new["data"]["service-ca.crt"] = pem
            update_or_requeue(api, CONFIGMAPS, ns, name, new)
            return
        svc = get_or_none(api, SERVICES, ns, name)
        if svc is None:
            return
        anns = svc["metadata"].get("annotations") or {}
        secret_name = next((anns[a] for a in SERVING_CERT_ANNOTATIONS if anns.get(a)), None)
        if not secret_name:
            return
        if get_or_none(api, SECRETS, ns, secret_name) is not None:
            return
        hosts = [f"{name}.{ns}.svc", f"{name}.{ns}.svc.cluster.local"]
        crt, key_pem = ca.serving_cert(hosts)
        try:
            api.create(SECRETS, ns, {
                "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                "metadata": {"name": secret_name, "namespace": ns, "annotations": {
                    "service.beta.openshift.io/originating-service-name": name,
                    "service.beta.openshift.io/originating-service-uid": svc["metadata"].get("uid", ""),
                    "service.beta.openshift.io/expiry": rfc3339(now_ts(self.config) + 730 * 86400)},
                    "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": name,
                                         "uid": svc["metadata"].get("uid")}]},
                "data": {"tls.crt": base64.b64encode(crt).decode(), "tls.key": base64.b64encode(key_pem).decode()}})
        except StatusError as e:
            if e.code != 409:
                raise
        signed_by = "service.beta.openshift.io/serving-cert-signed-by"
        if anns.get(signed_by) != "openshift-service-serving-signer@simulator":
            new = copy.deepcopy(svc)
            new["metadata"].setdefault("annotations", {})[signed_by] = "openshift-service-serving-signer@simulator"
            update_or_requeue(api, SERVICES, ns, name, new)
