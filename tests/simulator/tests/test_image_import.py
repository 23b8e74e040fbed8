"""ImageStreamImport against a real docker-registry (TLS + htpasswd), through the simulator's HTTPS API."""
import pytest

from ansible_collections.ocp.registry.tests.simulator.tests.image_e2e import (
    IMG, NS, add_pull_secret, start_image_sim, trust_registry_ca, unique_repo)

pytestmark = pytest.mark.registry


@pytest.fixture
def image_sim(simulator_factory):
    return start_image_sim(simulator_factory)


@pytest.fixture
def trusted(image_sim, docker_registry):
    """Simulator + registry with the CA trusted and a pull secret in the namespace."""
    sim, client = image_sim
    trust_registry_ca(client, docker_registry)
    add_pull_secret(client, docker_registry)
    return sim, client, docker_registry


def _events(stream, tag):
    for st in (stream.get("status") or {}).get("tags") or []:
        if st["tag"] == tag:
            return st.get("items") or []
    return []


def _conditions(stream, tag):
    for st in (stream.get("status") or {}).get("tags") or []:
        if st["tag"] == tag:
            return st.get("conditions") or []
    return []


def test_import_digest_matches_registry_and_overwrite_prepends(trusted, oci_images):
    sim, client, reg = trusted
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:latest")
    ref = f"{reg.host}/{repo}:latest"
    out = client.import_one("app", ref)
    st = out["status"]["images"][0]
    assert st["status"]["status"] == "Success", st
    assert st["tag"] == "latest"
    assert st["image"]["metadata"]["name"] == d1
    assert st["image"]["dockerImageReference"] == f"{reg.host}/{repo}@{d1}"
    assert "dockerImageManifest" not in st["image"]
    meta = st["image"]["dockerImageMetadata"]
    assert meta["Architecture"] == "amd64"
    assert meta["Config"]["Labels"]["org.example.version"] == "1"
    assert meta["Size"] > 0 and st["image"]["dockerImageLayers"][0]["size"] > 0
    stream = out["status"]["import"]
    assert [e["image"] for e in _events(stream, "latest")] == [d1]
    assert "openshift.io/image.dockerRepositoryCheck" in stream["metadata"]["annotations"]
    # the Image object exists cluster-wide and the istag resolves to it
    assert client.get(f"{IMG}/images/{d1}")["dockerImageReference"] == f"{reg.host}/{repo}@{d1}"
    ist = client.get(f"{IMG}/namespaces/{NS}/imagestreamtags/app:latest")
    assert ist["image"]["metadata"]["name"] == d1

    # overwrite the tag in the registry, import again: a new history item on top, the old one kept
    d2 = reg.push(oci_images["v2"], f"{repo}:latest")
    assert d2 != d1 and reg.digest(f"{repo}:latest") == d2
    out2 = client.import_one("app", ref)
    assert out2["status"]["images"][0]["image"]["metadata"]["name"] == d2
    stream2 = client.stream("app")
    assert [e["image"] for e in _events(stream2, "latest")] == [d2, d1]
    assert _events(stream2, "latest")[0]["generation"] == stream2["metadata"]["generation"]
    # importing the same image again changes nothing
    rv = stream2["metadata"]["resourceVersion"]
    client.import_one("app", ref)
    assert client.stream("app")["metadata"]["resourceVersion"] == rv


