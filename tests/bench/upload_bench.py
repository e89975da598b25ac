#!/usr/bin/env python3
"""Upload benchmark: `gopay-miniapp upload` vs curl sending the same bytes to the same local
portal on loopback. Median of several runs, in one run of this script. Prints throughput, the
ratio, and peak memory.

--backend native (default): the native portal's chunk protocol, curl sending the same chunks.
--backend superapp: the SuperApp console emulator; curl sends the same multipart body
(spaceId, appId, version, file application/zip named {appId}_v{version}_{suffix}.zip) to
uploadResource, then version/create, as the CLI does.

--anchor BIN (native only): another build's CLI (e.g. an earlier commit's release binary)
takes its turn in the same runs, with its own home and project, against the same portal.

    cargo build --release -p gopay-miniapp
    python3 tests/bench/upload_bench.py [--size-mib 200] [--runs 5] [--backend superapp] [--anchor BIN]
"""
import argparse, hashlib, http.client, json, os, random, socket, statistics, subprocess, sys, tempfile, time, urllib.parse, urllib.request, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cargo_target_dir():
    """Where cargo builds (CARGO_TARGET_DIR and cargo's config honoured), as cargo says."""
    out = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT,
                         check=True, capture_output=True).stdout
    return json.loads(out)["target_directory"]


BIN = os.environ.get("GOPAY_MINIAPP_BIN") or os.path.join(cargo_target_dir(), "release", "gopay-miniapp")
CHUNK = 8 * 1024 * 1024  # the CLI's default chunk size


