// The account page of Gatehouse: sign in, see and end sessions, change the
// password, log out. The tokens live in HttpOnly cookies that this script
// cannot read; it knows only when the access token expires (from the
// "expires_in" of each login and refresh) and refreshes it before then.
//
// Several tabs share the cookies. One tab at a time refreshes (a Web Lock):
// a tab that waited for the lock and finds that another tab refreshed in the
// meantime (the expiry they share in localStorage moved) does not refresh
// again, so two tabs never present one refresh token twice. Without Web
// Locks, the server's grace window answers a second refresh with the same
// successor. Tabs tell each other about logins, refreshes and logouts on a
// BroadcastChannel.
//
// The DOM is built with textContent only (the page's CSP enforces Trusted
// Types: no HTML from strings).

const base = location.pathname.replace(/account\/?$/, "");
const csrfHeader = { "X-Requested-With": "fetch" };
const EXPIRES = "gatehouse.access-expires-at"; // ms since the epoch
const LIFETIME = "gatehouse.access-lifetime"; // ms
const channel = "BroadcastChannel" in self ? new BroadcastChannel("gatehouse-account") : null;
const $ = (id) => document.getElementById(id);

let signedIn = false;
let timer = 0;
let me = null; // userinfo

// --- when to refresh -------------------------------------------------------

function expiresAt() {
  return Number(localStorage.getItem(EXPIRES)) || 0;
}

// lead is how long before expiry a refresh starts: a third of the token's
// lifetime, at most a minute.
function lead() {
  const life = Number(localStorage.getItem(LIFETIME)) || 0;
  return Math.min(60_000, life / 3);
}

function due() {
  return expiresAt() - lead() <= Date.now();
}

function remember(answer) {
  const life = Math.max(1, Number(answer.expires_in) || 0) * 1000;
  localStorage.setItem(LIFETIME, String(life));
  localStorage.setItem(EXPIRES, String(Date.now() + life));
}

function forget() {
  localStorage.removeItem(EXPIRES);
  localStorage.removeItem(LIFETIME);
}

function schedule() {
  clearTimeout(timer);
  if (!signedIn) return;
  const seen = expiresAt();
  const wait = Math.max(0, seen - lead() - Date.now());
  timer = setTimeout(() => refresh(seen), wait);
}

function exclusive(fn) {
  if (navigator.locks) return navigator.locks.request("gatehouse-refresh", fn);
  return fn();
}

// refresh rotates the refresh token, unless another tab did since the
// caller saw the expiry `seen` (and it is not due again). It resolves true
// when the cookies are fresh, false when the session is over (and the page
// then asks to sign in) or the server cannot be reached.
async function refresh(seen) {
  const outcome = await exclusive(async () => {
    if (expiresAt() !== seen && !due()) return "fresh"; // another tab did it
    let r;
    try {
      r = await send("POST", "session/refresh");
    } catch {
      return "offline";
    }
    if (!r.ok) return r.status >= 500 ? "offline" : "ended";
    remember(await r.json());
    channel?.postMessage({ type: "refreshed" });
    return "fresh";
  });
  if (outcome === "offline") {
    clearTimeout(timer);
    if (signedIn) timer = setTimeout(() => refresh(expiresAt()), 5_000);
    else {
      notice("The server cannot be reached. Trying again…", "error");
      timer = setTimeout(start, 5_000);
    }
    return false;
  }
  if (outcome === "ended") {
    ended(signedIn ? "Your session has ended. Sign in again to continue." : "");
    return false;
  }
  schedule();
  return true;
}

// --- talking to the server -------------------------------------------------

function send(method, path, body) {
  const headers = { ...csrfHeader };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
    redirect: "error",
  });
}

// api sends a request with the access cookie; on a 401 it refreshes once
// and tries again. It resolves null when the session is over (the page
// then shows the sign-in form).
async function api(method, path, body) {
  const seen = expiresAt();
  const r = await send(method, path, body);
  if (r.status !== 401) return r;
  if (!(await refresh(seen))) return null;
  return send(method, path, body);
}

async function problem(r) {
  try {
    const b = await r.json();
    return b.error_description || b.error || `HTTP ${r.status}`;
  } catch {
    return `HTTP ${r.status}`;
  }
}

function retryAfter(r) {
  const s = Number(r.headers.get("Retry-After"));
  if (!s) return "Try again later.";
  if (s < 90) return `Try again in ${s} second${s === 1 ? "" : "s"}.`;
  return `Try again in ${Math.ceil(s / 60)} minutes.`;
}

// --- views -------------------------------------------------------------------

function notice(text, kind = "ok") {
  const n = $("notice");
  n.textContent = text;
  n.className = kind === "error" ? "notice error" : "notice";
  n.hidden = !text;
}

