/* The trainer's pages without network: evaluations queued on the phone, sent when it returns.
 *
 * Every evaluation form is kept in IndexedDB first, with an id made here, and then sent; an
 * answer lost on the way is harmless (the server answers a replay of the same id without saving
 * twice). A fresh CSRF token is asked for at each sending: when the session has ended the queue
 * waits and asks the trainer to sign in again; nothing is ever dropped but by the trainer.
 * A learner added while offline (a walk-in) is queued the same way, before their evaluation: the
 * evaluation waits for the learner to be sent, then goes to the page the server made for them.
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
  var PAGES = /\/trainer\/(sessions\/\d+(\/learners\/(\d+|new))?)?$/;
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
      var evaluations = waiting.filter(function (item) { return item.kind !== "learner"; });
      var learners = waiting.filter(function (item) { return item.kind === "learner"; });
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
      if (learners.length) {
        box.appendChild(element("p", counted(texts.learnersWaiting, learners.length),
                                { "class": "learners-count" }));
      }
      if (evaluations.length) {
        box.appendChild(element("p", counted(texts.waiting, evaluations.length),
                                { "class": "waiting-count" }));
        box.appendChild(list(evaluations, function (item) { return item.learner; }));
      }
      if (waiting.length) {
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
        line.appendChild(button(texts.discard, function () { discard(item, items).then(render); }));
        box.appendChild(line);
      });
      // A photo the server did not keep: said in plain words until the trainer hides the list.
      sent.filter(function (item) { return item.photoProblem; }).forEach(function (item) {
        var line = element("p", item.photoProblem + " ", { "class": "photo-refused" });
        line.appendChild(element("a", texts.open, { href: item.url }));
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
      listWalkIns(learners, waiting);
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

  // Discarding a learner added on this phone discards their evaluations too: nowhere to go.
  function discard(item, items) {
    return Promise.all(items.filter(function (other) {
      return other.id === item.id || other.after === item.id;
    }).map(function (other) { return deleteItem(other.id); }));
  }

  // On a session's page, the learners added on this phone, each linked to their evaluation.
  function listWalkIns(learners, waiting) {
    var form = document.querySelector("form.add-learner");
    var listed = document.getElementById("learners");
    if (!form || !listed) {
      return;
    }
    listed.querySelectorAll("li.walk-in").forEach(function (node) { node.remove(); });
    learners.forEach(function (item) {
      var evaluated = waiting.some(function (other) { return other.after === item.id; });
      var link = element("a", null, { "class": "card-link", href: form.dataset.walkIn + "#" + item.id });
      link.appendChild(element("strong", item.learner));
      link.appendChild(element("span", evaluated ? texts.waitingMark : texts.newLearnerMark,
                               { "class": "state queued" }));
      var li = element("li", null, { "class": "walk-in" });
      li.appendChild(link);
      listed.appendChild(li);
    });
    var none = document.querySelector(".no-learner");
    if (none) {
      none.hidden = learners.length > 0;
    }
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

  // Photos the server could not take in one request leave before sending, and the trainer is
  // told: a refused upload may end as a cut connection, which would otherwise wait for ever.
  function withoutPhotos(item) {
    item.fields = item.fields.filter(function (field) { return !(field[1] instanceof Blob); });
    item.photoProblem = texts.photoTooLarge.replace("{learner}", item.learner);
    return putItem(item);
  }

  function tooLarge(item) {
    var limit = Number(status.dataset.maxBytes) * 0.95;  // room for the other fields
    return limit > 0 && item.fields.reduce(function (total, field) {
      return total + (field[1] instanceof Blob ? field[1].size : String(field[1]).length);
    }, 0) > limit;
  }

  // Send one evaluation; resolves to its answer, or null when it stays waiting (no network).
  function sendOne(item, foreground, retried) {
    if (!foreground && tooLarge(item)) {  // the trainer waiting sees the server's answer
      return withoutPhotos(item).then(function () { return sendOne(item, foreground, retried); });
    }
    return freshToken().then(function (token) {
      return post(item, token, foreground);
    }).then(function (response) {
      if (response.type === "opaqueredirect") {
        throw new SignInNeeded();
      }
      if (response.status === 400 && !retried) {  // the token of a session that just ended
        return sendOne(item, foreground, true);
      }
      if (response.status === 413 && hasPhotos(item)) {  // too large after all
        return withoutPhotos(item).then(function () { return sendOne(item, foreground, retried); });
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

  function hasPhotos(item) {
    return item.fields.some(function (field) { return field[1] instanceof Blob; });
  }

  function settle(item, answer) {
    item.state = answer.outcome === "invalid" ? "refused" : "sent";
    item.outcome = answer.outcome;
    item.message = answer.message || "";
    item.next = answer.next || item.url;
    item.fields = item.state === "sent" ? [] : item.fields;  // photos leave the phone once sent
    if (answer.photos) {
      item.photoProblem = answer.photos;
    }
    if (item.kind === "learner" && item.state === "sent") {
      return enrolled(item, answer).then(function () { return answer; });
    }
    return putItem(item).then(function () {
      return answer.version ? carryVersion(item, answer.version) : null;
    }).then(function () {
      refreshCopy(item.url);
      return pruneSent().then(function () { return answer; });
    });
  }

  // The learner added on the phone now exists: their evaluations go to the page made for them,
  // building on its first version; the learner leaves the queue.
  function enrolled(item, answer) {
    return allItems().then(function (items) {
      return Promise.all(items.filter(function (other) {
        return other.after === item.id;
      }).map(function (other) {
        delete other.after;
        other.url = answer.next;
        other.version = answer.version;
        return putItem(other);
      }));
    }).then(function () { return deleteItem(item.id); });
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
              if (item.after) {  // its learner has not been sent yet
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
    var item = {
      // Not `form.action`: the buttons named "action" shadow it.
      id: newId(), url: form.getAttribute("action") || location.pathname, learner: form.dataset.learner,
      version: form.elements.version ? Number(form.elements.version.value) : 0, fields: fields,
      created: Date.now(), state: "waiting"
    };
    if (form.classList.contains("add-learner")) {
      item.kind = "learner";
      item.learner = form.elements.name.value.trim();
    } else if (form.classList.contains("walk-in")) {
      item.after = walkInId();  // sent once its learner is, to the page made for them
    }
    return item;
  }

  function walkInId() {
    return decodeURIComponent(location.hash.slice(1));
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
    if (form.classList.contains("add-learner") && !form.checkValidity()) {
      form.reportValidity();  // offline, nobody else would say the name is missing
      return;
    }
    var item = queueForm(form, event.submitter);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (node) { node.disabled = true; });
    putItem(item).then(function () {
      if (item.after) {
        return null;  // its learner goes first: the queue sends both, in order
      }
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
      if (item.kind === "learner") {  // evaluated straight away, on the page kept for it
        location.assign(form.dataset.walkIn + "#" + encodeURIComponent(item.id));
        return null;
      }
      return allItems().then(function (items) {
        var queued = items.filter(function (other) { return other.state === "waiting"; })
          .map(function (other) { return new URL(other.url, location.href).pathname; });
        location.assign(nextPage(form, queued));
      });
    }).catch(function () {
      buttons.forEach(function (node) { node.disabled = false; });
      if (form.classList.contains("walk-in")) {
        return;  // no plain form to fall back on: this page exists only for the queue
      }
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
    document.querySelectorAll("form[data-walk-in]").forEach(function (form) {
      urls.push(form.dataset.walkIn);
    });
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
    var walkIn = form.classList.contains("walk-in") ? walkInId() : null;
    return allItems().then(function (items) {
      var latest = items.filter(function (item) {
        return item.state === "waiting" && (walkIn ? item.after === walkIn
          : !item.after && new URL(item.url, location.href).pathname === path);
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

  // The evaluation page of a learner added on this phone: their name, and photos only if they
  // agreed to them.
  function showWalkIn(form) {
    if (!walkInId()) {
      return Promise.resolve();  // opened by hand: nobody to evaluate here
    }
    return getItem(walkInId()).then(function (learner) {
      if (!learner || learner.kind !== "learner") {
        location.replace(form.dataset.session);  // already sent, or discarded
        return;
      }
      var photo = learner.fields.some(function (field) {
        return field[0] === "consent_photo" && field[1];
      });
      form.dataset.learner = learner.learner;
      document.querySelector("h1.walk-in-name").textContent = learner.learner;
      document.title = learner.learner + " — SKY Badges";
      form.querySelectorAll(".if-photo").forEach(function (node) {
        node.hidden = !photo;
        node.querySelectorAll("input").forEach(function (input) { input.disabled = !photo; });
      });
      form.querySelectorAll(".if-no-photo").forEach(function (node) { node.hidden = photo; });
    });
  }

  function start() {
    document.querySelectorAll("form.evaluation").forEach(function (form) {
      form.addEventListener("submit", onSubmit);
      if (form.classList.contains("walk-in")) {
        showWalkIn(form);
      }
      showQueued(form);
    });
    document.querySelectorAll("form.add-learner").forEach(function (form) {
      form.addEventListener("submit", onSubmit);
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