def write_package_json(project):
    """A MiniApp project has a package.json (bind refuses a folder without one)."""
    with open(os.path.join(project, "package.json"), "w") as f:
        f.write('{"name": "upload-bench", "version": "1.0.0"}\n')


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def run_measured(cmd, **kw):
    """Runs a command; returns (wall seconds, peak RSS KiB, stdout). The peak comes from
    /proc/PID/status (VmHWM) sampled until exit: ru_maxrss of a forked child would count the
    pages it shared with this Python process before exec."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    peak = 0
    while proc.poll() is None:
        try:
            for line in open(f"/proc/{proc.pid}/status"):
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
        time.sleep(0.002)
    wall = time.perf_counter() - start
    err = proc.stderr.read()
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {err.decode()[-2000:]}")
    return wall, peak, b""


def make_package(tmp, size_mib):
    """One incompressible package (ZIP, stored): (path, size, sha256)."""
    package = os.path.join(tmp, "package.zip")
    rng = random.Random(7)
    with zipfile.ZipFile(package, "w", zipfile.ZIP_STORED) as z:
        z.writestr("app.json", '{"pages":["index"]}')
        with z.open("blob.bin", "w", force_zip64=True) as f:
            for _ in range(size_mib):
                f.write(rng.randbytes(1024 * 1024))
    size = os.path.getsize(package)
    digest = hashlib.sha256()
    with open(package, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return package, size, digest.hexdigest()


def start_portal(tmp, env, size_mib, backend):
    """`portal serve` in its own process: (process, url, every line it printed on start)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    portal = subprocess.Popen([BIN, "portal", "serve", "--seed-demo", "--addr", f"127.0.0.1:{port}",
                               "--data", os.path.join(tmp, "portal"), "--backend", backend,
                               "--max-package-size", str((size_mib + 64) * 1024 * 1024)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    lines = [portal.stdout.readline().decode()]
    if backend == "superapp":  # then the ids its API needs, up to the last target app
        while not lines[-1].startswith("target-app 1611000000000000000002"):
            lines.append(portal.stdout.readline().decode())
    return portal, url, lines


def setup(args, backend):
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release -p gopay-miniapp")
    tmp = tempfile.mkdtemp(prefix="upload-bench")
    home, project = os.path.join(tmp, "home"), os.path.join(tmp, "project")
    os.makedirs(home); os.makedirs(project)
    write_package_json(project)
    env = dict(os.environ, GOPAY_MINIAPP_HOME=home)
    env.pop("GOPAY_MINIAPP_TOKEN", None)
    portal, url, printed = start_portal(tmp, env, args.size_mib, backend)
    cli = [BIN, "--project", project, "--portal", url]
    return tmp, home, project, env, portal, url, printed, cli


def alternate(args, cli, env, package, curl, check, anchor=None):
    """Ours, the anchor build's CLI (if any: `(cli, env)`) and curl take turns, each on a new
    version: `curl(version)` is curl's command (made before the timing), `check()` looks at its
    answers after it. Wall times and peaks; the anchor's as a pair of lists (empty without)."""
    ours, theirs, rss, curl_rss, anchor_walls, anchor_rss = [], [], [], [], [], []
    for run in range(args.runs):
        wall, peak, _ = run_measured(cli + ["--json", "upload", package, "--version", f"1.0.{3 * run + 1}"], env=env)
        ours.append(wall); rss.append(peak)
        if anchor:
            wall, peak, _ = run_measured(anchor[0] + ["--json", "upload", package, "--version", f"1.0.{3 * run + 2}"], env=anchor[1])
            anchor_walls.append(wall); anchor_rss.append(peak)
        cmd = curl(f"1.0.{3 * run + 3}")
        wall, peak, _ = run_measured(cmd)
        check()
        theirs.append(wall); curl_rss.append(peak)
        also = f", anchor {anchor_walls[-1]:.2f} s" if anchor else ""
        print(f"run {run + 1}: gopay-miniapp {ours[-1]:.2f} s{also}, curl {theirs[-1]:.2f} s", file=sys.stderr)
    return ours, theirs, rss, curl_rss, (anchor_walls, anchor_rss)


def report(args, mib, ours, theirs, rss, curl_rss, what, anchor=([], [])):
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"package: {mib:.0f} MiB, {what}, {args.runs} runs, medians")
    print(f"gopay-miniapp upload: {o:.2f} s  ({mib / o:.0f} MiB/s)")
    print(f"curl (same body):     {t:.2f} s  ({mib / t:.0f} MiB/s)")
    print(f"time ratio (ours/curl): {o / t:.2f}   throughput ratio (ours/curl): {t / o:.2f}x   (goal >= 0.8x)")
    print(f"gopay-miniapp peak RSS: median {statistics.median(rss) / 1024:.1f} MiB, max {max(rss) / 1024:.1f} MiB   (goal <= 64 MiB)")
    if curl_rss:
        print(f"curl peak RSS:          median {statistics.median(curl_rss) / 1024:.1f} MiB, max {max(curl_rss) / 1024:.1f} MiB")
    walls, peaks = anchor
    if walls:
        a, a_rss, r = statistics.median(walls), statistics.median(peaks), statistics.median(rss)
        print(f"anchor {args.anchor}: {a:.2f} s ({mib / a:.0f} MiB/s), throughput ratio {t / a:.2f}x curl, "
              f"peak RSS median {a_rss / 1024:.1f} MiB")
        print(f"this build / anchor: time {o / a:.3f}, peak RSS {r / a_rss:.3f}")


def superapp(args):
    """The SuperApp console emulator: uploadResource (multipart) + version/create."""
    tmp, home, project, env, portal, url, printed, cli = setup(args, "superapp")
    ids = {(l.split(" ", 2)[0], l.split(" ", 2)[2].strip()): l.split(" ", 2)[1] for l in printed if l.count(" ") >= 2}
    space, app = ids[("space", "Demo Space")], ids[("app", "Hello MiniApp")]
    channel = ids[("target-app", "GoPay Staging")]

    def form_cookie():
        conn = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlparse(url).port)
        conn.request("POST", "/login", urllib.parse.urlencode({"username": "demo", "password": "demo"}),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        answer.read()
        return [c.split(";")[0] for c in answer.headers.get_all("Set-Cookie") if c.startswith("SA_CONSOLE_SESSION=")][0]

    subprocess.run(cli + ["login", "--backend", "superapp", "--cookie-stdin"], input=form_cookie().encode(), env=env, check=True, capture_output=True)
    subprocess.run(cli + ["--yes", "bind", "--backend", "superapp", "--space-id", space, "--app-id", app,
                          "--target-app", f"GoPay Staging={channel}"], env=env, check=True, capture_output=True)
    cookie = form_cookie()  # curl's own session
    package, size, sha = make_package(tmp, args.size_mib)
    rest = f"{url}/rest/intercnn/app/version"
    out1, out2 = os.path.join(tmp, "upload.json"), os.path.join(tmp, "create.json")
    headers = ["-H", f"Cookie: {cookie}", "-H", f"Origin: {url}", "-H", "Accept: application/json", "-H", "Bx-V: 2.5.36"]

    def curl(v):
        name = f"{app}_v{v}_pkg.zip"  # what `upload` names it (no sha256 before the upload)
        create = json.dumps({"appId": app, "artifactList": [f"app/version/{app}/{v}/{name}"], "artifactType": "FILE",
                             "name": v, "source": "UPLOAD", "version": v})
        return (["curl", "-sS", "--fail", "-o", out1] + headers
                + ["-F", f"spaceId={space}", "-F", f"appId={app}", "-F", f"version={v}",
                   "-F", f"file=@{package};type=application/zip;filename={name}", f"{rest}/uploadResource",
                   "--next", "-sS", "--fail", "-o", out2] + headers
                + ["-H", "Content-Type: application/json", "--data", create, f"{rest}/create"])

    def check():
        for out in (out1, out2):
            answer = json.load(open(out))
            if answer.get("success") is not True:
                sys.exit(f"curl's request was refused: {answer}")

    ours, theirs, rss, curl_rss, _ = alternate(args, cli, env, package, curl, check)
    portal.terminate(); portal.wait()
    report(args, size / (1024 * 1024), ours, theirs, rss, curl_rss,
           "multipart uploadResource + version/create to the SuperApp console emulator")
    subprocess.run(["rm", "-rf", tmp])


def native(args):
    tmp, home, project, env, portal, url, _, cli = setup(args, "native")
    subprocess.run(cli + ["login", "--username", "demo", "--password-stdin"], input=b"demo", env=env, check=True, capture_output=True)
    subprocess.run(cli + ["--yes", "bind", "--space", "Demo Space", "--app", "Hello MiniApp"], env=env, check=True, capture_output=True)
    app_id = json.load(open(os.path.join(project, "gopay-miniapp.json")))["app"]["id"]
    anchor = None
    if args.anchor:  # its own home and project: an older build may not read today's files
        anchor_env = dict(env, GOPAY_MINIAPP_HOME=os.path.join(tmp, "anchor-home"))
        os.makedirs(os.path.join(tmp, "anchor-project"))
        write_package_json(os.path.join(tmp, "anchor-project"))
        anchor_cli = [args.anchor, "--project", os.path.join(tmp, "anchor-project"), "--portal", url]
        subprocess.run(anchor_cli + ["login", "--username", "demo", "--password-stdin"], input=b"demo", env=anchor_env, check=True, capture_output=True)
        subprocess.run(anchor_cli + ["--yes", "bind", "--space", "Demo Space", "--app", "Hello MiniApp"], env=anchor_env, check=True, capture_output=True)
        anchor = (anchor_cli, anchor_env)
    token = json.load(open(os.path.join(home, "credentials.json")))["sessions"][url]["session"]["accessToken"]

    # One incompressible package; a version per upload (uploads of one version are idempotent).
    package, size, sha = make_package(tmp, args.size_mib)
    pieces = []
    with open(package, "rb") as f:
        offset = 0
        while True:
            data = f.read(CHUNK)
            if not data:
                break
            path = os.path.join(tmp, f"piece{offset}")
            open(path, "wb").write(data)
            pieces.append((offset, path, hashlib.sha256(data).hexdigest()))
            offset += len(data)

    def api(method, path, body=None):
        req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        return json.load(urllib.request.urlopen(req))

    def curl(v):
        upload = api("POST", f"/api/v1/apps/{app_id}/uploads", {"version": v, "size": size, "sha256": sha, "description": ""})
        cmd = ["curl", "-sS", "--fail"]
        for i, (offset, path, piece_sha) in enumerate(pieces):
            if i:
                cmd.append("--next")
            cmd += ["-o", "/dev/null", "-X", "PUT", "-H", f"Authorization: Bearer {token}", "-H", f"X-Chunk-Sha256: {piece_sha}",
                    "-H", "Content-Type: application/octet-stream", "--data-binary", f"@{path}",
                    f"{url}/api/v1/uploads/{upload['id']}/chunks/{offset}"]
        return cmd + ["--next", "-o", "/dev/null", "-X", "POST", "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
                      "--data", "{}", f"{url}/api/v1/uploads/{upload['id']}/complete"]

    ours, theirs, rss, curl_rss, anchored = alternate(args, cli, env, package, curl, lambda: None, anchor)
    portal.terminate(); portal.wait()
    report(args, size / (1024 * 1024), ours, theirs, rss, curl_rss,
           f"{len(pieces)} chunks of {CHUNK // (1024 * 1024)} MiB to the native portal", anchored)
    subprocess.run(["rm", "-rf", tmp])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--backend", choices=["native", "superapp"], default="native")
    ap.add_argument("--anchor", help="another build's gopay-miniapp, measured in the same runs (native only)")
    args = ap.parse_args()
    if args.anchor and args.backend != "native":
        ap.error("--anchor is for the native backend (older builds have no superapp backend)")
    superapp(args) if args.backend == "superapp" else native(args)


main()