function fieldError(id, text) {
  $(id).textContent = text;
  $(id).hidden = !text;
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function ended(message) {
  signedIn = false;
  me = null;
  clearTimeout(timer);
  forget();
  $("account").hidden = true;
  $("signin").hidden = false;
  notice(message, "error");
  $("signin-username").focus();
}

function busy(form, on) {
  for (const b of form.querySelectorAll("button")) b.disabled = on;
}

async function load() {
  const ui = await api("GET", "userinfo");
  if (!ui) return;
  if (!ui.ok) {
    if (ui.status === 401) ended(signedIn ? "Your session has ended. Sign in again to continue." : "");
    else ended(`The server answered: ${await problem(ui)}`);
    return;
  }
  me = await ui.json();
  signedIn = true;
  $("signin").hidden = true;
  $("account").hidden = false;
  $("username").textContent = me.preferred_username;
  $("avatar").textContent = [...me.preferred_username][0] || "?";
  document.querySelector('#password-form [name="username"]').value = me.preferred_username;
  const scopes = $("scopes");
  scopes.replaceChildren();
  const granted = (me.scope || "").split(" ").filter(Boolean);
  if (granted.length === 0) scopes.textContent = "No scopes";
  else scopes.append(...granted.map((s) => el("span", { class: "chip", text: s })));
  await loadSessions();
  schedule();
}

async function loadSessions() {
  const r = await api("GET", "sessions");
  if (!r) return;
  if (!r.ok) {
    if (r.status !== 401) notice(await problem(r), "error");
    return;
  }
  const { sessions } = await r.json();
  sessions.sort((a, b) => b.current - a.current); // this device first, then most recently used
  const list = $("sessions");
  list.replaceChildren(...sessions.map(sessionItem));
  $("end-others").hidden = !sessions.some((s) => !s.current);
}

function sessionItem(s) {
  const name = device(s.user_agent);
  const meta = [
    s.ip || "unknown address",
    `signed in ${ago(s.created_at)}`,
    s.current ? "active now" : `last active ${ago(s.last_used_at)}`,
  ].join(" · ");
  const title = el("div", { class: "device-name", text: name.label });
  if (s.current) title.append(el("span", { class: "badge", text: "This device" }));
  if (s.client_id && s.client_id !== "gatehouse") title.append(el("span", { class: "chip", text: s.client_id }));
  const li = el(
    "li",
    { "data-session": s.id, "data-current": String(s.current) },
    el("div", { class: "device-icon", "aria-hidden": "true" }, el("img", { src: `${base}account/${name.icon}.svg`, alt: "", width: "20", height: "20" })),
    el("div", { class: "device" }, title, el("div", { class: "device-meta", title: s.user_agent || "", text: meta })),
  );
  if (!s.current) {
    li.append(
      el("button", {
        class: "end", type: "button", text: "Sign out",
        "aria-label": `Sign out ${name.label}, ${s.ip || "unknown address"}`,
        onclick: (e) => endSession(s.id, e.currentTarget),
      }),
    );
  }
  return li;
}

// device names a session by its user agent: "Firefox on Windows", "curl".
function device(ua) {
  if (!ua) return { label: "Unknown device", icon: "desktop" };
  const browsers = [
    [/Edg\//, "Edge"], [/OPR\//, "Opera"], [/Firefox\//, "Firefox"], [/Chrom(e|ium)\//, "Chrome"],
    [/Safari\//, "Safari"], [/^curl\//, "curl"], [/python-requests|python-urllib|aiohttp|httpx/i, "Python"],
    [/^Go-http-client/, "Go"], [/okhttp/i, "Android app"], [/^node|undici/i, "Node.js"], [/Postman/i, "Postman"],
  ];
  const systems = [
    [/Windows/, "Windows"], [/iPhone|iPad|iPod/, "iOS"], [/Mac OS X|Macintosh/, "macOS"],
    [/Android/, "Android"], [/CrOS/, "ChromeOS"], [/Linux/, "Linux"],
  ];
  const b = browsers.find(([re]) => re.test(ua))?.[1];
  const os = systems.find(([re]) => re.test(ua))?.[1];
  const label = b && os ? `${b} on ${os}` : b || os || ua.slice(0, 48);
  const icon = /Android|iPhone|iPad|iPod|Mobile|okhttp/i.test(ua) ? "phone" : /^(curl|Python|Go|Node\.js|Postman)$/.test(b) ? "terminal" : "desktop";
  return { label, icon };
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

function ago(iso) {
  const t = Date.parse(iso);
  if (!t) return "at an unknown time";
  const s = Math.round((t - Date.now()) / 1000);
  if (Math.abs(s) < 45) return "just now";
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (Math.abs(s) >= size) return relative.format(Math.round(s / size), unit);
  }
  return relative.format(s, "second");
}

// --- actions -----------------------------------------------------------------

async function signIn(e) {
  e.preventDefault();
  const f = e.currentTarget;
  const username = f.username.value.trim();
  const password = f.password.value;
  if (!username || !password) return fieldError("signin-error", "Enter your username and password.");
  fieldError("signin-error", "");
  busy(f, true);
  try {
    const r = await send("POST", "session/login", { username, password });
    if (r.ok) {
      remember(await r.json());
      f.reset();
      notice("");
      channel?.postMessage({ type: "signed-in" });
      await load();
      return;
    }
    if (r.status === 400) fieldError("signin-error", "The username or password is not right.");
    else if (r.status === 429) fieldError("signin-error", `Too many attempts. ${retryAfter(r)}`);
    else fieldError("signin-error", `Sign-in failed: ${await problem(r)}`);
    f.password.select();
  } catch {
    fieldError("signin-error", "The server cannot be reached. Check your connection.");
  } finally {
    busy(f, false);
  }
}

async function endSession(id, button) {
  button.disabled = true;
  const r = await api("DELETE", `sessions/${encodeURIComponent(id)}`);
  if (!r) return;
  if (r.ok || r.status === 404) {
    channel?.postMessage({ type: "sessions" });
    await loadSessions();
  } else {
    button.disabled = false;
    notice(await problem(r), "error");
  }
}

async function endOthers(e) {
  const b = e.currentTarget;
  b.disabled = true;
  const r = await api("POST", "logout", { others: "true" });
  b.disabled = false;
  if (!r) return;
  if (r.ok) {
    notice("Every other session was signed out.");
    channel?.postMessage({ type: "sessions" });
    await loadSessions();
  } else notice(await problem(r), "error");
}

async function logOut(e) {
  const b = e.currentTarget;
  b.disabled = true;
  const r = await api("POST", "session/logout");
  b.disabled = false;
  if (!r) return;
  if (!r.ok) return notice(await problem(r), "error");
  channel?.postMessage({ type: "signed-out" });
  ended("");
  notice("You have logged out.");
}

async function changePassword(e) {
  e.preventDefault();
  const f = e.currentTarget;
  const current = f.current.value;
  const next = f.new.value;
  fieldError("password-error", "");
  if (!current || !next) return fieldError("password-error", "Enter your current password and a new one.");
  if (next !== f.repeat.value) return fieldError("password-error", "The new passwords do not match.");
  if (next === current) return fieldError("password-error", "The new password is the current one.");
  busy(f, true);
  try {
    const r = await api("POST", "session/password", { current_password: current, new_password: next });
    if (!r) return;
    if (r.ok) {
      const answer = await r.json();
      remember(answer);
      f.reset();
      const n = answer.sessions_ended;
      notice(`Your password was changed. ${n === 0 ? "No other session was" : n === 1 ? "1 other session was" : `${n} other sessions were`} signed out.`);
      channel?.postMessage({ type: "refreshed" });
      channel?.postMessage({ type: "sessions" });
      await load();
      return;
    }
    const why = await problem(r);
    if (r.status === 429) fieldError("password-error", `Too many attempts. ${retryAfter(r)}`);
    else if (r.status === 400 && why.includes("username or password")) fieldError("password-error", "The current password is not right.");
    else if (why.includes("too short")) fieldError("password-error", "The new password is too short.");
    else fieldError("password-error", `The password was not changed: ${why}`);
  } catch {
    fieldError("password-error", "The server cannot be reached. The password was not changed.");
  } finally {
    busy(f, false);
  }
}

// --- start -------------------------------------------------------------------

channel?.addEventListener("message", ({ data }) => {
  switch (data?.type) {
    case "refreshed":
      schedule();
      break;
    case "signed-in":
      if (!signedIn) load();
      break;
    case "signed-out":
      if (signedIn) {
        ended("");
        notice("You logged out in another tab.");
      }
      break;
    case "sessions":
      if (signedIn) loadSessions();
      break;
  }
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible" || !signedIn) return;
  (due() ? refresh(expiresAt()) : Promise.resolve(true)).then((ok) => ok && load());
});

for (const h of document.querySelectorAll(".host, #host")) h.textContent = location.host;
if (location.protocol !== "https:") {
  $("where").classList.add("insecure");
  $("plain-http").hidden = false;
}
$("signin-form").addEventListener("submit", signIn);
$("password-form").addEventListener("submit", changePassword);
$("logout").addEventListener("click", logOut);
$("end-others").addEventListener("click", endOthers);

async function start() {
  if (due() && !(await refresh(expiresAt()))) return; // no session in this browser
  notice("");
  await load();
}

start();
