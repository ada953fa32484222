/* The trainer's pages without network: evaluations queued on the phone, sent when it returns.
 *
 * Every evaluation form is kept in IndexedDB first, with an id made here, and then sent; an
 * answer lost on the way is harmless (the server answers a replay of the same id without saving
 * twice). A fresh CSRF token is asked for at each sending: when the session has ended the queue
 * waits and asks the trainer to sign in again; nothing is ever dropped but by the trainer.
 * The texts come from the page (`data-texts`), in the reader's language. No inline script: the
 * Content-Security-Policy stays `script-src 'self'`.
 */
(function () {
  "use strict";

  var status = document.getElementById("offline-status");
  if (!status || !("indexedDB" in window)) {
    return;
  }
  var texts = JSON.parse(status.dataset.texts);
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(status.dataset.lang) : null;
  var CACHE = "sky-trainer-pages";
  var SENT_SHOWN = 10;
  // The pages worth keeping: the sessions, a session, a learner's evaluation.
  var PAGES = /\/trainer\/(sessions\/\d+(\/learners\/\d+)?)?$/;
  // What the previous page asked this one to say ("Kept on this phone: …"), said on this one.
  var notice = sessionStorage.getItem("sky-notice");
  sessionStorage.removeItem("sky-notice");
  var signedOut = false;
  var sending = false;

  // --- the queue in IndexedDB -------------------------------------------------------------

  function openStore() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open("sky-trainer", 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("queue", { keyPath: "id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function transact(mode, work) {
    return openStore().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction("queue", mode);
        var result = work(transaction.objectStore("queue"));
        transaction.oncomplete = function () {
          database.close();
          resolve(result && "result" in result ? result.result : undefined);
        };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  function allItems() {
    return transact("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return items.sort(function (a, b) { return a.created - b.created; });
    });
  }

  function getItem(id) {
    return transact("readonly", function (store) { return store.get(id); });
  }

  function putItem(item) {
    return transact("readwrite", function (store) { store.put(item); });
  }

  function deleteItem(id) {
    return transact("readwrite", function (store) { store["delete"](id); });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  // --- what the page shows ------------------------------------------------------------------

  function counted(forms, count) {
    var category = plurals ? plurals.select(count) : (count === 1 ? "one" : "other");
    return (forms[category] || forms.other || forms.one).replace("{count}", String(count));
  }

  function element(name, text, attributes) {
    var node = document.createElement(name);
    if (text) {
      node.textContent = text;
    }
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    return node;
  }

  function button(text, onClick) {
    var node = element("button", text, { type: "button", "class": "link" });
    node.addEventListener("click", onClick);
    return node;
  }

  function render() {
    return allItems().then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting"; });
      var refused = items.filter(function (item) { return item.state === "refused"; });
      var sent = items.filter(function (item) { return item.state === "sent"; });
      // Built aside and put in place only when it changed: the region is live, and a screen
      // reader would otherwise hear it again at every attempt to send.
      var box = document.createElement("div");
      if (notice) {
        box.appendChild(element("p", notice, { "class": "notice" }));
      }
      if (!navigator.onLine) {
        box.appendChild(element("p", texts.offline));
      }
      if (waiting.length) {
        var heading = element("p", counted(texts.waiting, waiting.length), { "class": "waiting-count" });
        box.appendChild(heading);
        box.appendChild(list(waiting, function (item) { return item.learner; }));
        if (signedOut) {
          var again = element("p", texts.signIn + " ");
          again.appendChild(element("a", texts.signInLink, { href: status.dataset.login }));
          box.appendChild(again);
        } else if (navigator.onLine) {
          box.appendChild(button(sending ? texts.sending : texts.sendNow, function () { flush(); }));
        }
      }
      refused.forEach(function (item) {
        var line = element("p", (item.message || texts.refused.replace("{learner}", item.learner)) + " ",
                           { "class": "refused" });
        line.appendChild(element("a", texts.open, { href: item.next || item.url }));
        line.appendChild(document.createTextNode(" "));
        line.appendChild(button(texts.discard, function () { deleteItem(item.id).then(render); }));
        box.appendChild(line);
      });
      if (sent.length) {
        box.appendChild(element("p", counted(texts.sent, sent.length), { "class": "sent-count" }));
        box.appendChild(list(sent, function (item) { return item.message; }, true));
        box.appendChild(button(texts.clear, function () {
          Promise.all(sent.map(function (item) { return deleteItem(item.id); })).then(render);
        }));
      }
      if (box.innerHTML !== status.innerHTML) {
        status.replaceChildren.apply(status, Array.prototype.slice.call(box.childNodes));
      }
      status.hidden = !status.childNodes.length;
      markLearners(waiting);
    });
  }

  function list(items, label, linked) {
    var ul = element("ul");
    items.forEach(function (item) {
      var li = element("li");
      if (linked && item.next) {
        li.appendChild(element("a", label(item), { href: item.next }));
      } else {
        li.textContent = label(item);
      }
      ul.appendChild(li);
    });
    return ul;
  }

  function markLearners(waiting) {
    var queued = waiting.map(function (item) { return new URL(item.url, location.href).pathname; });
    document.querySelectorAll("a.card-link").forEach(function (link) {
      var mark = link.querySelector(".queued");
      var isQueued = queued.indexOf(new URL(link.href).pathname) !== -1;
      if (isQueued && !mark) {
        link.appendChild(element("span", texts.waitingMark, { "class": "state queued" }));
      } else if (!isQueued && mark) {
        mark.remove();
      }
    });
  }

  // --- sending --------------------------------------------------------------------------------

  function SignInNeeded() {}

  function freshToken() {
    return fetch(status.dataset.token, {
      credentials: "same-origin", redirect: "manual", cache: "no-store",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
        throw new SignInNeeded();
      }
      if (!response.ok) {
        throw new Error("token " + response.status);
      }
      return response.json();
    }).then(function (body) { return body.csrf_token; });
  }

  function post(item, token, foreground) {
    var body = new FormData();
    item.fields.forEach(function (field) { body.append(field[0], field[1]); });
    body.set("csrf_token", token);
    body.set("client_id", item.id);
    body.set("version", String(item.version));
    return fetch(item.url, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { Accept: "application/json", "X-Sky-Queue": foreground ? "foreground" : "background" }
    });
  }

  // Send one evaluation; resolves to its answer, or null when it stays waiting (no network).
  function sendOne(item, foreground, retried) {
    return freshToken().then(function (token) {
      return post(item, token, foreground);
    }).then(function (response) {
      if (response.type === "opaqueredirect") {
        throw new SignInNeeded();
      }
      if (response.status === 400 && !retried) {  // the token of a session that just ended
        return sendOne(item, foreground, true);
      }
      if (response.status >= 500 || response.status === 429) {
        return null;
      }
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      return (json ? response.json() : Promise.resolve({ outcome: "invalid" })).then(function (answer) {
        return settle(item, answer);
      });
    }, function (error) {
      if (error instanceof SignInNeeded) {
        throw error;
      }
      return null;  // no network: it waits
    });
  }

  function settle(item, answer) {
    item.state = answer.outcome === "invalid" ? "refused" : "sent";
    item.outcome = answer.outcome;
    item.message = answer.message || "";
    item.next = answer.next || item.url;
    item.fields = item.state === "sent" ? [] : item.fields;  // photos leave the phone once sent
    return putItem(item).then(function () {
      return answer.version ? carryVersion(item, answer.version) : null;
    }).then(function () {
      refreshCopy(item.url);
      return pruneSent().then(function () { return answer; });
    });
  }

  // Later evaluations of the same learner made on this phone from the same page follow this one,
  // not conflict with it: they now build on the version the server has just saved.
  function carryVersion(item, version) {
    return allItems().then(function (items) {
      return Promise.all(items.filter(function (other) {
        return other.state === "waiting" && other.url === item.url && other.version === item.version;
      }).map(function (other) {
        other.version = version;
        return putItem(other);
      }));
    });
  }

  function pruneSent() {
    return allItems().then(function (items) {
      var sent = items.filter(function (item) { return item.state === "sent"; });
      return Promise.all(sent.slice(0, Math.max(0, sent.length - SENT_SHOWN)).map(function (item) {
        return deleteItem(item.id);
      }));
    });
  }

  function flush() {
    if (sending) {
      return Promise.resolve();
    }
    sending = true;
    var run = function () {
      return allItems().then(function (items) {
        var waiting = items.filter(function (item) { return item.state === "waiting"; });
        return waiting.reduce(function (chain, listed) {
          return chain.then(function (goOn) {
            if (goOn === false) {
              return false;
            }
            // Read again: an earlier one sent may have moved its version on (carryVersion).
            return getItem(listed.id).then(function (item) {
              if (!item || item.state !== "waiting") {
                return true;
              }
              return sendOne(item, false).then(function (answer) { return answer !== null; });
            });
          });
        }, Promise.resolve(true));
      }).then(function () { signedOut = false; }, function (error) {
        signedOut = error instanceof SignInNeeded;
      });
    };
    var locked = navigator.locks ? navigator.locks.request("sky-trainer-queue", run) : run();
    return locked.then(function () {
      sending = false;
      return render();
    }, function () {
      sending = false;
      return render();
    });
  }

  // --- the evaluation form --------------------------------------------------------------------

  function queueForm(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) {
      data.set(submitter.name, submitter.value);
    }
    var fields = [];
    data.forEach(function (value, name) {
      if (name === "csrf_token" || name === "client_id" || name === "version") {
        return;
      }
      if (value instanceof File && !value.size && !value.name) {
        return;  // an empty file input
      }
      fields.push([name, value]);
    });
    return {
      // Not `form.action`: the buttons named "action" shadow it.
      id: newId(), url: form.getAttribute("action") || location.pathname, learner: form.dataset.learner,
      version: Number(form.elements.version.value), fields: fields, created: Date.now(),
      state: "waiting"
    };
  }

  function nextPage(form, queuedUrls) {
    var following = JSON.parse(form.dataset.following || "[]").filter(function (url) {
      return queuedUrls.indexOf(new URL(url, location.href).pathname) === -1;
    });
    return following[0] || form.dataset.session;
  }

  function onSubmit(event) {
    var form = event.target;
    event.preventDefault();
    var item = queueForm(form, event.submitter);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (node) { node.disabled = true; });
    putItem(item).then(function () {
      sending = true;
      return sendOne(item, true).catch(function (error) {
        signedOut = error instanceof SignInNeeded;
        return null;
      });
    }).then(function (answer) {
      sending = false;
      if (answer && answer.outcome === "invalid") {
        // The server shows what is wrong, in the form, with what was typed.
        return deleteItem(item.id).then(function () { resubmit(form, event.submitter); });
      }
      if (answer) {
        return deleteItem(item.id).then(function () { location.assign(answer.next); });
      }
      sessionStorage.setItem("sky-notice", texts.kept.replace("{learner}", item.learner));
      return allItems().then(function (items) {
        var queued = items.filter(function (other) { return other.state === "waiting"; })
          .map(function (other) { return new URL(other.url, location.href).pathname; });
        location.assign(nextPage(form, queued));
      });
    }).catch(function (error) {
      buttons.forEach(function (node) { node.disabled = false; });
      form.removeEventListener("submit", onSubmit);  // IndexedDB unusable: the plain form
      resubmit(form, event.submitter);
    });
  }

  function resubmit(form, submitter) {
    form.removeEventListener("submit", onSubmit);
    if (submitter && submitter.name) {
      var chosen = element("input", null, { type: "hidden", name: submitter.name, value: submitter.value });
      form.appendChild(chosen);
    }
    form.elements.client_id.value = newId();
    form.submit();
  }

  // --- offline copies of the pages ------------------------------------------------------------

  function refreshCopy(url) {
    if (!("caches" in window) || !navigator.onLine) {
      return Promise.resolve();
    }
    return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.ok && !response.redirected) {
        return caches.open(CACHE).then(function (cache) { return cache.put(url, response); });
      }
      return null;
    }).catch(function () { return null; });
  }

  // This page, what it needs, and (on a session's page) every learner's evaluation page: all
  // there when the network goes.
  function keepCopies() {
    var urls = [location.pathname + location.search];
    document.querySelectorAll("link[rel=stylesheet], link[rel=manifest], link[rel=apple-touch-icon]")
      .forEach(function (link) { urls.push(link.href); });
    document.querySelectorAll("script[src]").forEach(function (script) { urls.push(script.src); });
    document.querySelectorAll("main a[href]").forEach(function (link) {
      var path = new URL(link.href).pathname;
      if (link.origin === location.origin && PAGES.test(path)) {
        urls.push(link.href);
      }
    });
    return urls.reduce(function (chain, url) {
      return chain.then(function () { return refreshCopy(url); });
    }, Promise.resolve()).then(function () {
      status.dataset.cached = "true";
    });
  }

  // Reopened while its evaluation still waits on the phone, the form shows what was entered
  // (the kept copy of the page holds what the server knew before).
  function showQueued(form) {
    var path = new URL(form.getAttribute("action") || location.pathname, location.href).pathname;
    return allItems().then(function (items) {
      var latest = items.filter(function (item) {
        return item.state === "waiting" && new URL(item.url, location.href).pathname === path;
      }).pop();
      if (!latest) {
        return;
      }
      var names = latest.fields.map(function (field) { return field[0]; });
      form.querySelectorAll("input[type=radio], input[type=checkbox]").forEach(function (control) {
        if (names.indexOf(control.name) === -1) {
          control.checked = false;  // left unanswered, or unticked, on the phone
        }
      });
      latest.fields.forEach(function (field) {
        var name = field[0], value = field[1];
        if (typeof value !== "string" || name === "action") {
          return;
        }
        Array.prototype.forEach.call(form.querySelectorAll("[name='" + CSS.escape(name) + "']"),
          function (control) {
            if (control.type === "radio" || control.type === "checkbox") {
              control.checked = control.value === value;
            } else if (control.type !== "file") {
              control.value = value;
            }
          });
      });
      form.insertBefore(element("p", texts.waitingMark, { "class": "flash queued-here" }),
                        form.firstChild);
    });
  }

  function start() {
    document.querySelectorAll("form.evaluation").forEach(function (form) {
      form.addEventListener("submit", onSubmit);
      showQueued(form);
    });
    document.querySelectorAll("form[action$='/auth/logout']").forEach(function (form) {
      form.addEventListener("submit", function () {
        // Signed out: the pages kept for the network's absence and the list of what was sent
        // go; what still waits stays until it is sent.
        if ("caches" in window) {
          caches["delete"](CACHE);
        }
        allItems().then(function (items) {
          items.filter(function (item) { return item.state === "sent"; })
            .forEach(function (item) { deleteItem(item.id); });
        });
      });
    });
    window.addEventListener("online", function () { flush(); });
    window.addEventListener("offline", render);
    setInterval(function () {
      if (navigator.onLine) {
        flush();
      }
    }, 30000);
    var ready = "serviceWorker" in navigator
      ? navigator.serviceWorker.register(status.dataset.sw, { scope: status.dataset.scope })
        .then(function () { return navigator.serviceWorker.ready; })
        .catch(function () { return null; })
      : Promise.resolve(null);
    render().then(function () { return navigator.onLine ? flush() : null; });
    ready.then(function () { return navigator.onLine ? keepCopies() : null; });
  }

  start();
}());