def test_include_manifest_and_docker_schema2(trusted, oci_images):
    client, reg = trusted[1:]
    repo = unique_repo()
    d = reg.push(oci_images["v3"], f"{repo}:s2", fmt="v2s2")
    code, out = client.isi("s2", [{"from": {"kind": "DockerImage", "name": f"{reg.host}/{repo}:s2"},
                                   "includeManifest": True}])
    assert code == 201, out
    img = out["status"]["images"][0]["image"]
    assert img["metadata"]["name"] == d
    assert img["dockerImageManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert '"schemaVersion"' in img["dockerImageManifest"]
    assert img["dockerImageConfig"]


def test_dry_run_import_false_creates_nothing(trusted, oci_images):
    client, reg = trusted[1:]
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:1.0")
    code, out = client.isi("dry", [{"from": {"kind": "DockerImage", "name": f"{reg.host}/{repo}:1.0"}}],
                           do_import=False)
    assert code == 201, out
    assert out["spec"]["images"][0]["to"] == {"name": "1.0"}   # defaulted from the source tag
    assert out["status"]["images"][0]["image"]["metadata"]["name"] == d1
    assert "import" not in out["status"]
    assert client.request("GET", f"{IMG}/namespaces/{NS}/imagestreams/dry")[0] == 404
    assert client.request("GET", f"{IMG}/images/{d1}")[0] == 404


def test_repository_import_with_limit(trusted, oci_images):
    sim, client, reg = trusted
    repo = unique_repo()
    digests = {}
    for tag, img in (("a", "v1"), ("b", "v2"), ("c", "v3")):
        digests[tag] = reg.push(oci_images[img], f"{repo}:{tag}")
    sim.config.max_images_bulk_imported_per_repository = 2
    code, out = client.isi("all", repository={"from": {"kind": "DockerImage", "name": f"{reg.host}/{repo}"}})
    assert code == 201, out
    rs = out["status"]["repository"]
    assert rs["status"]["status"] == "Success"
    assert [(i["tag"], i["image"]["metadata"]["name"]) for i in rs["images"]] == \
        [("a", digests["a"]), ("b", digests["b"])]
    assert rs["additionalTags"] == ["c"]
    stream = client.stream("all")
    spec = {t["name"]: t["from"]["name"] for t in stream["spec"]["tags"]}
    assert spec == {"a": f"{reg.host}/{repo}:a", "b": f"{reg.host}/{repo}:b"}
    assert _events(stream, "b")[0]["image"] == digests["b"]


def test_unauthorized_without_pull_secret_then_success(image_sim, docker_registry, oci_images):
    client = image_sim[1]
    reg = docker_registry
    trust_registry_ca(client, reg)
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:latest")
    ref = f"{reg.host}/{repo}:latest"
    out = client.import_one("private", ref)
    st = out["status"]["images"][0]["status"]
    assert (st["status"], st["reason"], st["code"]) == ("Failure", "Unauthorized", 401)
    stream = client.stream("private")
    cond = _conditions(stream, "latest")
    assert cond and cond[0]["type"] == "ImportSuccess" and cond[0]["status"] == "False"
    assert cond[0]["reason"] == "Unauthorized"
    assert _events(stream, "latest") == []
    # wrong password: still unauthorized
    add_pull_secret(client, reg, name="wrong", password="nope", kind="dockercfg")
    assert client.import_one("private", ref)["status"]["images"][0]["status"]["reason"] == "Unauthorized"
    # a right secret (legacy dockercfg format, URL key) works; conditions are cleared
    add_pull_secret(client, reg, name="right", kind="dockercfg")
    out = client.import_one("private", ref)
    assert out["status"]["images"][0]["image"]["metadata"]["name"] == d1
    stream = client.stream("private")
    assert _conditions(stream, "latest") == []
    assert _events(stream, "latest")[0]["image"] == d1


def test_excluded_pull_secret_is_not_used(image_sim, docker_registry, oci_images):
    client = image_sim[1]
    reg = docker_registry
    trust_registry_ca(client, reg)
    repo = unique_repo()
    reg.push(oci_images["v1"], f"{repo}:latest")
    add_pull_secret(client, reg, name="excluded")
    client.merge(f"/api/v1/namespaces/{NS}/secrets/excluded",
                 {"metadata": {"annotations": {"openshift.io/image.excludeSecret": "true"}}})
    out = client.import_one("excl", f"{reg.host}/{repo}:latest")
    assert out["status"]["images"][0]["status"]["reason"] == "Unauthorized"


def test_x509_then_trusted_ca(image_sim, docker_registry, oci_images):
    client = image_sim[1]
    reg = docker_registry
    add_pull_secret(client, reg)
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:latest")
    ref = f"{reg.host}/{repo}:latest"
    out = client.import_one("tls", ref)
    st = out["status"]["images"][0]["status"]
    assert st["reason"] == "InternalError" and st["code"] == 500
    assert "x509: certificate signed by unknown authority" in st["message"]
    trust_registry_ca(client, reg)
    out = client.import_one("tls", ref)
    assert out["status"]["images"][0]["image"]["metadata"]["name"] == d1


def test_insecure_policy_skips_verification(image_sim, docker_registry, oci_images):
    client = image_sim[1]
    reg = docker_registry
    add_pull_secret(client, reg)
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:latest")
    out = client.import_one("insec", f"{reg.host}/{repo}:latest", insecure=True)
    assert out["status"]["images"][0]["image"]["metadata"]["name"] == d1
    tag = client.stream("insec")["spec"]["tags"][0]
    assert tag["importPolicy"]["insecure"] is True


def test_plain_http_registry_needs_insecure(image_sim, registry_factory, oci_images):
    client = image_sim[1]
    reg = registry_factory("plain", tls=False, user=None)
    d1 = reg.push(oci_images["v1"], "plain/app:1")
    out = client.import_one("plain", f"{reg.host}/plain/app:1")
    st = out["status"]["images"][0]["status"]
    assert (st["reason"], st["code"]) == ("BadRequest", 400)
    assert "insecure" in st["message"]
    out = client.import_one("plain", f"{reg.host}/plain/app:1", insecure=True)
    assert out["status"]["images"][0]["image"]["metadata"]["name"] == d1


def test_not_found_tag_and_repository(trusted):
    client, reg = trusted[1:]
    out = client.import_one("nf", f"{reg.host}/{unique_repo()}:nope")
    st = out["status"]["images"][0]["status"]
    assert (st["reason"], st["code"]) == ("NotFound", 404)
    assert st["details"]["kind"] == "dockerimage"
    assert _conditions(client.stream("nf"), "nope")[0]["reason"] == "NotFound"


def test_connection_refused(image_sim, registry_factory, oci_images):
    client = image_sim[1]
    reg = registry_factory("gone", tls=False, user=None)
    host = reg.host
    reg.stop()
    out = client.import_one("down", f"{host}/x/y:1", insecure=True)
    st = out["status"]["images"][0]["status"]
    assert st["reason"] == "InternalError"
    assert "connection refused" in st["message"]


def test_stale_resource_version_and_uid(trusted, oci_images):
    client, reg = trusted[1:]
    repo = unique_repo()
    reg.push(oci_images["v1"], f"{repo}:latest")
    ref = f"{reg.host}/{repo}:latest"
    client.import_one("cc", ref)
    live = client.stream("cc")
    images = [{"from": {"kind": "DockerImage", "name": ref}}]
    code, out = client.isi("cc", images, metadata={"resourceVersion": "1"})
    assert code == 409, out
    code, out = client.isi("cc", images, metadata={"uid": "00000000-0000-0000-0000-000000000000"})
    assert code == 404, out
    code, out = client.isi("missing", images, metadata={"resourceVersion": live["metadata"]["resourceVersion"]})
    assert code == 404, out
    md = {"resourceVersion": live["metadata"]["resourceVersion"], "uid": live["metadata"]["uid"]}
    code, out = client.isi("cc", images, metadata=md)
    assert code == 201, out


def test_invalid_requests(image_sim):
    client = image_sim[1]
    code, out = client.isi("bad", [])
    assert code == 422 and out["reason"] == "Invalid"
    code, out = client.isi("bad", [{"from": {"kind": "ImageStreamTag", "name": "x:y"}}])
    assert code == 422
    code, out = client.isi("bad", repository={"from": {"kind": "DockerImage", "name": "quay.io/x/y:1"}})
    assert code == 422
    code, out = client.isi("bad", [{"from": {"kind": "DockerImage", "name": "quay.io/x/y:1"},
                                    "importPolicy": {"importMode": "Bogus"}}])
    assert code == 422


def test_manifest_list_legacy_and_preserve(trusted, oci_images, tmp_path):
    from ansible_collections.ocp.registry.tests.lib.registry import build_image
    client, reg = trusted[1:]
    repo = unique_repo()
    amd = reg.push(oci_images["v1"], f"{repo}:amd64")
    arm = reg.push(build_image(str(tmp_path), "arm", "arm", arch="arm64"), f"{repo}:arm64")
    lst = reg.push_manifest_list(f"{repo}:multi", [(amd, {"architecture": "amd64", "os": "linux"}),
                                                   (arm, {"architecture": "arm64", "os": "linux"})])
    ref = f"{reg.host}/{repo}:multi"
    out = client.import_one("legacy", ref)
    assert out["status"]["images"][0]["image"]["metadata"]["name"] == amd
    out = client.import_one("legacy", ref, to="arm")
    # prefer-arch annotation on the spec tag picks the arm64 sub-manifest
    stream = client.stream("legacy")
    for t in stream["spec"]["tags"]:
        if t["name"] == "arm":
            t["annotations"] = {"importer.image.openshift.io/prefer-arch": "arm64"}
    client.put(f"{IMG}/namespaces/{NS}/imagestreams/legacy", stream)
    out = client.import_one("legacy", ref, to="arm")
    assert out["status"]["images"][0]["image"]["metadata"]["name"] == arm
    out = client.import_one("keep", ref, importMode="PreserveOriginal")
    st = out["status"]["images"][0]
    assert st["image"]["metadata"]["name"] == lst
    assert [m["digest"] for m in st["image"]["dockerImageManifests"]] == [amd, arm]
    assert [m["metadata"]["name"] for m in st["manifests"]] == [amd, arm]
    assert _events(client.stream("keep"), "multi")[0]["image"] == lst
    assert client.get(f"{IMG}/images/{lst}")["dockerImageManifests"][1]["architecture"] == "arm64"
    assert client.get(f"{IMG}/images/{arm}")["dockerImageMetadata"]["Architecture"] == "arm64"


def test_server_side_dry_run_of_an_import(trusted, oci_images):
    client, reg = trusted[1:]
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:latest")
    body = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport", "metadata": {"name": "dryall"},
            "spec": {"import": True, "images": [{"from": {"kind": "DockerImage", "name": f"{reg.host}/{repo}:latest"}}]}}
    code, out = client.request("POST", f"{IMG}/namespaces/{NS}/imagestreamimports?dryRun=All", body)
    assert code == 201, out
    stream = out["status"]["import"]
    assert [e["image"] for e in _events(stream, "latest")] == [d1]
    assert client.request("GET", f"{IMG}/namespaces/{NS}/imagestreams/dryall")[0] == 404
    assert client.request("GET", f"{IMG}/images/{d1}")[0] == 404


