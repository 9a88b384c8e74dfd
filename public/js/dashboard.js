// API console of the dashboard. Calls go to this app's /api/fortellis/ proxy with the session cookie;
// unsafe methods carry the session's CSRF token. No Fortellis token is ever seen here.
(function () {
  'use strict';

  var form = document.getElementById('api-console');
  if (!form) return;
  var preset = document.getElementById('api-preset');
  var method = document.getElementById('api-method');
  var path = document.getElementById('api-path');
  var body = document.getElementById('api-body');
  var send = document.getElementById('api-send');
  var hint = document.getElementById('api-hint');
  var result = document.getElementById('api-result');
  var SAFE_METHODS = { GET: true, HEAD: true };
  var APPOINTMENT_PLACEHOLDER = '{appointmentId}';
  // The id of the appointment the console created last, so that "delete" removes that one.
  var lastCreatedId = null;

  // The CSRF token comes from /api/me; every unsafe call waits for it rather than racing it.
  var session = fetch('/api/me', { headers: { Accept: 'application/json' }, credentials: 'same-origin' }).then(function (response) {
    if (response.status === 401) {
      window.location.assign('/login');
      throw new Error('signed out');
    }
    return response.json();
  });
  session.catch(function () {});

  function say(text) {
    hint.textContent = text;
  }

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
  }

  function show(outcome, status, durationMs, requestId, text) {
    var statusElement = document.getElementById('api-status');
    statusElement.textContent = String(status);
    statusElement.dataset.outcome = outcome;
    document.getElementById('api-duration').textContent = durationMs === null ? '–' : durationMs.toFixed(0) + ' ms';
    document.getElementById('api-request-id').textContent = requestId || '(none)';
    var output = document.getElementById('api-output');
    if (text === '') {
      output.textContent = '(no content)';
    } else {
      try {
        output.textContent = JSON.stringify(JSON.parse(text), null, 2);
      } catch (e) {
        output.textContent = text;
      }
    }
    result.hidden = false;
  }

  function rememberCreated(verb, status, text) {
    if (verb !== 'POST' || status !== 201) return;
    try {
      var created = JSON.parse(text);
      if (created && typeof created.appointmentId === 'string') {
        lastCreatedId = created.appointmentId;
        say('Created appointment ' + lastCreatedId + '. Choose “Delete the appointment just created” to remove it.');
      }
    } catch (e) {
      // Not JSON: nothing to remember.
    }
  }

  function call(verb, target, payload) {
    var headers = { Accept: 'application/json' };
    var init = { method: verb, headers: headers, credentials: 'same-origin' };
    if (payload !== null) {
      headers['Content-Type'] = 'application/json';
      init.body = payload;
    }
    var started = performance.now();
    send.disabled = true;
    form.setAttribute('aria-busy', 'true');
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
          show(response.ok ? 'ok' : 'error', response.status, performance.now() - started, response.headers.get('Request-Id'), text);
          rememberCreated(verb, response.status, text);
        });
      })
      .catch(function (error) {
        show('error', 'network error', performance.now() - started, null, String(error));
      })
      .then(function () {
        send.disabled = false;
        form.removeAttribute('aria-busy');
      });
  }

  preset.addEventListener('change', applyPreset);
  // Typing a call of one's own makes the preset list say so.
  function markCustom() {
    preset.value = 'custom';
  }
  method.addEventListener('change', markCustom);
  path.addEventListener('input', markCustom);

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
          say('The body is not valid JSON: ' + e.message);
          body.focus();
          return;
        }
        payload = body.value;
      }
    }
    call(verb, target, payload);
  });
})();
