// The dashboard: its API console and the session's state. Calls go to this app's /api/fortellis/ proxy with
// the session cookie; unsafe methods carry the session's CSRF token. No Fortellis token is ever seen here.
// Everything is written with textContent (never innerHTML): answers are data, not markup.
(function () {
  'use strict';

  function $(id) {
    return document.getElementById(id);
  }
  var form = $('api-console');
  if (!form) return;
  var preset = $('api-preset');
  var method = $('api-method');
  var path = $('api-path');
  var body = $('api-body');
  var bodyError = $('api-body-error');
  var send = $('api-send');
  var hint = $('api-hint');
  var announcer = $('api-announce');
  var progress = $('api-progress');
  var result = $('api-result');
  var output = $('api-output');
  var SAFE_METHODS = { GET: true, HEAD: true };
  var APPOINTMENT_PLACEHOLDER = '{appointmentId}';
  /** The warning comes this long before the idle timeout (or a quarter of the time left, if less). */
  var WARN_LEAD_MS = 2 * 60 * 1000;
  var HISTORY_LENGTH = 5;
  /** Who must act, by the `party` of a Fortellis problem (the docs' "Fault" column). */
  var PARTIES = {
    'app-developer': 'The developer of this app: tell your administrator, who can pass it on.',
    'api-developer': 'The developer of the API you called (Fortellis passes the report on).',
    fortellis: 'Fortellis itself: nothing to change here; try again later.',
  };
  var APP_PARTY = 'This app answered, not Fortellis: the explanation above says what to do.';

  // The id of the appointment the console created last, so that "delete" removes that one.
  var lastCreatedId = null;
  var lastCall = null;
  var running = null;
  var history = [];
  var ended = false;
  var timers = { warn: null, expiry: null, retry: null };

  /** A short sentence for screen readers; the answer itself stays in the page, to read at will. */
  function announce(text) {
    announcer.textContent = '';
    // A fresh text node after a clear makes the same sentence heard twice in a row, too.
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 50);
  }

  function say(text) {
    hint.textContent = text;
  }

  // ---- The session: its end, and the warning before the idle timeout -------------------------------------

  var signInAgain = '/login?reason=session-ended&returnTo=' + encodeURIComponent(window.location.pathname);

  /** The session is gone (signed out in another tab, timed out, ended by an admin): say so, offer the way back. */
  function sessionEnded() {
    if (ended) return;
    ended = true;
    window.clearTimeout(timers.warn);
    window.clearTimeout(timers.expiry);
    $('session-expiring').hidden = true;
    var notice = $('session-ended');
    $('session-sign-in').setAttribute('href', signInAgain);
    notice.hidden = false;
    send.disabled = true;
    // The header's "Sign out (name)" would be a lie now: it becomes the sign-in link.
    var signOut = document.querySelector('.account form[action="/logout"]');
    if (signOut) {
      var link = document.createElement('a');
      link.href = signInAgain;
      link.textContent = 'Sign in';
      signOut.parentNode.replaceChild(link, signOut);
    }
  }

  function loadMe() {
    return fetch('/api/me', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' }).then(function (response) {
      if (response.status === 401) {
        sessionEnded();
        throw new Error('signed out');
      }
      if (!response.ok) throw new Error('/api/me answered ' + response.status);
      // The server's clock says when the session ends; its Date header says what time it is there.
      var serverNow = Date.parse(response.headers.get('Date') || '');
      return response.json().then(function (me) {
        scheduleExpiry(Date.parse(me.sessionExpiresAt) - (isNaN(serverNow) ? Date.now() : serverNow));
        return me;
      });
    });
  }

  function scheduleExpiry(remainingMs) {
    window.clearTimeout(timers.warn);
    window.clearTimeout(timers.expiry);
    $('session-expiring').hidden = true;
    if (ended || isNaN(remainingMs)) return;
    // The Date header has whole seconds: count a second less, so the warning is never late.
    remainingMs -= 1000;
    var lead = Math.min(WARN_LEAD_MS, remainingMs / 4);
    var endsAt = Date.now() + remainingMs;
    timers.warn = window.setTimeout(function () {
      var minutes = Math.max(1, Math.round((endsAt - Date.now()) / 60000));
      $('session-expiring-text').textContent =
        'Your session ends at ' + new Date(endsAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) +
        ' (in about ' + minutes + ' minute' + (minutes === 1 ? '' : 's') + ') because nothing was sent for a while.';
      $('session-expiring').hidden = false;
    }, Math.max(0, remainingMs - lead));
    // At the end, ask the server rather than assume: another tab may have kept the session alive.
    timers.expiry = window.setTimeout(function () {
      refreshSession().catch(function () {});
    }, Math.max(0, remainingMs + 1500));
  }

  // The CSRF token comes from /api/me; every unsafe call waits for it rather than racing it.
  var session = loadMe();
  session.catch(function () {});

  /** Asks /api/me again; on success the page uses the answer, on failure it keeps the one it had. */
  function refreshSession() {
    return loadMe().then(function (me) {
      session = Promise.resolve(me);
      return me;
    });
  }

  $('session-extend').addEventListener('click', function () {
    // Any request renews the idle timeout; /api/me also says until when.
    refreshSession().then(
      function () {
        announce('Your session was extended.');
      },
      function () {
        if (!ended) $('session-expiring-text').textContent = 'The app did not answer: your session could not be extended. Try again in a moment.';
      },
    );
  });

  // ---- The console ---------------------------------------------------------------------------------------

  function applyPreset() {
    var option = preset.options[preset.selectedIndex];
    if (option.dataset.custom) {
      say('Type a method and a path below the Fortellis API base URL, e.g. /service/v3/appointments/100201.');
      path.focus();
      return;
    }
    method.value = option.dataset.method;
    var target = option.dataset.path;
    if (target.indexOf(APPOINTMENT_PLACEHOLDER) !== -1) {
      if (lastCreatedId) {
        target = target.replace(APPOINTMENT_PLACEHOLDER, encodeURIComponent(lastCreatedId));
        say('Deletes appointment ' + lastCreatedId + ', the one created last.');
      } else {
        say('Create an appointment first, or replace ' + APPOINTMENT_PLACEHOLDER + ' with an appointment id.');
      }
    } else {
      say('');
    }
    path.value = target;
    body.value = option.dataset.body ? JSON.stringify(JSON.parse(option.dataset.body), null, 2) : '';
    clearBodyError();
  }

  function showBodyError(text) {
    bodyError.textContent = text;
    bodyError.hidden = false;
    body.setAttribute('aria-invalid', 'true');
    body.setAttribute('aria-describedby', 'api-body-error');
  }

  function clearBodyError() {
    bodyError.hidden = true;
    bodyError.textContent = '';
    body.removeAttribute('aria-invalid');
    body.removeAttribute('aria-describedby');
  }

  /** Empties the answer area, so nothing of an earlier call can be taken for this one's. */
  function clearResult() {
    result.hidden = true;
    $('api-status-text').textContent = '';
    window.clearInterval(timers.retry);
    $('api-problem').hidden = true;
    $('api-retry-row').hidden = true;
    $('api-state-note').hidden = true;
    output.textContent = '';
    $('api-headers-list').textContent = '';
    $('api-copy-status').textContent = '';
  }

  function stateNote(kind, text) {
    var note = $('api-state-note');
    note.className = 'callout state-note ' + kind;
    note.textContent = text;
    note.hidden = false;
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return undefined;
    }
  }

  function showHeaders(headers) {
    var list = $('api-headers-list');
    var count = 0;
    headers.forEach(function (value, name) {
      var dt = document.createElement('dt');
      dt.textContent = name;
      var dd = document.createElement('dd');
      dd.textContent = value;
      list.appendChild(dt);
      list.appendChild(dd);
      count += 1;
    });
    $('api-headers-count').textContent = '(' + count + ')';
  }

  /** An RFC 9457 problem: what went wrong, in words, who must act, and when to try again. */
  function showProblem(problem, retryAfter) {
    $('api-problem-title').textContent = problem.title || 'The call failed';
    $('api-problem-detail').textContent = problem.detail || '';
    $('api-problem-party').textContent = PARTIES[problem.party] || APP_PARTY;
    var codeCells = document.querySelectorAll('#api-problem .fortellis-code');
    for (var i = 0; i < codeCells.length; i += 1) codeCells[i].hidden = !problem.fortellisCode;
    $('api-problem-code').textContent = problem.fortellisCode || '';
    $('api-problem').hidden = false;
    var seconds = Number(retryAfter);
    if (retryAfter !== null && isFinite(seconds) && seconds >= 0) showRetry(Math.ceil(seconds));
  }

  /** Retry-After: the retry button waits as long as the server asked, counting down. */
  function showRetry(seconds) {
    var row = $('api-retry-row');
    var button = $('api-retry');
    var text = $('api-retry-text');
    var until = Date.now() + seconds * 1000;
    row.hidden = false;
    function tick() {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) {
        text.textContent = 'The server asked to wait ' + seconds + ' s before trying again: ' + left + ' s left.';
        button.disabled = true;
      } else {
        window.clearInterval(timers.retry);
        text.textContent = 'The server asked to wait ' + seconds + ' s before trying again: you may retry now.';
        button.disabled = false;
      }
    }
    tick();
    timers.retry = window.setInterval(tick, 250);
  }

  function statusLine(response) {
    return response.status + (response.statusText ? ' ' + response.statusText : '');
  }

  function remember(entry) {
    history.unshift(entry);
    if (history.length > HISTORY_LENGTH) history.length = HISTORY_LENGTH;
    var list = $('api-history');
    list.textContent = '';
    history.forEach(function (past) {
      var item = document.createElement('li');
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'link';
      button.textContent = past.verb + ' ' + past.target + ' → ' + past.outcome + ' · ' + past.when;
      button.addEventListener('click', function () {
        method.value = past.verb;
        path.value = past.target;
        body.value = past.payload || '';
        preset.value = 'custom';
        clearBodyError();
        say('Back in the form: ' + past.verb + ' ' + past.target + '. Press Send to call it again.');
        send.focus();
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    $('api-history-section').hidden = false;
  }

  function clock() {
    return new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function finish(call, response, text, durationMs) {
    var problem = /json/i.test(response.headers.get('Content-Type') || '') ? parseJson(text) : undefined;
    var isProblem = !response.ok && problem && typeof problem === 'object' && (problem.title || problem.type);
    if (response.status === 401 && isProblem && /not-signed-in$/.test(String(problem.type))) {
      // Not an answer from Fortellis: this page's session is over. Say that instead of showing the JSON.
      sessionEnded();
      announce('Not sent: your session has ended. Sign in again to carry on.');
      remember({ verb: call.verb, target: call.target, payload: call.payload, outcome: 'session ended', when: clock() });
      return;
    }
    var statusElement = $('api-status');
    statusElement.textContent = String(response.status);
    $('api-status-text').textContent = response.statusText || '';
    statusElement.dataset.outcome = response.ok ? 'ok' : 'error';
    $('api-duration').textContent = durationMs.toFixed(0) + ' ms';
    $('api-request-id').textContent = response.headers.get('Request-Id') || '(none)';
    showHeaders(response.headers);
    if (text === '') {
      output.textContent = '(no content)';
    } else {
      var parsed = parseJson(text);
      output.textContent = parsed === undefined ? text : JSON.stringify(parsed, null, 2);
    }
    if (isProblem) showProblem(problem, response.headers.get('Retry-After'));
    if (call.verb === 'POST' && response.status === 201 && problem && typeof problem.appointmentId === 'string') {
      lastCreatedId = problem.appointmentId;
      say('Created appointment ' + lastCreatedId + '. Choose “Delete the appointment just created” to remove it.');
    }
    if (call.verb === 'DELETE' && response.ok) {
      var deleted = lastCreatedId && call.target.indexOf(encodeURIComponent(lastCreatedId)) !== -1 ? lastCreatedId : null;
      if (deleted) lastCreatedId = null;
      stateNote('ok', (deleted ? 'Appointment ' + deleted + ' is deleted' : 'Deleted') + ' (' + statusLine(response) + (text === '' ? ', no body: that is what a deletion answers' : '') + ').' + (deleted ? ' Create another one to delete again.' : ''));
      say('');
    }
    result.hidden = false;
    announce((response.ok ? 'Answered ' : 'Failed: ') + statusLine(response) + (isProblem && problem.title ? ', ' + problem.title : '') + ', in ' + durationMs.toFixed(0) + ' ms.');
    remember({ verb: call.verb, target: call.target, payload: call.payload, outcome: String(response.status) + ' in ' + durationMs.toFixed(0) + ' ms', when: clock() });
  }

  function call(verb, target, payload) {
    if (ended || running) return;
    clearResult();
    var thisCall = { verb: verb, target: target, payload: payload };
    lastCall = thisCall;
    var headers = { Accept: 'application/json' };
    var controller = new AbortController();
    var init = { method: verb, headers: headers, credentials: 'same-origin', signal: controller.signal };
    if (payload !== null) {
      headers['Content-Type'] = 'application/json';
      init.body = payload;
    }
    var started = performance.now();
    running = { controller: controller };
    send.disabled = true;
    form.setAttribute('aria-busy', 'true');
    $('api-progress-text').textContent = 'Calling ' + verb + ' ' + target + '…';
    $('api-elapsed').textContent = '0.0 s';
    progress.hidden = false;
    var ticker = window.setInterval(function () {
      $('api-elapsed').textContent = ((performance.now() - started) / 1000).toFixed(1) + ' s';
    }, 100);
    announce('Calling ' + verb + ' ' + target + '.');
    var ready = SAFE_METHODS[verb] ? Promise.resolve() : session.then(function (me) {
      headers['X-CSRF-Token'] = me.csrfToken;
    });
    return ready
      .then(function () {
        started = performance.now();
        return fetch('/api/fortellis' + target, init);
      })
      .then(function (response) {
        return response.text().then(function (text) {
          finish(thisCall, response, text, performance.now() - started);
        });
      })
      .catch(function (error) {
        var seconds = ((performance.now() - started) / 1000).toFixed(1);
        if (error && error.name === 'AbortError') {
          stateNote('warn', 'Cancelled after ' + seconds + ' s: no answer is shown.' + (SAFE_METHODS[verb] ? '' : ' The call may still have reached Fortellis and changed something: list the appointments to check.'));
          result.hidden = false;
          $('api-status').textContent = 'cancelled';
          $('api-status').dataset.outcome = 'error';
          $('api-duration').textContent = seconds + ' s';
          $('api-request-id').textContent = '(none)';
          $('api-headers-count').textContent = '(0)';
          output.textContent = '(no answer)';
          announce('Cancelled.');
          remember({ verb: verb, target: target, payload: payload, outcome: 'cancelled', when: clock() });
          return;
        }
        if (ended) return;
        stateNote('error', 'No answer: the connection to this app failed (' + String(error && error.message ? error.message : error) + '). Check your network and try again.');
        result.hidden = false;
        $('api-status').textContent = 'network error';
        $('api-status').dataset.outcome = 'error';
        $('api-duration').textContent = seconds + ' s';
        $('api-request-id').textContent = '(none)';
        output.textContent = '(no answer)';
        announce('Failed: no answer from the app.');
      })
      .then(function () {
        window.clearInterval(ticker);
        running = null;
        progress.hidden = true;
        form.removeAttribute('aria-busy');
        if (!ended) send.disabled = false;
        // Focus was on Cancel, which has just been hidden: back to Send, not to the top of the page.
        if (document.activeElement === document.body || document.activeElement === $('api-cancel')) send.focus();
        // The call renewed the session's idle timeout: learn the new end. A failed look-up keeps what the
        // page knew (its CSRF token still holds); a 401 has said the session ended.
        if (!ended) refreshSession();
      });
  }

  $('api-cancel').addEventListener('click', function () {
    if (running) running.controller.abort();
  });

  $('api-retry').addEventListener('click', function () {
    if (lastCall) call(lastCall.verb, lastCall.target, lastCall.payload);
  });

  $('api-copy').addEventListener('click', function () {
    var status = $('api-copy-status');
    var text = output.textContent;
    function selectIt() {
      var range = document.createRange();
      range.selectNodeContents(output);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      status.textContent = 'The browser did not allow copying: the body is selected, press Ctrl+C (⌘C).';
    }
    if (!navigator.clipboard || !navigator.clipboard.writeText) return selectIt();
    navigator.clipboard.writeText(text).then(function () {
      status.textContent = 'Copied.';
      announce('Response copied.');
    }, selectIt);
  });

  preset.addEventListener('change', applyPreset);
  // Typing a call of one's own makes the preset list say so.
  function markCustom() {
    preset.value = 'custom';
  }
  method.addEventListener('change', markCustom);
  path.addEventListener('input', markCustom);
  body.addEventListener('input', clearBodyError);

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var verb = method.value;
    var target = path.value.trim();
    if (target.charAt(0) !== '/') target = '/' + target;
    if (target.indexOf(APPOINTMENT_PLACEHOLDER) !== -1) {
      say('Replace ' + APPOINTMENT_PLACEHOLDER + ' with an appointment id (create one first).');
      path.focus();
      return;
    }
    var payload = null;
    if (verb === 'POST' || verb === 'PUT' || verb === 'PATCH') {
      if (body.value.trim() !== '') {
        try {
          JSON.parse(body.value);
        } catch (e) {
          // Nothing was sent, so no earlier answer may stand as if it were this call's.
          clearResult();
          showBodyError('Not sent: the body is not valid JSON (' + e.message + '). Correct it, or empty it to send no body.');
          announce('Not sent: the body is not valid JSON.');
          body.focus();
          return;
        }
        payload = body.value;
      }
    }
    clearBodyError();
    call(verb, target, payload);
  });
})();
