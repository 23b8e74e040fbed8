"""A real Docker registry (distribution 2.8, Debian's ``docker-registry``) for tests.

Started on 127.0.0.1 with a free port, TLS from a throw-away CA and htpasswd (bcrypt) basic auth, as in
/work/shared/docs/test-recipes.md section 1. Images are built with ``umoci`` (no container engine) and pushed
with ``skopeo``; credentials go to skopeo through an ``--authfile`` written 0600, never on a command line.

API (other tests rely on it)::

    reg = start_registry(workdir)              # Registry
    reg.host, reg.url, reg.ca_file, reg.cert_dir, reg.user, reg.password, reg.workdir
    ref = build_image(workdir, "v1", "1")      # "oci:<layout>:v1"
    digest = reg.push(ref, "demo/app:latest")  # sha256:... as the registry reports it
    reg.digest("demo/app:latest"); reg.tags("demo/app"); reg.stop()
"""
import base64
import datetime
import hashlib
import http.client
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import time

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


class RegistryStartError(RuntimeError):
    pass


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_ca(cert_dir, common_name="CI Test Registry CA"):
    """Write ca.crt/ca.key into cert_dir; returns (cert_path, key_path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    os.makedirs(cert_dir, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(cert_dir, "ca.crt")
    key_path = os.path.join(cert_dir, "ca.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


def make_server_cert(cert_dir, ca_cert_path, ca_key_path, hosts=("127.0.0.1", "localhost"), name="server"):
    """Issue a serving certificate signed by the CA; returns (cert_path, key_path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    with open(ca_cert_path, "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    with open(ca_key_path, "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), password=None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sans = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path = os.path.join(cert_dir, name + ".crt")
    key_path = os.path.join(cert_dir, name + ".key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


class Registry:
    """A running docker-registry process. Use start_registry() to make one."""

    def __init__(self, workdir, host, tls, user, password, ca_file, cert_dir, process, log_path):
        self.workdir = workdir
        self.host = host
        self.tls = tls
        self.url = ("https://" if tls else "http://") + host
        self.user = user
        self.password = password
        self.ca_file = ca_file
        self.cert_dir = cert_dir
        self._process = process
        self.log_path = log_path
        self.authfile = os.path.join(workdir, "auth.json")
        if user is not None:
            _write_private(self.authfile, json.dumps({"auths": {host: {"auth": _b64(f"{user}:{password}")}}}))

    # --- lifecycle -----------------------------------------------------------------------------------
    def stop(self):
        proc, self._process = self._process, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()

    @property
    def running(self):
        return self._process is not None and self._process.poll() is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- HTTP -----------------------------------------------------------------------------------------
    def _conn(self):
        hostname, port = self.host.rsplit(":", 1)
        if self.tls:
            if self.ca_file:
                ctx = ssl.create_default_context(cafile=self.ca_file)
            else:   # caller-supplied serving cert without a ca.crt next to it: talk to it unverified
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(hostname, int(port), context=ctx, timeout=30)
        return http.client.HTTPConnection(hostname, int(port), timeout=30)

    def request(self, method, path, body=None, headers=None, auth=True):
        """Plain request against the registry; returns (status, headers dict (lower-case), body bytes)."""
        hdrs = dict(headers or {})
        if auth and self.user is not None:
            hdrs["Authorization"] = "Basic " + _b64(f"{self.user}:{self.password}")
        conn = self._conn()
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def digest(self, repo_tag):
        """The Docker-Content-Digest the registry reports for repo:tag (or repo@digest)."""
        repo, ref = _split_repo_ref(repo_tag)
        status, headers, _body = self.request("HEAD", f"/v2/{repo}/manifests/{ref}", headers={"Accept": MANIFEST_ACCEPT})
        if status != 200:
            raise LookupError(f"{repo_tag}: HTTP {status}")
        return headers["docker-content-digest"]

    def manifest(self, repo_tag):
        """(media type, raw bytes) of a manifest."""
        repo, ref = _split_repo_ref(repo_tag)
        status, headers, data = self.request("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": MANIFEST_ACCEPT})
        if status != 200:
            raise LookupError(f"{repo_tag}: HTTP {status}")
        return headers.get("content-type"), data

    def tags(self, repo):
        status, _headers, data = self.request("GET", f"/v2/{repo}/tags/list")
        if status == 404:
            return []
        if status != 200:
            raise LookupError(f"{repo}: HTTP {status}")
        return sorted(json.loads(data).get("tags") or [])

    def delete_tag(self, repo_tag):
        """Delete the manifest a tag points at (removes every tag on that digest)."""
        repo = _split_repo_ref(repo_tag)[0]
        digest = self.digest(repo_tag)
        status, _headers, data = self.request("DELETE", f"/v2/{repo}/manifests/{digest}")
        if status != 202:
            raise RuntimeError(f"delete {repo_tag}: HTTP {status} {data[:200]!r}")

    # --- pushing --------------------------------------------------------------------------------------
    def push(self, oci_ref, repo_tag, fmt=None):
        """skopeo copy oci_ref -> docker://host/repo_tag; returns the manifest digest in the registry.

        fmt: None (keep the OCI manifest), "oci", "v2s2" (Docker schema 2)."""
        cmd = ["skopeo", "copy", "--quiet"]
        if fmt:
            cmd += ["--format", fmt]
        if self.user is not None:
            cmd += ["--dest-authfile", self.authfile]
        if self.tls:
            cmd += ["--dest-cert-dir", self.cert_dir]
        else:
            cmd += ["--dest-tls-verify=false"]
        cmd += [oci_ref, f"docker://{self.host}/{repo_tag}"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False,
                             env=dict(os.environ, REGISTRY_AUTH_FILE=self.authfile))
        if res.returncode != 0:
            raise RuntimeError(f"skopeo copy to {repo_tag} failed (rc {res.returncode}): {res.stderr.strip()}")
        return self.digest(repo_tag)

    def push_manifest_list(self, repo_tag, entries, oci=False):
        """Upload a manifest list / OCI index referencing manifests already in the same repository.

        entries: [(digest, {"architecture": ..., "os": ..., "variant": optional})]. Returns its digest."""
        repo, ref = _split_repo_ref(repo_tag)
        manifests = []
        for digest, platform in entries:
            mtype, raw = self.manifest(f"{repo}@{digest}")
            manifests.append({"mediaType": mtype, "size": len(raw), "digest": digest,
                              "platform": {k: v for k, v in platform.items() if v}})
        if oci:
            mtype = "application/vnd.oci.image.index.v1+json"
            doc = {"schemaVersion": 2, "mediaType": mtype, "manifests": manifests}
        else:
            mtype = "application/vnd.docker.distribution.manifest.list.v2+json"
            doc = {"schemaVersion": 2, "mediaType": mtype, "manifests": manifests}
        body = json.dumps(doc, indent=3).encode()
        status, headers, data = self.request("PUT", f"/v2/{repo}/manifests/{ref}", body=body,
                                             headers={"Content-Type": mtype})
        if status not in (200, 201):
            raise RuntimeError(f"manifest list upload to {repo_tag}: HTTP {status} {data[:300]!r}")
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        assert headers.get("docker-content-digest", digest) == digest
        return digest


def _b64(s):
    return base64.b64encode(s.encode()).decode()


def _write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def _split_repo_ref(repo_tag):
    if "@" in repo_tag:
        return repo_tag.split("@", 1)
    last = repo_tag.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = repo_tag.rsplit(":", 1)
        return repo, tag
    return repo_tag, "latest"


def _htpasswd_line(user, password):
    try:
        import bcrypt  # noqa: F401 (optional)
        import bcrypt as _b
        return f"{user}:{_b.hashpw(password.encode(), _b.gensalt(rounds=5)).decode()}\n"
    except ImportError:
        pass
    if shutil.which("htpasswd") is None:
        raise RegistryStartError("neither the bcrypt module nor htpasswd (apache2-utils) is available")
    # -i reads the password from stdin: it never appears on a command line.
    res = subprocess.run(["htpasswd", "-niB", "-C", "5", user], input=password + "\n", capture_output=True,
                         text=True, timeout=30, check=False)
    if res.returncode != 0:
        raise RegistryStartError(f"htpasswd failed: {res.stderr.strip()}")
    return res.stdout.strip() + "\n"


def _config_yaml(data_dir, addr, tls, cert, key, htpasswd):
    lines = [
        "version: 0.1",
        "log: {level: info, fields: {service: registry}, accesslog: {disabled: true}}",
        "storage:",
        f"  filesystem: {{rootdirectory: {json.dumps(data_dir)}}}",
        "  delete: {enabled: true}",
        "  cache: {blobdescriptor: inmemory}",
        "http:",
        f"  addr: {addr}",
        "  secret: ci-test-secret",
        "  headers: {X-Content-Type-Options: [nosniff]}",
    ]
    if tls:
        lines += ["  tls:", f"    certificate: {json.dumps(cert)}", f"    key: {json.dumps(key)}"]
    if htpasswd:
        lines += ["auth:", f"  htpasswd: {{realm: ci-registry, path: {json.dumps(htpasswd)}}}"]
    return "\n".join(lines) + "\n"


def start_registry(workdir, *, user="ciuser", password="cipass", tls=True, server_cert=None, server_key=None):
    """Start docker-registry on 127.0.0.1:<free port>; waits until /v2/ answers (401 with auth, else 200).

    user=None disables authentication. server_cert/server_key: use these instead of a generated pair (then
    ca_file is None unless a ca.crt sits next to server_cert)."""
    binary = shutil.which("docker-registry")
    if binary is None:
        raise RegistryStartError("docker-registry binary not found (apt-get install docker-registry)")
    workdir = os.path.abspath(workdir)
    os.makedirs(workdir, exist_ok=True)
    cert_dir = os.path.join(workdir, "certs")
    ca_file = None
    cert = key = None
    if tls:
        if server_cert and server_key:
            cert, key = server_cert, server_key
            guess = os.path.join(os.path.dirname(server_cert), "ca.crt")
            os.makedirs(cert_dir, exist_ok=True)
            if os.path.exists(guess):
                ca_file = os.path.join(cert_dir, "ca.crt")
                if os.path.abspath(guess) != ca_file:
                    shutil.copyfile(guess, ca_file)
        else:
            ca_file, ca_key = make_ca(cert_dir)
            cert, key = make_server_cert(cert_dir, ca_file, ca_key)
            # skopeo --cert-dir treats *.crt as CA files and expects <name>.cert/<name>.key pairs for
            # client certificates; keep only ca.crt there.
            server_dir = os.path.join(workdir, "server-tls")
            os.makedirs(server_dir, exist_ok=True)
            cert = shutil.move(cert, os.path.join(server_dir, "server.crt"))
            key = shutil.move(key, os.path.join(server_dir, "server.key"))
            shutil.move(ca_key, os.path.join(server_dir, "ca.key"))
    htpasswd = None
    if user is not None:
        htpasswd = os.path.join(workdir, "htpasswd")
        _write_private(htpasswd, _htpasswd_line(user, password))
    data_dir = os.path.join(workdir, "data")
    os.makedirs(data_dir, exist_ok=True)
    log_path = os.path.join(workdir, "registry.log")
    last_error = None
    for _attempt in range(5):
        port = _free_port()
        host = f"127.0.0.1:{port}"
        config = os.path.join(workdir, "config.yml")
        with open(config, "w") as f:
            f.write(_config_yaml(data_dir, host, tls, cert, key, htpasswd))
        log = open(log_path, "ab")
        proc = subprocess.Popen([binary, "serve", config], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=workdir, preexec_fn=_die_with_parent)
        log.close()
        reg = Registry(workdir, host, tls, user, password, ca_file, cert_dir, proc, log_path)
        try:
            _wait_ready(reg, expect=401 if user is not None else 200)
            return reg
        except RegistryStartError as exc:
            last_error = exc
            reg.stop()
    raise RegistryStartError(f"docker-registry did not start: {last_error}; see {log_path}")


def _die_with_parent():
    """Child-side: ask Linux to SIGTERM the registry if the test process dies without tearing down."""
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort (non-Linux)
        pass


def _wait_ready(reg, expect, timeout=20.0):
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        if not reg.running:
            raise RegistryStartError("process exited")
        try:
            status = reg.request("GET", "/v2/", auth=False)[0]
            if status == expect:
                return
        except (OSError, ssl.SSLError, http.client.HTTPException):
            pass
        if time.monotonic() > deadline:
            raise RegistryStartError(f"/v2/ did not answer {expect} within {timeout}s")
        time.sleep(delay)  # polling a starting process: there is no event to wait on
        delay = min(delay * 2, 0.2)


def build_image(workdir, name, version_label, arch="amd64", os_name="linux"):
    """Build a tiny single-layer OCI image with umoci; distinct content per version_label.

    Returns "oci:<layout dir>:<name>" for skopeo. Several names can share one layout (workdir/oci)."""
    if shutil.which("umoci") is None:
        raise RuntimeError("umoci not found (apt-get install umoci)")
    workdir = os.path.abspath(workdir)
    os.makedirs(workdir, exist_ok=True)
    layout = os.path.join(workdir, "oci")
    if not os.path.exists(os.path.join(layout, "index.json")):
        _run(["umoci", "init", "--layout", layout])
    image = f"{layout}:{name}"
    bundle = os.path.join(workdir, f"bundle-{name}")
    if os.path.exists(bundle):
        shutil.rmtree(bundle)
    _run(["umoci", "new", "--image", image])
    _run(["umoci", "unpack", "--image", image, bundle])
    with open(os.path.join(bundle, "rootfs", "VERSION"), "w") as f:
        f.write(f"version {version_label}\n")
    _run(["umoci", "repack", "--image", image, bundle])
    _run(["umoci", "config", "--image", image, "--config.label", f"org.example.version={version_label}",
          "--config.cmd", "/bin/true", "--architecture", arch, "--os", os_name])
    shutil.rmtree(bundle)
    return f"oci:{image}"


def _run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (rc {res.returncode}): {res.stderr.strip()}")
    return res.stdout
