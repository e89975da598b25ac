#!/usr/bin/env python3
"""Upload benchmark: `gopay-miniapp upload` vs curl sending the same bytes, with the same
chunk protocol, to the same local portal on loopback. Median of several runs, in one run of
this script. Prints throughput, the ratio, and the CLI's peak memory.

    cargo build --release -p gopay-miniapp
    python3 tests/bench/upload_bench.py [--size-mib 200] [--runs 5]
"""
import argparse, hashlib, json, os, random, socket, statistics, subprocess, sys, tempfile, time, urllib.request, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cargo_target_dir():
    """Where cargo builds (CARGO_TARGET_DIR and cargo's config honoured), as cargo says."""
    out = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT,
                         check=True, capture_output=True).stdout
    return json.loads(out)["target_directory"]


BIN = os.environ.get("GOPAY_MINIAPP_BIN") or os.path.join(cargo_target_dir(), "release", "gopay-miniapp")
CHUNK = 8 * 1024 * 1024  # the CLI's default chunk size


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release -p gopay-miniapp")
    tmp = tempfile.mkdtemp(prefix="upload-bench")
    home, project = os.path.join(tmp, "home"), os.path.join(tmp, "project")
    os.makedirs(home); os.makedirs(project)
    env = dict(os.environ, GOPAY_MINIAPP_HOME=home)
    env.pop("GOPAY_MINIAPP_TOKEN", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    portal = subprocess.Popen([BIN, "portal", "serve", "--seed-demo", "--addr", f"127.0.0.1:{port}",
                               "--data", os.path.join(tmp, "portal"),
                               "--max-package-size", str((args.size_mib + 64) * 1024 * 1024)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    portal.stdout.readline()
    cli = [BIN, "--project", project, "--portal", url]
    subprocess.run(cli + ["login", "--username", "demo", "--password-stdin"], input=b"demo", env=env, check=True, capture_output=True)
    subprocess.run(cli + ["--yes", "bind", "--space", "Demo Space", "--app", "Hello MiniApp"], env=env, check=True, capture_output=True)
    app_id = json.load(open(os.path.join(project, "gopay-miniapp.json")))["app"]["id"]
    token = json.load(open(os.path.join(home, "credentials.json")))["sessions"][url]["accessToken"]

    # One incompressible package; a version per upload (uploads of one version are idempotent).
    package = os.path.join(tmp, "package.zip")
    rng = random.Random(7)
    with zipfile.ZipFile(package, "w", zipfile.ZIP_STORED) as z:
        z.writestr("app.json", '{"pages":["index"]}')
        with z.open("blob.bin", "w", force_zip64=True) as f:
            for _ in range(args.size_mib):
                f.write(rng.randbytes(1024 * 1024))
    size = os.path.getsize(package)
    digest = hashlib.sha256()
    with open(package, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    sha = digest.hexdigest()
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

    ours, theirs, rss = [], [], []
    version = 0
    for run in range(args.runs):
        version += 1
        wall, peak, _ = run_measured(cli + ["--json", "upload", package, "--version", f"1.0.{version}"], env=env)
        ours.append(wall); rss.append(peak)
        version += 1
        upload = api("POST", f"/api/v1/apps/{app_id}/uploads", {"version": f"1.0.{version}", "size": size, "sha256": sha, "description": ""})
        cmd = ["curl", "-sS", "--fail"]
        for i, (offset, path, piece_sha) in enumerate(pieces):
            if i:
                cmd.append("--next")
            cmd += ["-o", "/dev/null", "-X", "PUT", "-H", f"Authorization: Bearer {token}", "-H", f"X-Chunk-Sha256: {piece_sha}",
                    "-H", "Content-Type: application/octet-stream", "--data-binary", f"@{path}",
                    f"{url}/api/v1/uploads/{upload['id']}/chunks/{offset}"]
        cmd += ["--next", "-o", "/dev/null", "-X", "POST", "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
                "--data", "{}", f"{url}/api/v1/uploads/{upload['id']}/complete"]
        wall, _, _ = run_measured(cmd)
        theirs.append(wall)
        print(f"run {run + 1}: gopay-miniapp {ours[-1]:.2f} s, curl {theirs[-1]:.2f} s", file=sys.stderr)
    portal.terminate(); portal.wait()
    mib = size / (1024 * 1024)
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"package: {mib:.0f} MiB, {len(pieces)} chunks of {CHUNK // (1024 * 1024)} MiB, {args.runs} runs, medians")
    print(f"gopay-miniapp upload: {o:.2f} s  ({mib / o:.0f} MiB/s)")
    print(f"curl (same chunks):   {t:.2f} s  ({mib / t:.0f} MiB/s)")
    print(f"throughput ratio (ours/curl): {t / o:.2f}x   (goal >= 0.8x)")
    print(f"gopay-miniapp peak RSS: median {statistics.median(rss) / 1024:.1f} MiB, max {max(rss) / 1024:.1f} MiB   (goal <= 64 MiB)")


main()
