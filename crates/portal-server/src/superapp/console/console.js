// The SuperApp console emulator's single-page app (gopay-miniapp; the emulator's own, not
// GoPay's). It calls the variant's ASSUMED JSON routes with fetch and the session cookie, as
// a real console's pages do, so a recorder sees real XHRs with JSON bodies. Every value from
// an answer goes into the page with textContent (never as HTML).
"use strict";

(() => {
  const variant = document.body.dataset.variant === "b" ? "b" : "a";
  const view = document.getElementById("view");
  const switcher = document.getElementById("space-switcher");
  const message = document.getElementById("console-message");
  const failure = document.getElementById("console-error");
  const PAGE_SIZE = 20;

  // ---- requests ------------------------------------------------------------------------

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const i = part.indexOf("=");
      if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
    }
    return "";
  }

  class Refused extends Error {}

  /** One request in the console's envelope; resolves to `data`. */
  async function call(method, path, query, body) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query || {})) q.set(k, String(v));
    // Variant b's pages add a cache-buster to every request.
    if (variant === "b") q.set("_", String(Date.now()));
    const qs = q.toString();
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    // Variant b echoes its CSRF cookie on every request that changes something.
    if (variant === "b" && method !== "GET") headers["X-XSRF-TOKEN"] = cookie("XSRF-TOKEN");
    const resp = await fetch(path + (qs ? `?${qs}` : ""), {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const envelope = await resp.json();
    if (!envelope.success) {
      if (envelope.errorCode === "401") {
        location.href = "/login";
      }
      throw new Refused(`${envelope.errorCode}: ${envelope.errorMsg}`);
    }
    return envelope.data;
  }

  const seg = encodeURIComponent;

  // Each variant: its routes, field names and list item paths.
  const VARIANTS = {
    a: {
      async list(path, query) {
        return pages(async (n) => {
          const data = await call("GET", path, { ...query, currentPage: n, pageSize: PAGE_SIZE });
          return { items: data.list, total: data.total };
        });
      },
      spaces: () => VARIANTS.a.list("/rest/intercnn/space/list", {}).then((l) => l.map((s) => ({ id: s.spaceId, name: s.spaceName }))),
      apps: (space) => VARIANTS.a.list("/rest/intercnn/app/list", { spaceId: space }).then((l) => l.map((a) => ({ id: a.appId, name: a.appName }))),
      targetApps: () => VARIANTS.a.list("/rest/intercnn/channel/list", {}).then((l) => l.map((t) => ({ id: t.channelCode, name: t.channelName }))),
      release: (app, pid) =>
        call("GET", "/rest/intercnn/app/publish/detail", { appId: app, publishId: pid }).then((r) => ({
          id: r.publishId,
          version: r.version,
          channelCode: r.channelCode,
          channelName: r.channelName,
          status: r.versionStatus,
          whitelist: (r.whitelist || []).join(", "),
          ratio: r.grayRatio === null || r.grayRatio === undefined ? "" : `${r.grayRatio}%`,
        })),
      whitelist: (app, pid, users) => call("POST", "/rest/intercnn/app/publish/whitelist/start", undefined, { appId: app, publishId: pid, userIds: users }),
      grayscale: (app, pid, ratio) => call("POST", "/rest/intercnn/app/publish/gray/start", undefined, { appId: app, publishId: pid, ratio: Number(ratio) }),
      temporaryCode: (app, pid) =>
        call("POST", "/rest/intercnn/app/publish/tempCode", undefined, { appId: app, publishId: pid }).then((d) => ({
          publishId: d.publishId,
          expires: new Date(d.expireTime).toISOString(),
        })),
      rollback: (app, channel) => call("POST", "/rest/intercnn/app/publish/rollback", undefined, { appId: app, channelCode: channel }),
      withdraw: (app, pid) => call("POST", "/rest/intercnn/app/publish/withdraw", undefined, { appId: app, publishId: pid }),
      cancel: (app, pid) => call("POST", "/rest/intercnn/app/publish/cancel", undefined, { appId: app, publishId: pid }),
    },
    b: {
      async list(path) {
        return pages(async (n) => {
          const data = await call("GET", path, { page_no: n, page_size: PAGE_SIZE });
          return { items: data.result.items, total: data.result.total };
        });
      },
      spaces: () => VARIANTS.b.list("/api/console/v2/spaces").then((l) => l.map((s) => ({ id: s.space_id, name: s.space_name }))),
      apps: (space) => VARIANTS.b.list(`/api/console/v2/spaces/${seg(space)}/mini-apps`).then((l) => l.map((a) => ({ id: a.mini_app_id, name: a.mini_app_name }))),
      targetApps: () => VARIANTS.b.list("/api/console/v2/target-apps").then((l) => l.map((t) => ({ id: t.channel_code, name: t.display_name }))),
      release: (app, pid) =>
        call("GET", `/api/console/v2/releases/${seg(pid)}`, { app_id: app }).then(({ result: r }) => ({
          id: r.release_id,
          version: r.version,
          channelCode: r.channel_code,
          channelName: r.channel_name,
          status: r.release_status,
          whitelist: (r.whitelist_users || "").split(";").filter(Boolean).join(", "),
          ratio: r.gray_ratio ? `${r.gray_ratio}%` : "",
        })),
      whitelist: (app, pid, users) => call("POST", `/api/console/v2/releases/${seg(pid)}/whitelist`, undefined, { app_id: app, user_ids: users.join(";") }),
      grayscale: (app, pid, ratio) => call("POST", `/api/console/v2/releases/${seg(pid)}/gray`, undefined, { app_id: app, gray_ratio: String(ratio) }),
      temporaryCode: (app, pid) =>
        // A QR image to scan (a data URL), no publish id.
        call("POST", `/api/console/v2/releases/${seg(pid)}/temp-code`, undefined, { app_id: app }).then(({ result: r }) => ({
          qr: r.qr_code,
          expires: r.expire_at,
        })),
      // Two requests: the plan answers an operation id, the rollback uses it.
      async rollback(app, channel) {
        const plan = await call("GET", `/api/console/v2/apps/${seg(app)}/channels/${seg(channel)}/rollback-plan`);
        return call("POST", "/api/console/v2/rollback", undefined, { operation_id: plan.result.operation_id });
      },
      withdraw: (app, pid) => call("POST", `/api/console/v2/releases/${seg(pid)}/withdraw`, undefined, { app_id: app }),
      cancel: (app, pid) => call("POST", `/api/console/v2/releases/${seg(pid)}/cancel`, undefined, { app_id: app }),
    },
  };
  const API = VARIANTS[variant];

  /** Every page of a list, until the total is reached or a page comes back short. */
  async function pages(fetchPage) {
    const all = [];
    for (let n = 1; n <= 100; n++) {
      const { items, total } = await fetchPage(n);
      all.push(...items);
      if (items.length < PAGE_SIZE || all.length >= total) break;
    }
    return all;
  }

  // The observed routes (both variants' pages use them for versions and release lists).
  const observed = {
    versions: (space, app) =>
      call("GET", "/rest/intercnn/app/version/query", { currentPage: 1, pageSize: 50, appId: app, spaceId: space }).then((d) => d.list),
    releases: (app) => call("GET", "/rest/intercnn/app/publish/version/query", { appId: app, currentPage: 1, pageSize: 50 }).then((d) => d.list),
  };

  // ---- DOM helpers ---------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function table(id, headings, rows) {
    return el("table", { id }, el("tr", {}, ...headings.map((h) => el("th", {}, h))), ...rows);
  }

  function say(text) {
    failure.hidden = true;
    message.hidden = false;
    message.textContent = text;
  }

  function fail(err) {
    message.hidden = true;
    failure.hidden = false;
    failure.textContent = err instanceof Refused ? err.message : `The console could not do it: ${err}`;
  }

  function show(...nodes) {
    view.replaceChildren(...nodes);
  }

  // ---- views ---------------------------------------------------------------------------

  let spaces = [];

  async function loadSpaces() {
    spaces = await API.spaces();
    switcher.replaceChildren(...spaces.map((s) => el("option", { value: s.id }, `${s.name} (${s.id})`)));
  }

  function currentSpace(route) {
    return route.space || (spaces[0] && spaces[0].id) || "";
  }

  async function appsView(space) {
    switcher.value = space;
    const apps = await API.apps(space);
    show(
      el("h2", {}, "MiniApps"),
      apps.length === 0
        ? el("p", {}, "No MiniApp in this space.")
        : table(
            "app-list",
            ["MiniApp", "appId"],
            apps.map((a) => el("tr", { class: "app" }, el("td", {}, el("a", { class: "app-link", href: `#/spaces/${seg(space)}/apps/${seg(a.id)}` }, a.name)), el("td", {}, el("code", {}, a.id)))),
          ),
    );
  }

  async function appView(space, app) {
    switcher.value = space;
    const [versions, releases] = await Promise.all([observed.versions(space, app), observed.releases(app)]);
    show(
      el("h2", {}, "Versions"),
      table("version-list", ["version", "created by"], versions.map((v) => el("tr", { class: "version" }, el("td", {}, v.version), el("td", {}, v.creator || "")))),
      el("h2", {}, "Releases"),
      releases.length === 0
        ? el("p", {}, "No release yet.")
        : table(
            "release-list",
            ["version", "target app", "status", ""],
            releases.map((r) =>
              el(
                "tr",
                { class: "release", "data-publish-id": r.id },
                el("td", {}, r.version),
                el("td", {}, r.channelName),
                el("td", { class: "status" }, r.versionStatus),
                el("td", {}, el("a", { class: "release-link", href: `#/spaces/${seg(space)}/apps/${seg(app)}/releases/${seg(r.id)}` }, "Open")),
              ),
            ),
          ),
    );
  }

  async function releaseView(space, app, pid) {
    switcher.value = space;
    const r = await API.release(app, pid);
    const users = el("input", { id: "whitelist-users", type: "text", placeholder: "1001, 1002" });
    const ratio = el("input", { id: "gray-ratio", type: "number", min: "1", max: "100", placeholder: "10" });
    const whitelistPanel = el(
      "div",
      { id: "whitelist-panel", hidden: "" },
      el("label", { for: "whitelist-users" }, "Whitelist user IDs (comma or space separated)"),
      users,
      el("button", { id: "btn-start-testing", type: "button", class: "primary" }, "Start Testing"),
    );
    const grayPanel = el(
      "div",
      { id: "gray-panel", hidden: "" },
      el("label", { for: "gray-ratio" }, "Grayscale ratio (%)"),
      ratio,
      el("button", { id: "btn-start-grayscale", type: "button", class: "primary" }, "Start Grayscale"),
    );
    const code = el("p", { id: "temp-code", hidden: "" });
    const button = (id, text) => el("button", { id, type: "button" }, text);
    show(
      el("h2", {}, `Release ${r.version} to ${r.channelName}`),
      el(
        "table",
        { id: "release-info" },
        el("tr", {}, el("th", {}, "publish id"), el("td", { id: "release-id" }, r.id)),
        el("tr", {}, el("th", {}, "version"), el("td", { id: "release-version" }, r.version)),
        el("tr", {}, el("th", {}, "target app"), el("td", { id: "release-channel" }, `${r.channelName} (${r.channelCode})`)),
        el("tr", {}, el("th", {}, "status"), el("td", {}, el("strong", { id: "release-status" }, r.status))),
        el("tr", {}, el("th", {}, "whitelist"), el("td", { id: "release-whitelist" }, r.whitelist)),
        el("tr", {}, el("th", {}, "grayscale ratio"), el("td", { id: "release-ratio" }, r.ratio)),
      ),
      el(
        "p",
        { id: "release-actions" },
        button("btn-set-whitelist", "Setting Whitelist"),
        " ",
        button("btn-set-grayscale", "Set Grayscale"),
        " ",
        button("btn-temp-code", "Show Temporary Code"),
        " ",
        button("btn-rollback", "Roll Back"),
        " ",
        button("btn-withdraw", "Withdraw"),
        " ",
        button("btn-cancel", "Cancel"),
      ),
      whitelistPanel,
      grayPanel,
      code,
      el("p", {}, el("a", { href: `#/spaces/${seg(space)}/apps/${seg(app)}` }, "Back to the MiniApp")),
    );

    // A step, then the release read again (the page's own release query). `data-done` on
    // the body names the last button whose step (and re-read) finished, for scripts.
    const step = (button, done, run) =>
      document.getElementById(button).addEventListener("click", async () => {
        delete document.body.dataset.done;
        try {
          await run();
          say(done);
          const again = await API.release(app, pid);
          document.getElementById("release-status").textContent = again.status;
          document.getElementById("release-whitelist").textContent = again.whitelist;
          document.getElementById("release-ratio").textContent = again.ratio;
          document.body.dataset.done = button;
        } catch (err) {
          fail(err);
          document.body.dataset.done = `error:${button}`;
        }
      });
    document.getElementById("btn-set-whitelist").addEventListener("click", () => {
      whitelistPanel.hidden = false;
      users.focus();
    });
    document.getElementById("btn-set-grayscale").addEventListener("click", () => {
      grayPanel.hidden = false;
      ratio.focus();
    });
    step("btn-start-testing", "Whitelist testing started.", () =>
      API.whitelist(app, pid, users.value.split(/[\s,;]+/).filter(Boolean)),
    );
    step("btn-start-grayscale", "Grayscale set.", () => API.grayscale(app, pid, ratio.value.trim()));
    step("btn-temp-code", "Temporary code shown.", async () => {
      const c = await API.temporaryCode(app, pid);
      code.hidden = false;
      if (c.publishId) {
        code.textContent = `Temporary code: publish id ${c.publishId} (valid until ${c.expires})`;
      } else {
        code.textContent = `Temporary code: scan the QR (valid until ${c.expires})`;
        const img = document.createElement("img");
        img.id = "temp-code-qr";
        img.alt = "Temporary code";
        img.src = c.qr;
        code.append(img);
      }
    });
    step("btn-rollback", "Rolled back.", () => API.rollback(app, r.channelCode));
    step("btn-withdraw", "Withdrawn.", () => API.withdraw(app, pid));
    step("btn-cancel", "Cancelled.", () => API.cancel(app, pid));
  }

  async function targetAppsView() {
    const targets = await API.targetApps();
    show(
      el("h2", {}, "Target apps"),
      table("target-app-list", ["target app", "channelCode"], targets.map((t) => el("tr", { class: "target-app" }, el("td", {}, t.name), el("td", {}, el("code", {}, t.id))))),
    );
  }

  /** `#/spaces/S[/apps/A[/releases/P]]` or `#/target-apps`. */
  function parse(hash) {
    const parts = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    if (parts[0] === "target-apps") return { view: "target-apps" };
    const route = { view: "apps" };
    if (parts[0] === "spaces" && parts[1]) route.space = parts[1];
    if (parts[2] === "apps" && parts[3]) {
      route.view = "app";
      route.app = parts[3];
    }
    if (route.app && parts[4] === "releases" && parts[5]) {
      route.view = "release";
      route.publish = parts[5];
    }
    return route;
  }

  async function render() {
    const route = parse(location.hash);
    try {
      if (spaces.length === 0) await loadSpaces();
      const space = currentSpace(route);
      if (route.view === "target-apps") await targetAppsView();
      else if (route.view === "release") await releaseView(space, route.app, route.publish);
      else if (route.view === "app") await appView(space, route.app);
      else await appsView(space);
      document.body.dataset.ready = route.view;
    } catch (err) {
      fail(err);
    }
  }

  switcher.addEventListener("change", () => {
    location.hash = `#/spaces/${seg(switcher.value)}`;
  });
  document.getElementById("nav-apps").addEventListener("click", (e) => {
    e.preventDefault();
    location.hash = `#/spaces/${seg(switcher.value)}`;
  });
  window.addEventListener("hashchange", () => {
    delete document.body.dataset.ready;
    render();
  });
  render();
})();