def test_layers_subresource_after_import(trusted, oci_images):
    client, reg = trusted[1:]
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:latest")
    out = client.import_one("lay", f"{reg.host}/{repo}:latest")
    layers = out["status"]["images"][0]["image"]["dockerImageLayers"]
    got = client.get(f"{IMG}/namespaces/{NS}/imagestreams/lay/layers")
    assert got["kind"] == "ImageStreamLayers"
    assert got["images"][d1]["layers"] == [l["name"] for l in layers]
    assert got["blobs"][layers[0]["name"]]["size"] == layers[0]["size"]
    secrets = client.get(f"{IMG}/namespaces/{NS}/imagestreams/lay/secrets")
    assert secrets["kind"] == "SecretList" and [s["metadata"]["name"] for s in secrets["items"]] == ["reg-pull"]


def test_registry_sources_insecure_and_blocked(image_sim, registry_factory, oci_images):
    client = image_sim[1]
    reg = registry_factory("srcs", tls=False, user=None)
    d1 = reg.push(oci_images["v1"], "src/app:1")
    ref = f"{reg.host}/src/app:1"
    trust = {"spec": {"registrySources": {"insecureRegistries": [reg.host]}}}
    path = "/apis/config.openshift.io/v1/images/cluster"
    if client.request("GET", path)[0] == 404:
        client.post("/apis/config.openshift.io/v1/images",
                    {"apiVersion": "config.openshift.io/v1", "kind": "Image", "metadata": {"name": "cluster"}, "spec": {}})
    client.merge(path, trust)
    out = client.import_one("srcs", ref)          # no insecure flag on the request: the cluster allows it
    assert out["status"]["images"][0]["image"]["metadata"]["name"] == d1
    client.merge(path, {"spec": {"registrySources": {"insecureRegistries": None,
                                                     "blockedRegistries": ["127.0.0.1"]}}})
    out = client.import_one("srcs", ref, insecure=True)
    st = out["status"]["images"][0]["status"]
    assert (st["reason"], st["code"]) == ("Forbidden", 403)
    assert "blocked" in st["message"]
